#!/bin/sh
# Windows users through Samba: a real smbd on 127.0.0.1 (a free port, a
# private configuration and state under the test folder) serves the
# mount with the shipped share (mount-helpers/samba/smb.conf.example),
# and smbclient acts as a salesperson, colleagues without the right, gm
# and staff: what each may do, what each sees, Word's save sequence, and
# history as Previous Versions (@GMT tokens).
. "$(dirname "$0")/lib.sh"

CTL="$BUILD/dossierctl -a $A"
SMB=$T/smb
SMBPID=
SMBGONE=

# smbd runs in a session of its own (it signals its whole process group
# when it stops): stop that group, by its id
smb_stop() {
	[ -n "$SMBPID" ] || return 0
	kill -TERM "-$SMBPID" 2>/dev/null || kill -TERM "$SMBPID" 2>/dev/null
	i=0
	while pgrep -g "$SMBPID" >/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "-$SMBPID" 2>/dev/null
	wait "$SMBPID" 2>/dev/null
	SMBGONE=$SMBPID
	SMBPID=
}
trap 'smb_stop; cleanup' EXIT INT TERM

for p in smbd smbclient smbpasswd; do
	command -v $p >/dev/null || {
		echo "not ok - $p is missing (tests/tools/install-deps.sh installs samba)"
		exit 1
	}
done
[ -n "$(find /usr/lib -name shadow_copy2.so 2>/dev/null | head -1)" ] || {
	echo "not ok - samba-vfs-modules is missing"
	exit 1
}

new_archive
# name role dept
while read -r u role dept; do
	ensure_user "$u"
	$CTL user add "$u" --role "$role" --dept "$dept" >/dev/null ||
		echo "cannot map $u" >&2
done <<'USERS'
sb_gm gm management
sb_s1 sales sales
sb_s2 sales service
sb_staff staff sales
sb_mkt director marketing
USERS
mount_fs
D='2024/contracts/ACME Ltd'
C="$M/$D"
mkdir -p "$C" && setfattr -n user.dossier.dept -v sales "$C"
printf 'top secret\n' > "$C/TS.txt" &&
	setfattr -n user.dossier.level -v topsecret "$C/TS.txt"

# a private smbd: every path under the test folder, a free port
mkdir -p "$SMB/private" "$SMB/lock" "$SMB/state" "$SMB/cache" "$SMB/pid" \
	"$SMB/log" "$SMB/ncalrpc"
PORT=$((20000 + $$ % 20000))
while ss -ltn 2>/dev/null | grep -q ":$PORT "; do PORT=$((PORT + 1)); done
cat > "$SMB/smb.conf" <<CONF
[global]
	workgroup = DOSSIERTEST
	server role = standalone server
	interfaces = 127.0.0.1
	bind interfaces only = yes
	smb ports = $PORT
	disable netbios = yes
	server min protocol = SMB2_10
	passdb backend = tdbsam:$SMB/private/passdb.tdb
	private dir = $SMB/private
	lock directory = $SMB/lock
	state directory = $SMB/state
	cache directory = $SMB/cache
	pid directory = $SMB/pid
	ncalrpc dir = $SMB/ncalrpc
	log file = $SMB/log/log.%m
	load printers = no
	printcap name = /dev/null
	disable spoolss = yes
	unix charset = UTF-8
CONF
# the shipped shares: [archive] on this mount, [views] under $V
V=$T/smbv
sed -n '/^\[archive\]/,$p' \
	"$(dirname "$0")/../../mount-helpers/samba/smb.conf.example" |
	sed -e "/^\[archive\]/,/^\[/s|^\([[:space:]]*path = \).*|\1$M|" \
		-e "s|/usr/local/bin/dossierctl|$BUILD/dossierctl -a $A|" \
		-e "s|/run/dossierfs-smb|$V|g" >> "$SMB/smb.conf"
smbd --foreground -s "$SMB/smb.conf" --debug-stdout -d1 \
	>"$SMB/smbd.out" 2>&1 &
SMBPID=$!
for u in sb_gm sb_s1 sb_s2 sb_staff sb_mkt; do
	printf 'pw\npw\n' | smbpasswd -c "$SMB/smb.conf" -a -s "$u" \
		>/dev/null 2>&1 || echo "cannot add $u to the passdb" >&2
done
i=0
until ss -ltn 2>/dev/null | grep -q "127.0.0.1:$PORT "; do
	i=$((i + 1))
	if [ $i -gt 200 ] || ! kill -0 "$SMBPID" 2>/dev/null; then
		echo "not ok - smbd did not start"
		sed 's/^/#   /' "$SMB/smbd.out" | tail -10
		exit 1
	fi
	sleep 0.1
done

check "smbd runs in a process group of its own" sh -c "
	[ \$(ps -o pgid= -p $SMBPID) = $SMBPID ] && [ \$(pgrep -g $SMBPID | wc -l) -gt 1 ]"

# smbclient as USER, in the client folder unless -r (share root)
sc() {
	u=$1
	shift
	if [ "$1" = -r ]; then
		shift
		smbclient -p "$PORT" //127.0.0.1/archive -U "$u%pw" -c "$*" 2>&1
	else
		smbclient -p "$PORT" //127.0.0.1/archive -U "$u%pw" -D "$D" \
			-c "$*" 2>&1
	fi
}
# ok USER COMMANDS: no NT_STATUS error
ok() {
	sc "$@" > "$T/sc.out"
	! grep NT_STATUS "$T/sc.out"
}
# says STATUS USER COMMANDS: the output has NT_STATUS_STATUS
says() {
	want=$1
	shift
	sc "$@" > "$T/sc.out"
	grep -q "NT_STATUS_$want" "$T/sc.out" || { cat "$T/sc.out"; return 1; }
}
printf 'one\n' > "$T/one"
printf 'two\n' > "$T/two"
printf 'three\n' > "$T/three"
printf 'mine\n' > "$T/mine"

# 1. a salesperson in a client folder of their department
check "salesperson: put" ok sb_s1 "put $T/one new.txt"
check "salesperson: rename" ok sb_s1 "rename new.txt moved.txt"
check "salesperson: mkdir" ok sb_s1 "mkdir Visits"
check "salesperson: put into the sub-folder" ok sb_s1 "put $T/one Visits/v.txt"
check "the records are the salesperson's, in place" sh -c "
	[ \"\$(stat -c %U '$C/moved.txt')\" = sb_s1 ] && [ -f '$C/Visits/v.txt' ] &&
	[ ! -e '$C/new.txt' ]"
check "salesperson: delete" ok sb_s1 "del moved.txt"
check "the deleted record lands in /.trash" sh -c "
	[ ! -e '$C/moved.txt' ] && ls '$M/.trash/$D' | grep -qx moved.txt"

# 2. staff, and a salesperson of another department, without the right
sc sb_s1 "put $T/mine keep.txt" >/dev/null
check "the folder's ACL now gives the salesperson rwx, staff r-x" sh -c "
	getfacl -cp '$C' 2>/dev/null | grep -qx 'user:sb_s1:rwx' &&
	getfacl -cp '$C' 2>/dev/null | grep -qx 'user:sb_staff:r-x'"
check "staff: put is ACCESS_DENIED" sh -c "
	$(command -v smbclient) -p $PORT //127.0.0.1/archive -U sb_staff%pw -D '$D' \
		-c 'put $T/one staff.txt' 2>&1 | grep -q NT_STATUS_ACCESS_DENIED &&
	[ ! -e '$C/staff.txt' ]"
check "staff: mkdir is ACCESS_DENIED" says ACCESS_DENIED sb_staff "mkdir S"
check "staff: delete is ACCESS_DENIED" says ACCESS_DENIED sb_staff "del keep.txt"
check "staff: rename is ACCESS_DENIED" says ACCESS_DENIED sb_staff "rename keep.txt k.txt"
check "other department: delete is ACCESS_DENIED" says ACCESS_DENIED sb_s2 "del keep.txt"
check "other department: rename is ACCESS_DENIED" says ACCESS_DENIED sb_s2 "rename keep.txt k2.txt"
check "other department: get is ACCESS_DENIED" says ACCESS_DENIED sb_s2 "get keep.txt $T/stolen"
# a company-level record the marketing director may read, not change
sc sb_s1 "put $T/one co.txt" >/dev/null
setfattr -n user.dossier.scope -v company "$C/co.txt"
check "the marketing director reads a company-level record" ok sb_mkt "get co.txt $T/co"
check "but may not delete it: ACCESS_DENIED, and it stays" sh -c "
	$(command -v smbclient) -p $PORT //127.0.0.1/archive -U sb_mkt%pw -D '$D' \
		-c 'del co.txt' 2>&1 | grep -q NT_STATUS_ACCESS_DENIED && [ -e '$C/co.txt' ]"
check "nor overwrite it" says ACCESS_DENIED sb_mkt "put $T/two co.txt"
check "the record is untouched, nothing was read" sh -c "
	cmp '$C/co.txt' '$T/one' &&
	[ \"\$(cat '$C/keep.txt')\" = mine ] && [ ! -e '$C/k.txt' ] &&
	[ ! -e '$C/k2.txt' ] && [ ! -s '$T/stolen' ] && [ ! -e '$C/S' ]"

# 3. a record the caller may not list does not exist for them over SMB
check "the salesperson's listing has no topsecret record" sh -c "
	sc() { $(command -v smbclient) -p $PORT //127.0.0.1/archive -U \$1%pw -D '$D' -c \"\$2\" 2>&1; }
	sc sb_s1 ls > '$T/ls' && grep -q keep.txt '$T/ls' && ! grep -q TS.txt '$T/ls' &&
	sc sb_gm ls | grep -q TS.txt"
check "allinfo of it: OBJECT_NAME_NOT_FOUND" says OBJECT_NAME_NOT_FOUND sb_s1 "allinfo TS.txt"
check "get of it: OBJECT_NAME_NOT_FOUND" says OBJECT_NAME_NOT_FOUND sb_s1 "get TS.txt $T/ts"
check "nothing of it was read" test ! -s "$T/ts"

# 4. Previous Versions: a record saved three times over SMB
sc sb_s1 "put $T/one r.txt" >/dev/null
sleep 1.1
sc sb_s1 "put $T/two r.txt" >/dev/null
sleep 1.1
sc sb_s1 "put $T/three r.txt" >/dev/null
$CTL log "$C/r.txt" > "$T/log"
# dossierctl log's times as tokens: 2026-12-04T16:19:52Z -> @GMT-2026.12.04-16.19.52
sed -n 's/^\([0-9]*\)-\([0-9]*\)-\([0-9]*\)T\([0-9]*\):\([0-9]*\):\([0-9]*\)Z .*/@GMT-\1.\2.\3-\4.\5.\6/p' \
	"$T/log" > "$T/tokens"
old=$(sed -n 1p "$T/tokens")
mid=$(sed -n 2p "$T/tokens")
check "three versions, three distinct seconds" sh -c "
	[ \$(sort -u '$T/tokens' | wc -l) -eq 3 ]"
check "allinfo lists the three versions as @GMT tokens" sh -c "
	$(command -v smbclient) -p $PORT //127.0.0.1/archive -U sb_s1%pw -D '$D' \
		-c 'allinfo r.txt' > '$T/ai' 2>&1 && [ -s '$T/tokens' ] &&
	while read -r tok; do grep -qx \"\$tok\" '$T/ai' || exit 1; done < '$T/tokens'"
check "get of the oldest @GMT path returns the first bytes" sh -c "
	$(command -v smbclient) -p $PORT //127.0.0.1/archive -U sb_s1%pw \
		-c 'get \"$old/$D/r.txt\" $T/got1' >/dev/null 2>&1 && cmp '$T/got1' '$T/one'"
check "get of the middle one returns the second bytes" sh -c "
	$(command -v smbclient) -p $PORT //127.0.0.1/archive -U sb_s1%pw \
		-c 'get \"$mid/$D/r.txt\" $T/got2' >/dev/null 2>&1 && cmp '$T/got2' '$T/two'"
check "reading a version is audited, as a read by that user" sh -c "
	i=0
	until $CTL audit --user sb_s1 | grep 'read' | grep 'r.txt' | grep -q 'version'; do
		i=\$((i + 1)); [ \$i -lt 50 ] || { $CTL audit --user sb_s1 | tail -5; exit 1; }
		sleep 0.1
	done"
check "an @GMT path is read-only" sh -c "
	$(command -v smbclient) -p $PORT //127.0.0.1/archive -U sb_s1%pw \
		-c 'put $T/one \"$old/$D/r.txt\"' 2>&1 | grep -q NT_STATUS &&
	cmp '$C/r.txt' '$T/three'"
check "no .snapshots in listings (SMB and the mount)" sh -c "
	$(command -v smbclient) -p $PORT //127.0.0.1/archive -U sb_s1%pw -D '$D' \
		-c 'ls' > '$T/ls2' 2>&1 && grep -q r.txt '$T/ls2' &&
	! grep -q snapshots '$T/ls2' && ! ls -A '$C' | grep -q snapshots"
check "a version's inode is no live record's" sh -c "
	live=\$(stat -c %i '$C/r.txt') && v=\$(stat -c %i '$C/.snapshots/$old/r.txt') &&
	[ \"\$live\" != \"\$v\" ] && [ \$v -gt 281474976710656 ]"
check "staff (no history right) sees the record but no versions" sh -c "
	$(command -v smbclient) -p $PORT //127.0.0.1/archive -U sb_staff%pw -D '$D' \
		-c 'allinfo r.txt' > '$T/ai2' 2>&1
	grep -q '^create_time' '$T/ai2' && ! grep -q '^@GMT' '$T/ai2'"
check "nor can staff open one by its path" says OBJECT_NAME_NOT_FOUND \
	sb_staff -r "get \"$old/$D/r.txt\" $T/got3"
check "nor the other department's salesperson" sh -c "
	$(command -v smbclient) -p $PORT //127.0.0.1/archive -U sb_s2%pw -D '$D' \
		-c 'allinfo r.txt' > '$T/ai3' 2>&1
	grep -q '^create_time' '$T/ai3' && ! grep -q '^@GMT' '$T/ai3'"
check "gm, who may read the history, gets them" sh -c "
	$(command -v smbclient) -p $PORT //127.0.0.1/archive -U sb_gm%pw -D '$D' \
		-c 'allinfo r.txt' 2>&1 | grep -qx '$old'"
check "the folder itself has Previous Versions" sh -c "
	$(command -v smbclient) -p $PORT //127.0.0.1/archive -U sb_s1%pw \
		-c 'allinfo \"$D\"' 2>&1 | grep -qx '$old'"
check "a topsecret record is in no snapshot of the salesperson's" sh -c "
	! setpriv --reuid=\$(id -u sb_s1) --regid=\$(id -g sb_s1) --clear-groups \
		ls '$C/.snapshots/$old' | grep -q TS.txt &&
	setpriv --reuid=\$(id -u sb_gm) --regid=\$(id -g sb_gm) --clear-groups \
		ls '$C/.snapshots/$old' | grep -q r.txt"
check "nor reachable by its @GMT path" says OBJECT_NAME_NOT_FOUND \
	sb_s1 -r "get \"$old/$D/TS.txt\" $T/ts2"
n=$($CTL log "$C/r.txt" | wc -l)
check "copying an old version back is a save recorded as a restore" sh -c "
	$(command -v smbclient) -p $PORT //127.0.0.1/archive -U sb_s1%pw -D '$D' \
		-c 'put $T/got2 r.txt' >/dev/null 2>&1 && cmp '$C/r.txt' '$T/two' &&
	$CTL log '$C/r.txt' > '$T/log2' && [ \$(wc -l < '$T/log2') -eq $((n + 1)) ] &&
	tail -1 '$T/log2' | grep -q 'sb_s1 *restore'"

# 5. Word and Excel over SMB: one history entry by that user, no trash
sc sb_s1 "put $T/one Report.docx" >/dev/null
sc sb_s1 "put $T/one Book1.xlsx" >/dev/null
$CTL log "$C/Report.docx" > "$T/wlog"
ls -R "$M/.trash" > "$T/trash0"
check "Word's save sequence succeeds" ok sb_s1 \
	"put $T/mine ~\$port.docx; put $T/two ~WRD0000.tmp;" \
	"rename Report.docx ~WRL0001.tmp; rename ~WRD0000.tmp Report.docx;" \
	"del ~WRL0001.tmp; del ~\$port.docx"
check "it is one history entry, a save by the salesperson" sh -c "
	$CTL log '$C/Report.docx' > '$T/wlog2' &&
	[ \$(wc -l < '$T/wlog2') -eq \$((\$(wc -l < '$T/wlog') + 1)) ] &&
	tail -1 '$T/wlog2' | grep -q 'sb_s1 *save' && cmp '$C/Report.docx' '$T/two'"
check "Excel's save sequence succeeds" ok sb_s1 \
	"put $T/three Cedd4100; del Book1.xlsx; rename Cedd4100 Book1.xlsx"
check "it is one save too" sh -c "
	$CTL log '$C/Book1.xlsx' > '$T/xlog' && [ \$(wc -l < '$T/xlog') -eq 2 ] &&
	tail -1 '$T/xlog' | grep -q 'sb_s1 *save' && cmp '$C/Book1.xlsx' '$T/three'"
check "nothing of them in the trash, no temp left" sh -c "
	ls -R '$M/.trash' | diff '$T/trash0' - && ! ls -A '$C' | grep -q -e '~' -e Cedd"

# 6. one name however it is spelled
nfd=$(printf 'cafe\314\201.txt')
nfc=$(printf 'caf\303\251.txt')
check "NFD and NFC spellings over SMB are one record" sh -c "
	$(command -v smbclient) -p $PORT //127.0.0.1/archive -U sb_s1%pw -D '$D' \
		-c 'put $T/one \"$nfd\"; put $T/two \"$nfc\"; ls caf*' > '$T/nf' 2>&1 &&
	[ \$(grep -c '^  caf' '$T/nf') -eq 1 ] && cmp '$C/$nfc' '$T/two' &&
	[ \$(ls '$C' | grep -c caf) -eq 1 ]"

# 7. the [views] share: each user's own view, opened for Samba at connect
VD=$V/sb_s1/archive
# sb_s1's smbclient on [views], for the checks' shells
VSC="$(command -v smbclient) -p $PORT //127.0.0.1/views -U sb_s1%pw -D '$D'"
check "a salesperson's [views] share is their view: put" sh -c "
	$VSC -c 'put $T/one viaview.txt' > '$T/v1' 2>&1 &&
	! grep NT_STATUS '$T/v1' &&
	cmp '$C/viaview.txt' '$T/one' && [ \"\$(stat -c %U '$C/viaview.txt')\" = sb_s1 ]"
check "the daemon serves it as a view for Samba at the share's path" sh -c "
	$CTL views | grep -qx 'sb_s1	$VD	samba'"
check "the folder above it is the user's alone" sh -c "
	[ \"\$(stat -c '%U %a' '$V/sb_s1')\" = 'sb_s1 700' ]"
check "it lists what the salesperson may see, not the topsecret record" sh -c "
	$VSC -c 'ls' > '$T/v2' 2>&1 && grep -q viaview.txt '$T/v2' &&
	! grep -q TS.txt '$T/v2'"
check "Previous Versions there too" sh -c "
	$VSC -c 'allinfo r.txt' 2>&1 | grep -qx '$old'"
check "another user cannot enter it (the kernel refuses)" sh -c "
	! setpriv --reuid=\$(id -u sb_s2) --regid=\$(id -g sb_s2) --clear-groups \
		ls '$VD' 2> '$T/v3' && grep -q 'Permission denied' '$T/v3'"
check "another user let in by a working folder is refused by the daemon" sh -c "
	cd '$VD/$D' && ! setpriv --reuid=\$(id -u sb_s2) --regid=\$(id -g sb_s2) \
		--clear-groups cat viaview.txt 2> '$T/v4' &&
	grep -q 'Permission denied' '$T/v4' &&
	! setpriv --reuid=\$(id -u sb_s2) --regid=\$(id -g sb_s2) --clear-groups \
		ls . 2>/dev/null"
check "a deletion on the shared mount is gone from the view within a second" sh -c "
	rm '$C/viaview.txt' && i=0 &&
	while $VSC -c 'ls' 2>&1 | grep -q viaview.txt; do
		i=\$((i + 1)); [ \$i -lt 10 ] || exit 1; sleep 0.1
	done"
check "a user may not ask for a view for Samba (it admits root)" sh -c "
	mkdir -p '$T/own' && chown sb_s2 '$T/own' &&
	! setpriv --reuid=\$(id -u sb_s2) --regid=\$(id -g sb_s2) --clear-groups \
		$BUILD/dossierctl -a $A mount --user sb_s2 --samba '$T/own/v' 2> '$T/v5' &&
	grep -q 'only root may open a view for Samba' '$T/v5'"
check "a view for Samba needs the folder above it to be the user's alone" sh -c "
	mkdir -p '$T/open/v' && chmod 755 '$T/open' &&
	! $CTL mount --user sb_s2 --samba '$T/open/v' 2> '$T/v6' &&
	grep -q \"must be the user's alone\" '$T/v6' && ! $CTL views | grep -q '$T/open'"
check "dossierctl unmount ends the view" sh -c "
	$CTL unmount '$VD' >/dev/null && ! $CTL views | grep -q '$VD'"

smb_stop
check "smbd and its children are gone" sh -c "
	[ -n '$SMBGONE' ] && ! pgrep -g '$SMBGONE' >/dev/null"
finish
