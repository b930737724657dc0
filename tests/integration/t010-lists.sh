#!/bin/sh
# Lists follow visibility: what dossierctl prints (grants, trash, due,
# log, show, diff, explain, restore, grant, restore-deleted) names a
# record only to a caller who may list it now; a hidden path answers
# byte for byte as a path nobody has; an unmapped account learns nothing
# through the control channel (not the users, not the policy, no paths).
. "$(dirname "$0")/lib.sh"

new_archive
CTL="$BUILD/dossierctl -a $A"
map_users $CTL <<'USERS'
lt_gm gm management
lt_mgr manager sales
lt_s1 sales sales
lt_s3 sales service
lt_staff staff sales
lt_aud auditor audit
USERS
ensure_user lt_none
mount_fs
C="$M/2024/contracts/ACME Ltd"
mkdir -p "$C"
# mk NAME LEVEL SCOPE: a record of lt_s1 (sales), committed
mk() {
	printf 'v1 of %s\n' "$1" > "$C/$1" &&
	printf 'v2 of %s\n' "$1" > "$C/$1" &&
	setfattr -n user.dossier.owner -v lt_s1 "$C/$1" &&
	setfattr -n user.dossier.dept -v sales "$C/$1" &&
	setfattr -n user.dossier.scope -v "$3" "$C/$1" &&
	setfattr -n user.dossier.level -v "$2" "$C/$1"
}
mk Vis.txt internal department
mk Pers.txt internal personal
mk Sec.txt secret department
mk GrantS3.txt confidential department
mk GrantStaff.txt internal department
mk VisGrant.txt confidential department
mk DelPers.txt internal personal
mk DelSec.txt secret department
$CTL sync >/dev/null

# vis USER ERRNO PATH: stat as USER answers ERRNO
vis() {
	got=$(as "$1" "$FSOP" stat "$3")
	[ "$got" = "$2" ] || { echo "$1 stat $3: got $got, want $2"; return 1; }
}
check "gm lends a confidential record to lt_s3" \
	as lt_gm $CTL grant "$C/GrantS3.txt" --user lt_s3 --read --for 1h --reason loan
check "gm lends another one to lt_s3" \
	as lt_gm $CTL grant "$C/VisGrant.txt" --user lt_s3 --read --for 1h --reason loan
check "the sales manager lends an internal record to lt_staff" \
	as lt_mgr $CTL grant "$C/GrantStaff.txt" --user lt_staff --read --for 1h --reason loan
# then both lent records become secret: hidden from their grantee and
# from the manager who approved one of them
setfattr -n user.dossier.level -v secret "$C/GrantS3.txt"
setfattr -n user.dossier.level -v secret "$C/GrantStaff.txt"
check "the owner deletes a personal record" as lt_s1 rm "$C/DelPers.txt"
# Twin.txt: lt_s3 sees it deleted; later a secret record takes the name
mk Twin.txt internal department
$CTL sync >/dev/null
check "the owner deletes Twin.txt" as lt_s1 rm "$C/Twin.txt"
# a secret record is changed (so deleted) only in the reading room
umount_fs
mount_fs -o site=reading-room
check "gm deletes a secret record in the reading room" as lt_gm rm "$C/DelSec.txt"
umount_fs
mount_fs
# (well after the delete's save window: this is a new record)
printf 'secret twin\n' > "$C/Twin.txt"
setfattr -n user.dossier.level -v secret "$C/Twin.txt"
$CTL sync >/dev/null
# records past retention
$CTL category retention contracts 5 >/dev/null
O="$M/2001/contracts/Old Client"
mkdir -p "$O"
printf 'old\n' > "$O/OldVis.txt"
printf 'old secret\n' > "$O/OldSec.txt"
setfattr -n user.dossier.level -v secret "$O/OldSec.txt"
$CTL sync >/dev/null

setup_vis() {
	vis lt_s3 OK "$C/Vis.txt" && vis lt_s3 ENOENT "$C/Pers.txt" &&
	vis lt_s3 ENOENT "$C/Sec.txt" && vis lt_s3 ENOENT "$C/GrantS3.txt" &&
	vis lt_s3 OK "$C/VisGrant.txt" && vis lt_staff OK "$C/Pers.txt" &&
	vis lt_staff ENOENT "$C/GrantStaff.txt" &&
	vis lt_mgr ENOENT "$C/GrantStaff.txt" && vis lt_aud ENOENT "$C/Pers.txt" &&
	vis lt_aud OK "$O/OldVis.txt" && vis lt_aud ENOENT "$O/OldSec.txt" &&
	vis lt_gm OK "$C/Sec.txt" && vis lt_none ENOENT "$C/Vis.txt" &&
	vis lt_s3 ENOENT "$C/Twin.txt" && vis lt_mgr ENOENT "$C/Twin.txt"
}
check "set-up: who sees what" setup_vis

# hides USER 'NAMES' CMD...: CMD as USER names none of NAMES
hides() {
	u=$1 names=$2
	shift 2
	as "$u" $CTL "$@" > "$T/list.out" 2>&1
	for nm in $names; do
		if grep -qF "$nm" "$T/list.out"; then
			echo "not ok - '$*' as $u names hidden $nm"
			sed 's/^/#   /' "$T/list.out" | head -10
			FAILS=$((FAILS + 1))
			return
		fi
	done
	echo "ok - '$*' as $u names none of: $names"
}
# shows USER NAME CMD...: CMD as USER names NAME (the filter keeps it)
shows() {
	u=$1 nm=$2
	shift 2
	check "'$*' as $u shows $nm" sh -c "
		setpriv --reuid=\$(id -u $u) --regid=\$(id -g $u) --clear-groups $CTL $* | grep -qF '$nm'"
}

# grants: the caller's own, or all for policy editors and auditors,
# but only those on records the caller may list now
hides lt_s3 "GrantS3 GrantStaff" grants
shows lt_s3 VisGrant.txt grants
hides lt_staff "GrantS3 GrantStaff" grants
hides lt_mgr "GrantS3 GrantStaff" grants
hides lt_aud "GrantS3 GrantStaff" grants
shows lt_aud VisGrant.txt grants
shows lt_gm GrantS3.txt grants
shows lt_gm GrantStaff.txt grants
# trash
hides lt_s3 "DelPers DelSec" trash
hides lt_aud "DelPers DelSec" trash
hides lt_staff "DelSec" trash
shows lt_staff DelPers.txt trash
shows lt_gm DelSec.txt trash
hides lt_s3 "DelPers DelSec" trash --user lt_s1
# due: a reader's list holds only what they may list
hides lt_aud "OldSec" due
shows lt_aud OldVis.txt due
shows lt_gm OldSec.txt due

# same USER HIDDEN ABSENT 'CMD' [HNAME NNAME]: CMD (a shell snippet,
# "$1" = the path) as USER gives the same output and status for the
# hidden record as for a name nobody has (the names themselves aside:
# HNAME and NNAME, else the paths' last components)
same() {
	u=$1 h=$2 n=$3 snip=$4
	hb=${5:-$(basename "$h")} nb=${6:-$(basename "$n")}
	as "$u" sh -c "$CTL $snip" sh "$h" > "$T/h.out" 2>&1
	echo "status $?" >> "$T/h.out"
	as "$u" sh -c "$CTL $snip" sh "$n" > "$T/n.raw" 2>&1
	echo "status $?" >> "$T/n.raw"
	sed "s|$(printf '%s' "$nb" | sed 's/[.]/\\./g')|$hb|g" "$T/n.raw" > "$T/n.out"
	if cmp -s "$T/h.out" "$T/n.out"; then
		echo "ok - $u: '$snip' on hidden $hb answers as on absent $nb"
	else
		echo "not ok - $u: '$snip' on hidden $hb differs from absent $nb"
		diff "$T/n.out" "$T/h.out" | sed 's/^/#   /' | head -10
		FAILS=$((FAILS + 1))
	fi
}
for u in lt_s3 lt_staff lt_mgr lt_aud lt_none; do
	for snip in 'log "$1"' 'show "$1" abcd' 'diff "$1"' 'explain "$1"' \
		'explain "$1" --user lt_s1' 'restore "$1" abcd --reason x' \
		'grant "$1" --user lt_s1 --read --for 1h --reason x' \
		'restore-deleted "$1"'; do
		same $u "$C/Sec.txt" "$C/Nob.txt" "$snip"
	done
	same $u "$C/DelSec.txt" "$C/DelNob.txt" 'log "$1"'
	same $u "$C/DelSec.txt" "$C/DelNob.txt" 'restore-deleted "$1"'
	same $u "$C/GrantS3.txt" "$C/NobodyS3.txt" 'explain "$1"'
done
for snip in 'log "$1"' 'explain "$1"' 'restore-deleted "$1"'; do
	same lt_s3 "$C/Pers.txt" "$C/Nobo.txt" "$snip"
	same lt_s3 "$C/DelPers.txt" "$C/DelNobo.txt" "$snip"
done
same lt_s3 "$C/Sec.txt/x" "$C/Nob.txt/x" 'log "$1"' Sec.txt Nob.txt
# by id: a hidden deleted record's id answers as an id nobody has
id=$($CTL trash | awk '/DelSec.txt/ {print $1}')
check "root's trash gives DelSec.txt's id" test -n "$id"
for u in lt_s3 lt_aud lt_none; do
	same $u "$id" 9999999 'restore-deleted "$1"'
	same $u "$id" 9999999 'hold "$1" --reason x'
done

# revoke: a grant on a hidden record answers as a grant nobody has
gid=$($CTL grants | awk '/GrantStaff.txt/ {print $1}')
check "root's grants give GrantStaff.txt's grant id" test -n "$gid"
for u in lt_s3 lt_aud lt_none; do
	same $u "$gid" 9999999 'revoke "$1"'
done
check "the holder of a grant on a record now hidden may still end it" \
	as lt_staff $CTL revoke "$gid"
check "the approver revokes a grant on a record they still see" sh -c "
	id=\$($CTL grants | awk '/VisGrant.txt/ {print \$1}') &&
	setpriv --reuid=\$(id -u lt_gm) --regid=\$(id -g lt_gm) --clear-groups $CTL revoke \$id"

# a name a hidden live record shares with a deleted one the caller saw:
# the deleted one's history still answers (the hidden one hides nothing)
check "the deleted twin's log answers the department manager" sh -c "
	setpriv --reuid=\$(id -u lt_mgr) --regid=\$(id -g lt_mgr) --clear-groups $CTL log '$C/Twin.txt' > '$T/twin.out' &&
	tail -1 '$T/twin.out' | grep -q ' delete '"
check "explain answers for the deleted twin to another department" sh -c "
	setpriv --reuid=\$(id -u lt_s3) --regid=\$(id -g lt_s3) --clear-groups $CTL explain '$C/Twin.txt' | grep -q '^read'"

# an unmapped account: refused, and nothing named
check "an unmapped account is refused the user list" sh -c "
	! setpriv --reuid=\$(id -u lt_none) --regid=\$(id -g lt_none) --clear-groups $CTL user list > '$T/u.out' 2>&1 &&
	! grep -q lt_ '$T/u.out'"
check "an unmapped account is refused the policy" sh -c "
	! setpriv --reuid=\$(id -u lt_none) --regid=\$(id -g lt_none) --clear-groups $CTL policy show > '$T/p.out' 2>&1 &&
	! grep -q rule '$T/p.out'"
hides lt_none "txt lt_ Client ACME" grants
hides lt_none "txt lt_ Client ACME" trash
hides lt_none "txt lt_ Client ACME" due
hides lt_none "txt lt_ Client ACME" register
check "an unmapped account is told it is not a user of the archive" sh -c "
	! setpriv --reuid=\$(id -u lt_none) --regid=\$(id -g lt_none) --clear-groups $CTL trash --user lt_s1 > '$T/t.out' 2>&1 &&
	! setpriv --reuid=\$(id -u lt_none) --regid=\$(id -g lt_none) --clear-groups $CTL trash --user lt_nobody > '$T/t2.out' 2>&1 &&
	sed s/lt_nobody/lt_s1/ '$T/t2.out' | cmp -s - '$T/t.out'"
# mapped users still get their lists
check "a mapped salesperson still lists the users" sh -c "
	setpriv --reuid=\$(id -u lt_s3) --regid=\$(id -g lt_s3) --clear-groups $CTL user list | grep -q lt_gm"
check "root still reads the policy" sh -c "$CTL policy show | grep -q rule"
check "the owner's log still answers" sh -c "
	setpriv --reuid=\$(id -u lt_s1) --regid=\$(id -g lt_s1) --clear-groups $CTL log '$C/Pers.txt' | grep -q save"
umount_fs
finish
