#!/bin/sh
# Access decided per caller by the rule store, through the mount, as real
# Unix users of every role: the default policy cell by cell, grants and
# their expiry, sites, and no leak through caches, history, links, ACLs.
. "$(dirname "$0")/lib.sh"

CTL0="$BUILD/dossierctl"
new_archive
CTL="$CTL0 -a $A"
# name role dept
map_users $CTL <<'USERS'
dt_gm gm management
dt_dgm deputy_gm management
dt_mkt director marketing
dt_dir director service
dt_office office_director office
dt_mgr manager sales
dt_mgr2 manager service
dt_s1 sales sales
dt_s2 sales sales
dt_s3 sales service
dt_arch archivist archives
dt_aud auditor audit
dt_staff staff sales
USERS
ensure_user dt_none
mount_fs
C="$M/2024/contracts/ACME Ltd"
mkdir -p "$C"
# records owned by dt_s1 (sales), of each level and scope
mk() {
	printf 'content of %s\n' "$1" > "$C/$1" &&
	setfattr -n user.dossier.owner -v dt_s1 "$C/$1" &&
	setfattr -n user.dossier.dept -v sales "$C/$1" &&
	setfattr -n user.dossier.scope -v "$3" "$C/$1" &&
	setfattr -n user.dossier.level -v "$2" "$C/$1"
}
mk ID.txt internal department
mk IC.txt internal company
mk IP.txt internal personal
mk CD.txt confidential department
mk CC.txt confidential company
mk CP.txt confidential personal
mk SD.txt secret department
mk SC.txt secret company
mk SP.txt secret personal
mk TD.txt topsecret department
mk TC.txt topsecret company
mk TP.txt topsecret personal

errno_as() { as "$1" "$FSOP" "$2" "$3" ${4:+"$4"}; }
# cell USER RECORD OP EXPECTED
cell() {
	got=$(errno_as "$1" "$3" "$C/$2")
	if [ "$got" = "$4" ]; then
		echo "ok - $1 $3 $2: $4"
	else
		echo "not ok - $1 $3 $2: got $got, want $4"
		FAILS=$((FAILS + 1))
	fi
}
# read: OK allowed, EACCES listed but not readable, ENOENT hidden
while read -r rec gm dgm mkt dir office mgr mgr2 s1 s2 s3 arch aud staff none; do
	set -- dt_gm "$gm" dt_dgm "$dgm" dt_mkt "$mkt" dt_dir "$dir" \
		dt_office "$office" dt_mgr "$mgr" dt_mgr2 "$mgr2" dt_s1 "$s1" \
		dt_s2 "$s2" dt_s3 "$s3" dt_arch "$arch" dt_aud "$aud" \
		dt_staff "$staff" dt_none "$none"
	while [ $# -gt 0 ]; do
		cell "$1" "$rec" read "$2"
		# listing agrees with stat: hidden means absent from readdir
		if [ "$2" = ENOENT ]; then
			as "$1" ls "$C" 2>/dev/null | grep -qx "$rec" &&
				{ echo "not ok - $1 sees $rec in a listing"; FAILS=$((FAILS + 1)); }
		fi
		shift 2
	done
done <<'TABLE'
ID.txt OK OK EACCES EACCES EACCES OK EACCES OK EACCES EACCES OK EACCES EACCES ENOENT
IC.txt OK OK OK EACCES EACCES EACCES EACCES OK EACCES EACCES OK EACCES EACCES ENOENT
IP.txt OK OK ENOENT ENOENT ENOENT EACCES ENOENT OK EACCES ENOENT OK ENOENT EACCES ENOENT
CD.txt OK OK EACCES EACCES EACCES EACCES EACCES EACCES EACCES EACCES OK EACCES EACCES ENOENT
CC.txt OK OK EACCES EACCES EACCES EACCES EACCES EACCES EACCES EACCES OK EACCES EACCES ENOENT
CP.txt OK OK ENOENT ENOENT ENOENT EACCES ENOENT EACCES EACCES ENOENT OK ENOENT EACCES ENOENT
SD.txt EACCES EACCES ENOENT ENOENT ENOENT ENOENT ENOENT ENOENT ENOENT ENOENT EACCES ENOENT ENOENT ENOENT
SC.txt EACCES EACCES EACCES ENOENT ENOENT ENOENT ENOENT ENOENT ENOENT ENOENT EACCES ENOENT ENOENT ENOENT
SP.txt EACCES EACCES ENOENT ENOENT ENOENT ENOENT ENOENT ENOENT ENOENT ENOENT EACCES ENOENT ENOENT ENOENT
TD.txt EACCES EACCES ENOENT ENOENT ENOENT ENOENT ENOENT ENOENT ENOENT ENOENT EACCES ENOENT ENOENT ENOENT
TC.txt EACCES EACCES ENOENT ENOENT ENOENT ENOENT ENOENT ENOENT ENOENT ENOENT EACCES ENOENT ENOENT ENOENT
TP.txt EACCES EACCES ENOENT ENOENT ENOENT ENOENT ENOENT ENOENT ENOENT ENOENT EACCES ENOENT ENOENT ENOENT
TABLE
# write
cell dt_s1 ID.txt write OK
cell dt_mgr ID.txt write OK
cell dt_s2 ID.txt write EACCES
cell dt_aud ID.txt write EACCES
cell dt_gm CD.txt write OK
cell dt_s1 CD.txt write EACCES
cell dt_arch TD.txt write EACCES
# delete (refusals; an allowed delete last)
cell dt_s2 ID.txt unlink EACCES
cell dt_mgr2 ID.txt unlink EACCES
cell dt_s3 IP.txt unlink ENOENT
cell dt_aud ID.txt unlink EACCES
cell dt_staff ID.txt unlink EACCES
# history: versions in /.history
H="$M/.history/2024/contracts/ACME Ltd"
histcell() {
	f=$(ls "$H/$2" | head -1)
	got=$(as "$1" "$FSOP" read "$H/$2/$f")
	if [ "$got" = "$3" ]; then
		echo "ok - $1 history $2: $3"
	else
		echo "not ok - $1 history $2: got $got, want $3"
		FAILS=$((FAILS + 1))
	fi
}
$CTL log "$C/ID.txt" >/dev/null
histcell dt_s1 ID.txt OK
histcell dt_aud ID.txt OK
histcell dt_s2 ID.txt EACCES
histcell dt_s3 IP.txt ENOENT
histcell dt_none ID.txt ENOENT
check "dt_s1 history TD.txt: ENOENT" sh -c "
	[ \$(setpriv --reuid=\$(id -u dt_s1) --regid=\$(id -g dt_s1) --clear-groups '$FSOP' stat '$H/TD.txt') = ENOENT ]"

# access(2), modes and ACLs follow the caller
check "access(2) says W_OK for the owner, not for a colleague" sh -c "
	[ \$(setpriv --reuid=\$(id -u dt_s1) --regid=\$(id -g dt_s1) --clear-groups '$FSOP' access '$C/ID.txt' w) = OK ] &&
	[ \$(setpriv --reuid=\$(id -u dt_s2) --regid=\$(id -g dt_s2) --clear-groups '$FSOP' access '$C/ID.txt' r) = EACCES ]"
check "the mode shows what the caller may do" sh -c "
	[ \$(setpriv --reuid=\$(id -u dt_s1) --regid=\$(id -g dt_s1) --clear-groups stat -c %A '$C/ID.txt') = -rw-rw-rw- ] &&
	[ \$(setpriv --reuid=\$(id -u dt_s2) --regid=\$(id -g dt_s2) --clear-groups stat -c %A '$C/ID.txt') = ---------- ]"
check "getfacl lists exactly the users the rules let read" sh -c "
	getfacl -cp '$C/ID.txt' 2>/dev/null | sed -n 's/^user:\([^:]*\):.*/\1/p' | grep . | sort > '$T/acl' &&
	printf '%s\n' dt_arch dt_dgm dt_gm dt_mgr | diff - '$T/acl'"
check "setfacl by a salesperson is EACCES" sh -c "
	! setpriv --reuid=\$(id -u dt_s1) --regid=\$(id -g dt_s1) --clear-groups setfacl -m u:dt_s2:r '$C/CD.txt' 2>'$T/err' &&
	grep -q 'Permission denied' '$T/err'"
check "setfacl -m u:NAME:r by gm makes a grant" sh -c "
	setpriv --reuid=\$(id -u dt_gm) --regid=\$(id -g dt_gm) --clear-groups setfacl -m u:dt_s2:r '$C/CD.txt' &&
	$CTL grants | grep -q 'CD.txt.*dt_s2.*r.*dt_gm' &&
	[ \$(setpriv --reuid=\$(id -u dt_s2) --regid=\$(id -g dt_s2) --clear-groups '$FSOP' read '$C/CD.txt') = OK ]"
check "classification xattrs show the level" sh -c "
	[ \"\$(getfattr --only-values -n user.dossier.level '$C/CD.txt')\" = confidential ]"
check "reclassification is refused to a salesperson (EACCES)" sh -c "
	! setpriv --reuid=\$(id -u dt_s1) --regid=\$(id -g dt_s1) --clear-groups setfattr -n user.dossier.level -v internal '$C/ID.txt'"
check "declassification needs a reason (EPERM without)" sh -c "
	! setfattr -n user.dossier.level -v internal '$C/CD.txt' 2>'$T/err' && grep -q 'not permitted' '$T/err' &&
	setfattr -n user.dossier.reason -v 'contract published' '$C/CD.txt' &&
	setfattr -n user.dossier.level -v internal '$C/CD.txt' &&
	$CTL log '$C/CD.txt' | tail -1 | grep -q 'classify.*contract published' &&
	setfattr -n user.dossier.level -v confidential '$C/CD.txt'"
check "Chinese level names are accepted" sh -c "
	setfattr -n user.dossier.level -v 绝密 '$C/TD.txt' &&
	[ \"\$(getfattr --only-values -n user.dossier.level '$C/TD.txt')\" = topsecret ]"
check "moving a record keeps its level" sh -c "
	mkdir -p '$M/2024/sales/Other' && mv '$C/CD.txt' '$M/2024/sales/Other/' &&
	[ \"\$(getfattr --only-values -n user.dossier.level '$M/2024/sales/Other/CD.txt')\" = confidential ] &&
	mv '$M/2024/sales/Other/CD.txt' '$C/'"

# grants: a confidential grant for 5 s, then reads through a still-open fd fail
check "a grant beyond the level's maximum is refused with a message" sh -c "
	! setpriv --reuid=\$(id -u dt_gm) --regid=\$(id -g dt_gm) --clear-groups $CTL grant '$C/CD.txt' --user dt_s3 --read --for 5h --reason test 2>'$T/err' &&
	grep -q '4 h' '$T/err'"
check "a manager may not lend a confidential record" sh -c "
	! setpriv --reuid=\$(id -u dt_mgr) --regid=\$(id -g dt_mgr) --clear-groups $CTL grant '$C/CD.txt' --user dt_s3 --read --for 1h --reason test 2>/dev/null"
check "secret records are never lent" sh -c "
	! setpriv --reuid=\$(id -u dt_gm) --regid=\$(id -g dt_gm) --clear-groups $CTL grant '$C/SD.txt' --user dt_s3 --read --for 1h --reason test 2>/dev/null"
cat > "$T/slowread.sh" <<'SH'
# open, read, wait past the grant, read again through the same descriptor
exec 3<"$1" || exit 2
head -c 5 <&3 >/dev/null || exit 3
sleep "$2"
if dd bs=1 count=1 <&3 >/dev/null 2>"$3"; then exit 0; fi
exit 1
SH
: > "$T/err3"
chmod 666 "$T/err3"
check "a 5 s grant lets the user read" sh -c "
	setpriv --reuid=\$(id -u dt_gm) --regid=\$(id -g dt_gm) --clear-groups $CTL grant '$C/CD.txt' --user dt_s3 --read --for 5s --reason 'loan test' >/dev/null &&
	[ \$(setpriv --reuid=\$(id -u dt_s3) --regid=\$(id -g dt_s3) --clear-groups '$FSOP' read '$C/CD.txt') = OK ]"
check "after it expires, reads through a still-open descriptor fail" sh -c "
	! setpriv --reuid=\$(id -u dt_s3) --regid=\$(id -g dt_s3) --clear-groups sh '$T/slowread.sh' '$C/CD.txt' 6 '$T/err3' &&
	grep -q 'Permission denied' '$T/err3' &&
	[ \$(setpriv --reuid=\$(id -u dt_s3) --regid=\$(id -g dt_s3) --clear-groups '$FSOP' read '$C/CD.txt') = EACCES ]"
check "revoke ends a grant" sh -c "
	id=\$($CTL grants | awk '/dt_s2/ {print \$1; exit}') && $CTL revoke \$id >/dev/null &&
	[ \$(setpriv --reuid=\$(id -u dt_s2) --regid=\$(id -g dt_s2) --clear-groups '$FSOP' read '$C/CD.txt') = EACCES ]"

# no leak across users through kernel caches, history, links, renames
check "hidden right after a cleared user read it (stat/open/getxattr)" sh -c "
	setpriv --reuid=\$(id -u dt_s1) --regid=\$(id -g dt_s1) --clear-groups cat '$C/IP.txt' >/dev/null &&
	[ \$(setpriv --reuid=\$(id -u dt_s3) --regid=\$(id -g dt_s3) --clear-groups '$FSOP' stat '$C/IP.txt') = ENOENT ] &&
	[ \$(setpriv --reuid=\$(id -u dt_s3) --regid=\$(id -g dt_s3) --clear-groups '$FSOP' read '$C/IP.txt') = ENOENT ] &&
	[ \$(setpriv --reuid=\$(id -u dt_s3) --regid=\$(id -g dt_s3) --clear-groups '$FSOP' getxattr '$C/IP.txt' user.dossier.level) = ENOENT ] &&
	! setpriv --reuid=\$(id -u dt_s3) --regid=\$(id -g dt_s3) --clear-groups ls '$C' | grep -q IP.txt"
check "a hidden record cannot be renamed into a readable folder" sh -c "
	mkdir -p '$M/2024/service/S3 Client' &&
	[ \$(setpriv --reuid=\$(id -u dt_s3) --regid=\$(id -g dt_s3) --clear-groups '$FSOP' rename '$C/IP.txt' '$M/2024/service/S3 Client/x.txt') = ENOENT ]"
check "no hard links and no symlinks (EPERM)" sh -c "
	! ln '$C/ID.txt' '$C/link.txt' 2>/dev/null && ! ln -s '$C/ID.txt' '$C/sym.txt' 2>/dev/null &&
	[ ! -e '$C/link.txt' ] && [ ! -e '$C/sym.txt' ]"
check "history of a hidden record is hidden" sh -c "
	! setpriv --reuid=\$(id -u dt_s3) --regid=\$(id -g dt_s3) --clear-groups ls '$H' | grep -q IP.txt"
check "an unmapped account sees no client folder" sh -c "
	[ -z \"\$(setpriv --reuid=\$(id -u dt_none) --regid=\$(id -g dt_none) --clear-groups ls '$M/2024/contracts')\" ]"
check "thumbnailers are refused records above internal" sh -c "
	cp /bin/cat '$T/tumblerd' && chmod 755 '$T/tumblerd' &&
	! '$T/tumblerd' '$C/CD.txt' >/dev/null 2>&1 && '$T/tumblerd' '$C/ID.txt' >/dev/null"
check "explain names the deciding rule and what would allow it" sh -c "
	$CTL explain '$C/CD.txt' --user dt_s3 | grep '^read' | grep -q 'rule' &&
	$CTL explain '$C/CD.txt' --user dt_s3 | grep '^read' | grep -q 'grant approved by gm or deputy_gm'"
# the audit trail: one row per action, refusals included
as dt_s1 sh -c "printf 'audited\n' > '$C/AU.txt'"
as dt_s1 cat "$C/AU.txt" >/dev/null
as dt_s2 cat "$C/AU.txt" >/dev/null 2>&1
check "a save, a read and a refusal are one audit row each" sh -c "
	$CTL audit --path '$C/AU.txt' > '$T/audit' &&
	[ \$(grep -c 'dt_s1.*create' '$T/audit') -eq 1 ] &&
	[ \$(grep -c 'dt_s1.*read' '$T/audit') -eq 1 ] &&
	[ \$(grep -c 'dt_s2.*open' '$T/audit') -eq 1 ]"
check "dossierctl audit --denied shows the refusals" sh -c "
	$CTL audit --denied > '$T/denied' && grep -q 'dt_s2.*open.*AU.txt' '$T/denied' &&
	! grep -q 'dt_s1.*create' '$T/denied'"
check "only auditors read the audit trail" sh -c "
	setpriv --reuid=\$(id -u dt_aud) --regid=\$(id -g dt_aud) --clear-groups $CTL audit --limit 5 >/dev/null &&
	! setpriv --reuid=\$(id -u dt_s1) --regid=\$(id -g dt_s1) --clear-groups $CTL audit --limit 5 2>/dev/null"
check "an owner deletes their record" expect OK unlink "$C/ID.txt"
umount_fs

# the reading-room site
mount_fs -o site=reading-room
check "secret records are read at the reading room by gm" sh -c "
	[ \$(setpriv --reuid=\$(id -u dt_gm) --regid=\$(id -g dt_gm) --clear-groups '$FSOP' read '$C/SD.txt') = OK ]"
check "the marketing director reads company-level secret records there" sh -c "
	[ \$(setpriv --reuid=\$(id -u dt_mkt) --regid=\$(id -g dt_mkt) --clear-groups '$FSOP' read '$C/SC.txt') = OK ] &&
	[ \$(setpriv --reuid=\$(id -u dt_dir) --regid=\$(id -g dt_dir) --clear-groups '$FSOP' read '$C/SC.txt') = ENOENT ]"
check "... and still not by the owner" sh -c "
	[ \$(setpriv --reuid=\$(id -u dt_s1) --regid=\$(id -g dt_s1) --clear-groups '$FSOP' read '$C/SD.txt') = ENOENT ]"
check "topsecret content is never retrieved, even there" sh -c "
	[ \$(setpriv --reuid=\$(id -u dt_gm) --regid=\$(id -g dt_gm) --clear-groups '$FSOP' read '$C/TD.txt') = EACCES ]"
check "the catalog and repository are root's only" sh -c "
	[ \$(stat -c %a '$A') = 700 ] && [ \$(stat -c %a '$A/catalog.db') = 600 ]"
finish
