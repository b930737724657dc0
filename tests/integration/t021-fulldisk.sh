#!/bin/sh
# A full disk under the archive, and content changed behind the daemon's
# back: saves are recorded under their author, rm always works, errors
# say what failed; altered or missing content is said, never passed off.
. "$(dirname "$0")/lib.sh"

ensure_user dossier_t_alice
# the archive on a filesystem of its own, 40 MiB
mkdir "$T/disk"
mount -t tmpfs -o size=40M tmpfs "$T/disk" || { echo "# cannot mount tmpfs"; exit 77; }
umount_disk() { umount "$T/disk" 2>/dev/null || umount -l "$T/disk"; }
# the mount goes first, then the disk under the archive, then the rest
trap 'fusermount3 -u "$M" 2>/dev/null; [ -n "$DAEMON_PID" ] && wait "$DAEMON_PID";
	umount_disk; cleanup' EXIT INT TERM
A=$T/disk/archive
new_archive
"$BUILD/dossierctl" -a "$A" user add dossier_t_alice --role sales --dept sales >/dev/null
mount_fs
C="$M/2024/contracts/ACME Ltd"
mkdir -p "$C"
chmod 777 "$C"
CTL="$BUILD/dossierctl"
as dossier_t_alice sh -c "printf 'version one\n' > '$C/doc.txt'"
"$CTL" log "$C/doc.txt" >/dev/null

check "filling the disk through the mount fails with ENOSPC" sh -c "
	! head -c 60M /dev/zero | tr '\\000' x > '$C/big.bin' 2>'$T/err' &&
	grep -q 'No space left' '$T/err'"
check "the daemon says the disk is full" grep -q "the archive's disk is full" "$T/daemon.log"
cat > "$T/save.py" <<PY
import os
fd = os.open('$C/doc.txt', os.O_WRONLY | os.O_TRUNC)
os.write(fd, b'y' * (8 << 20))
os.close(fd)
PY
check "a save on the full disk fails (ENOSPC at the latest at close)" sh -c "
	! setpriv --reuid=\$(id -u dossier_t_alice) --regid=\$(id -g dossier_t_alice) \
		--clear-groups /usr/bin/python3 '$T/save.py' 2>'$T/err' &&
	grep -q 'No space left' '$T/err'"
check "rm works on the full disk" rm "$C/big.bin"
check "mkdir works on the full disk" mkdir "$C/sub"
check "no history error without a reason" sh -c "
	! grep -Eq 'history: *\$|error: history:\$' '$T/daemon.log'"
check "history errors say what waits, at most once a minute each" sh -c "
	[ \$(grep -c 'cannot commit journaled changes' '$T/daemon.log') -le 3 ]"
# a restart while the disk is full still serves
check "unmount on a full disk" umount_fs
check "remount on a full disk serves" mount_fs
check "the mount answers" ls "$C"
# room again: everything journaled is committed, under its author
mount -o remount,size=400M "$T/disk"
check "the failed save is recorded under its author" sh -c "
	'$CTL' log '$C/doc.txt' > '$T/log' && cat '$T/log' &&
	[ \$(wc -l < '$T/log') -eq 2 ] &&
	tail -1 '$T/log' | grep -q 'dossier_t_alice *save' &&
	! grep -q recovered '$T/log'"
check "the history is clean" git --git-dir="$A/history.git" fsck --strict
check "a clean unmount" umount_fs

# content changed behind the daemon's back while it was stopped
ID=$(sqlite3 "$A/catalog.db" "SELECT id FROM node WHERE name = 'doc.txt'")
F=$A/content/$(printf '%02x' $((ID & 255)))/$ID
printf 'tampered\n' >> "$F"
mount_fs
check "altered content is committed as 'altered', no author" sh -c "
	'$CTL' log '$C/doc.txt' | tail -1 | grep -q 'altered' &&
	! '$CTL' log '$C/doc.txt' | grep -q 'recovered'"
check "and logged as an error" grep -q "doc.txt.*changed outside dossierfs" "$T/daemon.log"
check "and audited" sh -c "'$CTL' audit --path '$C/doc.txt' | grep -q altered"
umount_fs
# a content file deleted behind its back
rm "$F"
mount_fs
check "a missing content file is reported at mount, naming the record" sh -c "
	grep -q \"doc.txt.*missing.*dossierctl restore\" '$T/daemon.log'"
check "reading it gives EIO" expect EIO read "$C/doc.txt"
check "the error names the record and how to restore it" sh -c "
	grep -q \"record $ID .*doc.txt.*unreadable.*dossierctl restore\" '$T/daemon.log'"
check "and it is audited" sh -c "'$CTL' audit --path '$C/doc.txt' | grep -q content-missing"
REV=$("$CTL" log "$C/doc.txt" | sed -n 1p | awk '{print $4}')
check "dossierctl restore repairs it" sh -c "
	'$CTL' restore '$C/doc.txt' $REV --reason 'lost content file' &&
	[ \"\$(cat '$C/doc.txt')\" = 'version one' ]"
umount_fs
finish
