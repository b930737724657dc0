#!/bin/sh
# What everyday tools expect: setfacl ending loans, purge right after a
# delete, log lines that a name cannot forge, special files refused.
. "$(dirname "$0")/lib.sh"

new_archive
CTL="$BUILD/dossierctl -a $A"
map_users $CTL <<'USERS'
dt_gm gm management
dt_dgm deputy_gm management
dt_s1 sales sales
dt_s2 sales sales
USERS
mount_fs
C="$M/2024/contracts/ACME Ltd"
mkdir -p "$C"
printf 'lent\n' > "$C/CD.txt"
setfattr -n user.dossier.owner -v dt_s1 "$C/CD.txt"
setfattr -n user.dossier.dept -v sales "$C/CD.txt"
setfattr -n user.dossier.level -v confidential "$C/CD.txt"

check "setfacl -x u:NAME by the approver ends the loan" sh -c "
	as() { u=\$1; shift; setpriv --reuid=\$(id -u \$u) --regid=\$(id -g \$u) --clear-groups -- \"\$@\"; }
	C='$C'; FSOP='$FSOP'
	as dt_gm setfacl -m u:dt_s2:r \"\$C/CD.txt\" &&
	[ \$(as dt_s2 \"\$FSOP\" read \"\$C/CD.txt\") = OK ] &&
	as dt_gm setfacl -x u:dt_s2 \"\$C/CD.txt\" &&
	[ \$(as dt_s2 \"\$FSOP\" read \"\$C/CD.txt\") = EACCES ] &&
	! $CTL grants | grep -q 'CD.txt.*dt_s2' &&
	! as dt_gm getfacl -cp \"\$C/CD.txt\" | grep -q dt_s2"
check "setfacl -b by the approver ends the loan" sh -c "
	as() { u=\$1; shift; setpriv --reuid=\$(id -u \$u) --regid=\$(id -g \$u) --clear-groups -- \"\$@\"; }
	C='$C'; FSOP='$FSOP'
	as dt_gm setfacl -m u:dt_s2:r \"\$C/CD.txt\" &&
	[ \$(as dt_s2 \"\$FSOP\" read \"\$C/CD.txt\") = OK ] &&
	as dt_gm setfacl -b \"\$C/CD.txt\" &&
	[ \$(as dt_s2 \"\$FSOP\" read \"\$C/CD.txt\") = EACCES ] &&
	! $CTL grants | grep -q 'CD.txt.*dt_s2'"
check "setfacl -x of a user the rules let read fails, saying why" sh -c "
	! setpriv --reuid=\$(id -u dt_gm) --regid=\$(id -g dt_gm) --clear-groups \
		setfacl -x u:dt_dgm '$C/CD.txt' 2>'$T/err' &&
	grep -q 'dt_dgm may read it by the rules' '$T/daemon.log'"
check "a salesperson's setfacl -x cannot end another's loan" sh -c "
	as() { u=\$1; shift; setpriv --reuid=\$(id -u \$u) --regid=\$(id -g \$u) --clear-groups -- \"\$@\"; }
	C='$C'; FSOP='$FSOP'
	as dt_gm setfacl -m u:dt_s2:r \"\$C/CD.txt\" &&
	! as dt_s1 setfacl -x u:dt_s2 \"\$C/CD.txt\" 2>/dev/null &&
	[ \$(as dt_s2 \"\$FSOP\" read \"\$C/CD.txt\") = OK ]"

# purge right after a delete, with trash-days 0
check "purge right after a delete destroys it (trash-days 0)" sh -c "
	$CTL policy set trash-days 0 >/dev/null &&
	printf 'old\n' > '$C/gone.txt' && rm '$C/gone.txt' &&
	$CTL purge > '$T/purge' 2>&1 && cat '$T/purge' &&
	grep -q '^1 destroyed' '$T/purge' && $CTL register | grep -q gone.txt"

# log of a record with nothing waiting does not wait for everyone's saves
check "log of an idle record answers before others' backlog is committed" sh -c "
	mkdir -p '$M/2024/contracts/Busy' && printf 'idle
' > '$C/idle.txt' &&
	$CTL log '$C/idle.txt' >/dev/null &&
	i=0; while [ \$i -lt 2000 ]; do printf 'b%d' \$i > '$M/2024/contracts/Busy/b'\$i; i=\$((i + 1)); done &&
	$CTL log '$C/idle.txt' | grep -q create &&
	[ \$(sqlite3 -readonly '$A/catalog.db' 'SELECT count(*) FROM journal') -gt 0 ]"

# a refused name cannot forge a log line
check "a name with a newline is escaped in the log" sh -c "
	'$FSOP' create \"\$(printf '$C/x\nserving forged')\" >/dev/null;
	! grep -q '^serving forged' '$T/daemon.log' &&
	grep -q 'x\\\\nserving forged' '$T/daemon.log'"
check "a name with ESC is escaped in the log" sh -c "
	'$FSOP' create \"\$(printf '$C/e\033[2Jx')\" >/dev/null;
	! grep -q \"\$(printf '\033')\" '$T/daemon.log'"

# special files
check "mkfifo is refused (EPERM)" sh -c "
	! mkfifo '$C/fifo' 2>'$T/err' && grep -q 'not permitted' '$T/err'"
check "mknod of a device is refused (EPERM)" sh -c "
	! mknod '$C/dev' c 1 3 2>'$T/err' && grep -q 'not permitted' '$T/err'"
check "a socket cannot be bound (EPERM)" sh -c "
	! python3 -c \"import socket; s=socket.socket(socket.AF_UNIX); s.bind('$C/sock')\" 2>'$T/err' &&
	grep -q 'PermissionError\\|not permitted' '$T/err'"
check "each special-file refusal is logged" sh -c "
	[ \$(grep -c 'refused mknod' '$T/daemon.log') -ge 3 ]"

umount_fs
finish
