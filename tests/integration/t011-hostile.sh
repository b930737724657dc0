#!/bin/sh
# A curious local user against the classification (issue 11): a control
# request handed to a setuid program, editors' scratch files of a secret
# record, another user finishing an editor's save dance, existence
# oracles of every call that names a hidden record, and access taken
# away from descriptors and mappings already open.
. "$(dirname "$0")/lib.sh"

HOSTILE=$BUILD/tests/hostile
CTL0="$BUILD/dossierctl"
new_archive
CTL="$CTL0 -a $A"
map_users $CTL <<'USERS'
hz_gm gm management
hz_dgm deputy_gm management
hz_mkt director marketing
hz_arch archivist archives
hz_s1 sales sales
hz_s2 sales sales
hz_mgr manager sales
USERS
mount_fs -o site=reading-room
C="$M/2024/contracts/ACME Ltd"
mkdir -p "$C"
chmod 777 "$T"

# record NAME LEVEL SCOPE TEXT: owned by hz_s1 of sales
record() {
	put_record "$C/$1" "$4" hz_s1 sales "$3" "$2"
}

# ---- 1. the control channel acts for the process that opened it ----
cp "$HOSTILE" "$T/suid-reader" && chown root:root "$T/suid-reader" &&
	chmod 4755 "$T/suid-reader"
check "a setuid reader of a salesperson's control request does not run it as root" sh -c "
	setpriv --reuid=\$(id -u hz_s1) --regid=\$(id -g hz_s1) --clear-groups \
		'$HOSTILE' ctlsend '$M' 'policy-set|trash-days|7' '$T/suid-reader' > '$T/ctl1' &&
	head -1 '$T/ctl1' | grep -q '^1' &&
	! $CTL policy | grep -q 'trash-days.*7'"
ensure_user hz_evil
check "nor maps the salesperson's second account as an archivist" sh -c "
	setpriv --reuid=\$(id -u hz_s1) --regid=\$(id -g hz_s1) --clear-groups \
		'$HOSTILE' ctlsend '$M' 'user-add|hz_evil|archivist' '$T/suid-reader' > '$T/ctl2' &&
	head -1 '$T/ctl2' | grep -q '^1' && ! $CTL user list | grep -q hz_evil"
check "the request is the opener's: whoami answers hz_s1's uid through the setuid reader" sh -c "
	[ \"\$(setpriv --reuid=\$(id -u hz_s1) --regid=\$(id -g hz_s1) --clear-groups \
		'$HOSTILE' ctlsend '$M' 'whoami' '$T/suid-reader' | sed -n 2p)\" = \$(id -u hz_s1) ]"
check "root's own request still runs as root" sh -c "
	[ \"\$('$HOSTILE' ctlsend '$M' 'whoami' '$HOSTILE' | sed -n 2p)\" = 0 ]"

# ---- 2. what an editor derives from a secret record is as secret ----
record bid.txt secret department "secret bid v1"
check "precondition: hz_s2 does not list the secret record, gm reads it" sh -c "
	! setpriv --reuid=\$(id -u hz_s2) --regid=\$(id -g hz_s2) --clear-groups ls -a '$C' | grep -qx bid.txt &&
	setpriv --reuid=\$(id -u hz_gm) --regid=\$(id -g hz_gm) --clear-groups cat '$C/bid.txt' | grep -q v1"
# hz_s2 polls the folder all through gm's editing
# (setpriv itself in the background, so that $! is the poller; it also
# stops by itself once the folder is gone)
setpriv --reuid="$(id -u hz_s2)" --regid="$(id -g hz_s2)" --clear-groups -- \
	sh -c "while [ -d '$C' ]; do ls -a '$C'; done" > "$T/poll2" 2>/dev/null &
POLL=$!
n=1
for mode in no yes auto; do
	n=$((n + 1))
	as hz_gm vim -u NONE -N -i NONE -n -es \
		-c "set backup backupcopy=$mode backupskip=" \
		-c "%s/v[0-9]*/v$n/" -c 'wq' "$C/bid.txt" </dev/null >/dev/null 2>&1
	check "vim backupcopy=$mode: the backup bid.txt~ exists for gm with the old bytes" sh -c "
		setpriv --reuid=\$(id -u hz_gm) --regid=\$(id -g hz_gm) --clear-groups cat '$C/bid.txt~' | grep -q 'v$((n - 1))' &&
		setpriv --reuid=\$(id -u hz_gm) --regid=\$(id -g hz_gm) --clear-groups cat '$C/bid.txt' | grep -q 'v$n'"
	check "vim backupcopy=$mode: hz_s2 neither lists nor reaches bid.txt~" sh -c "
		! setpriv --reuid=\$(id -u hz_s2) --regid=\$(id -g hz_s2) --clear-groups ls -a '$C' | grep -q 'bid.txt' &&
		[ \$(setpriv --reuid=\$(id -u hz_s2) --regid=\$(id -g hz_s2) --clear-groups '$FSOP' read '$C/bid.txt~') = ENOENT ]"
	check "vim backupcopy=$mode: the deputy gm (a reader of the record) lists the backup" \
		sh -c "setpriv --reuid=\$(id -u hz_dgm) --regid=\$(id -g hz_dgm) --clear-groups ls -a '$C' | grep -qx 'bid.txt~'"
	as hz_gm rm -f "$C/bid.txt~"
done
# a preserved swap file: vim killed while editing
as hz_gm vim -u NONE -N -i NONE -es -c 'normal! Gounsaved secret edit' \
	-c 'preserve' -c '!kill -9 $PPID' "$C/bid.txt" </dev/null >/dev/null 2>&1
check "vim's swap file .bid.txt.swp is there for gm" sh -c "
	setpriv --reuid=\$(id -u hz_gm) --regid=\$(id -g hz_gm) --clear-groups grep -qa 'unsaved secret edit' '$C/.bid.txt.swp'"
check "hz_s2 neither lists nor reads the swap file" sh -c "
	! setpriv --reuid=\$(id -u hz_s2) --regid=\$(id -g hz_s2) --clear-groups ls -a '$C' | grep -q swp &&
	[ \$(setpriv --reuid=\$(id -u hz_s2) --regid=\$(id -g hz_s2) --clear-groups '$FSOP' read '$C/.bid.txt.swp') = ENOENT ]"
check "a reader of the record sees the swap file (vim's warning between users)" sh -c "
	setpriv --reuid=\$(id -u hz_dgm) --regid=\$(id -g hz_dgm) --clear-groups ls -a '$C' | grep -qx .bid.txt.swp"
as hz_gm rm -f "$C/.bid.txt.swp"
kill $POLL 2>/dev/null
wait $POLL 2>/dev/null
check "hz_s2, polling the folder all along, never saw a name of the record's" sh -c "
	[ \$(grep -c . '$T/poll2') -gt 10 ] && ! grep -q bid '$T/poll2'"
echo 'gm,host' > "$T/lockdata"
chmod 644 "$T/lockdata"
for lock in '.~lock.bid.txt#' '~$d.txt'; do
	as hz_gm cp "$T/lockdata" "$C/$lock"
	check "the lock file $lock is listed and read by the record's readers only" sh -c "
		setpriv --reuid=\$(id -u hz_dgm) --regid=\$(id -g hz_dgm) --clear-groups cat '$C/$lock' | grep -q gm &&
		! setpriv --reuid=\$(id -u hz_s2) --regid=\$(id -g hz_s2) --clear-groups ls -a '$C' | grep -qF '$lock' &&
		[ \$(setpriv --reuid=\$(id -u hz_s2) --regid=\$(id -g hz_s2) --clear-groups '$FSOP' read '$C/$lock') = ENOENT ]"
	as hz_gm rm -f "$C/$lock"
done
check "a save's temp file is its creator's alone" sh -c "
	setpriv --reuid=\$(id -u hz_gm) --regid=\$(id -g hz_gm) --clear-groups sh -c 'echo draft > \"$C/.goutputstream-AB12CD\"' &&
	! setpriv --reuid=\$(id -u hz_dgm) --regid=\$(id -g hz_dgm) --clear-groups ls -a '$C' | grep -q goutputstream &&
	! setpriv --reuid=\$(id -u hz_s2) --regid=\$(id -g hz_s2) --clear-groups ls -a '$C' | grep -q goutputstream &&
	setpriv --reuid=\$(id -u hz_gm) --regid=\$(id -g hz_gm) --clear-groups cat '$C/.goutputstream-AB12CD' | grep -q draft"
as hz_gm rm -f "$C/.goutputstream-AB12CD"

# ---- 3. only who began a save dance can finish it ----
as hz_gm mv "$C/bid.txt" "$C/bid.txt~"
as hz_s2 sh -c "echo mine > '$C/.goutputstream-EVIL01'"
check "another user's rename onto the freed name succeeds (it is free for them)" sh -c "
	[ \$(setpriv --reuid=\$(id -u hz_s2) --regid=\$(id -g hz_s2) --clear-groups '$HOSTILE' call noreplace '$C/bid.txt' '$C/.goutputstream-EVIL01') = OK ]"
check "... and does not hand them the secret record's old content" sh -c "
	[ \$(setpriv --reuid=\$(id -u hz_s2) --regid=\$(id -g hz_s2) --clear-groups '$FSOP' read '$C/bid.txt~') = ENOENT ] &&
	! setpriv --reuid=\$(id -u hz_s2) --regid=\$(id -g hz_s2) --clear-groups ls -a '$C' | grep -q 'bid.txt~' &&
	setpriv --reuid=\$(id -u hz_s2) --regid=\$(id -g hz_s2) --clear-groups cat '$C/bid.txt' | grep -qx mine"
check "the secret record still holds its bytes, and no save of it is hz_s2's" sh -c "
	setpriv --reuid=\$(id -u hz_gm) --regid=\$(id -g hz_gm) --clear-groups cat '$C/bid.txt~' | grep -q v4 &&
	$CTL0 log '$C/bid.txt~' > '$T/log3' && grep -q hz_gm '$T/log3' &&
	! grep -q hz_s2 '$T/log3'"
as hz_gm mv "$C/bid.txt~" "$C/bid2.txt"
as hz_gm rm "$C/bid2.txt"
check "another user's create right after a delete is a new record, not a revival" sh -c "
	setpriv --reuid=\$(id -u hz_s2) --regid=\$(id -g hz_s2) --clear-groups sh -c 'echo other > \"$C/bid2.txt\"' &&
	setpriv --reuid=\$(id -u hz_s2) --regid=\$(id -g hz_s2) --clear-groups cat '$C/bid2.txt' | grep -qx other &&
	$CTL trash | grep -q bid2.txt"

# ---- 4. no existence oracle: a hidden name answers as a fresh one ----
i=0
for op in excl mkdir symlink link rename noreplace mknod mkfifo setxattr stat; do
	i=$((i + 1))
	record "H$i.txt" secret department "hidden $i"
	as hz_s2 sh -c "echo src > '$C/src$i.txt'; echo src > '$C/srcF$i.txt'"
	case $op in
	symlink) argH=target; argF=target ;;
	link|rename|noreplace) argH="$C/src$i.txt"; argF="$C/srcF$i.txt" ;;
	*) argH=; argF= ;;
	esac
	hid=$(as hz_s2 "$HOSTILE" call $op "$C/H$i.txt" ${argH:+"$argH"})
	fresh=$(as hz_s2 "$HOSTILE" call $op "$C/F$i.txt" ${argF:+"$argF"})
	if [ "$hid" = "$fresh" ]; then
		echo "ok - $op on a hidden name answers as on a fresh one ($hid)"
	else
		echo "not ok - $op on a hidden name: $hid, on a fresh one: $fresh"
		FAILS=$((FAILS + 1))
	fi
done
check "the hidden record and the one made over its name are both there for gm" sh -c "
	setpriv --reuid=\$(id -u hz_gm) --regid=\$(id -g hz_gm) --clear-groups ls '$C' > '$T/ls4' &&
	grep -qx H1.txt '$T/ls4' && grep -qx 'H1 (#[0-9]*).txt' '$T/ls4' &&
	setpriv --reuid=\$(id -u hz_gm) --regid=\$(id -g hz_gm) --clear-groups cat '$C/H1.txt' | grep -qx 'hidden 1' &&
	[ \$(setpriv --reuid=\$(id -u hz_gm) --regid=\$(id -g hz_gm) --clear-groups stat -c %s \"$C/\$(grep 'H1 (#' '$T/ls4')\") = 0 ]"
check "hz_s2 sees their own record under the plain name, once" sh -c "
	[ \$(setpriv --reuid=\$(id -u hz_s2) --regid=\$(id -g hz_s2) --clear-groups ls '$C' | grep -c '^H1') = 1 ] &&
	setpriv --reuid=\$(id -u hz_s2) --regid=\$(id -g hz_s2) --clear-groups stat '$C/H1.txt' >/dev/null"
printf 'mine\n' > "$T/w4"
as hz_s2 cp "$T/w4" "$C/H1.txt"
check "the history of hz_s2's record names no other record" sh -c "
	setpriv --reuid=\$(id -u hz_s2) --regid=\$(id -g hz_s2) --clear-groups $CTL0 log '$C/H1.txt' > '$T/log4' &&
	[ \$(wc -l < '$T/log4') -eq 2 ] && ! grep -q '#' '$T/log4' &&
	! grep -q \"\$(printf '\\001')\" '$T/log4'"
# H10 is still hidden from hz_s2 (stat made nothing); Z10 never was
for cmd in explain log show restore; do
	as hz_s2 $CTL0 $cmd "$C/H10.txt" HEAD > "$T/h-$cmd" 2>&1
	echo "rc $?" >> "$T/h-$cmd"
	as hz_s2 $CTL0 $cmd "$C/Z10.txt" HEAD > "$T/z-$cmd" 2>&1
	echo "rc $?" >> "$T/z-$cmd"
	check "dossierctl $cmd answers a hidden path as a path nobody has" sh -c "
		sed s/H10/X/g '$T/h-$cmd' > '$T/h2-$cmd' && sed s/Z10/X/g '$T/z-$cmd' |
		diff - '$T/h2-$cmd'"
done

# ---- 5. access taken away reaches what is already open ----
record open.txt internal company "open v1"
mkfifo "$T/go5" "$T/go5m"
as hz_mkt "$HOSTILE" hold read "$C/open.txt" < "$T/go5" > "$T/out5" &
P5=$!
as hz_mkt "$HOSTILE" hold mmap "$C/open.txt" < "$T/go5m" > "$T/out5m" &
P5M=$!
exec 7<>"$T/go5" 8<>"$T/go5m"
i=0
while ! { grep -q READY "$T/out5" && grep -q READY "$T/out5m"; } && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
check "the marketing director reads the internal company record through both" sh -c "
	head -1 '$T/out5' | grep -q 'OK open v1' && head -1 '$T/out5m' | grep -q 'OK o'"
setfattr -n user.dossier.level -v confidential "$C/open.txt"
setfattr -n user.dossier.scope -v personal "$C/open.txt"
echo go >&7
echo go >&8
exec 7>&- 8>&-
wait $P5 $P5M
check "after it became confidential and personal a held descriptor reads EACCES" \
	sh -c "tail -1 '$T/out5' | grep -qx EACCES"
check "and a held mapping faults (SIGBUS)" sh -c "tail -1 '$T/out5m' | grep -qx SIGBUS"
check "a new open is refused too" sh -c "
	[ \$(setpriv --reuid=\$(id -u hz_mkt) --regid=\$(id -g hz_mkt) --clear-groups '$FSOP' read '$C/open.txt') != OK ]"
# a role taken away while open (dossierctl user set)
record role.txt internal company "role v1"
mkfifo "$T/go8"
as hz_mkt "$HOSTILE" hold read "$C/role.txt" < "$T/go8" > "$T/out8" &
P8=$!
exec 7<>"$T/go8"
i=0
while ! grep -q READY "$T/out8" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
$CTL0 user set hz_mkt --role staff --dept marketing >/dev/null
echo go >&7
exec 7>&-
wait $P8
check "a director made staff while holding a descriptor: reads are refused" sh -c "
	head -1 '$T/out8' | grep -qx 'OK role v1' && tail -1 '$T/out8' | grep -qx EACCES"
# a grant revoked while open
record lent.txt internal department "lent v1"
as hz_mgr $CTL0 grant "$C/lent.txt" --user hz_s2 --read --for 1h \
	--reason test > "$T/grant6"
gid=$(grep -o '[0-9][0-9]*' "$T/grant6" | head -1)
mkfifo "$T/go6"
as hz_s2 "$HOSTILE" hold read "$C/lent.txt" < "$T/go6" > "$T/out6" &
P6=$!
exec 7<>"$T/go6"
i=0
while ! grep -q READY "$T/out6" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
as hz_mgr $CTL revoke "$gid" >/dev/null
echo go >&7
exec 7>&-
wait $P6
check "a grant revoked while a descriptor is open: reads are refused" sh -c "
	head -1 '$T/out6' | grep -q 'OK lent v1' && tail -1 '$T/out6' | grep -qx EACCES"
# a grant that ends by the clock while a private mapping of it is held:
# its pages go within a second of the end (polled up to 40 s)
record lent7.txt internal department "lent7 v1"
as hz_mgr $CTL0 grant "$C/lent7.txt" --user hz_s2 --read --for 10s \
	--reason test >/dev/null
mkfifo "$T/go7"
as hz_s2 "$HOSTILE" hold private "$C/lent7.txt" < "$T/go7" > "$T/out7" &
P7=$!
exec 7<>"$T/go7"
i=0
while ! grep -q READY "$T/out7" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "a private mapping of a lent record reads while the grant lasts" \
	sh -c "head -1 '$T/out7' | grep -qx 'OK l'"
i=0
while [ "$(tail -1 "$T/out7")" != SIGBUS ] && [ $i -lt 80 ]; do
	echo go >&7
	sleep 0.5
	i=$((i + 1))
done
exec 7>&-
wait $P7
check "... and faults once the grant has ended by the clock" \
	sh -c "tail -1 '$T/out7' | grep -qx SIGBUS"
finish
