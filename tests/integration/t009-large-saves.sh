#!/bin/sh
# Large saves are not copied at close (deferred snapshots): whatever
# follows a save at once (an overwrite, a write in place, an append, a
# save by rename, a truncate, a kill -9 of the daemon), every version that
# was saved keeps its exact bytes.
. "$(dirname "$0")/lib.sh"

new_archive
mount_fs
C="$M/2024/contracts/ACME Ltd"
mkdir -p "$C"
R="$C/scan.pdf"
H="$M/.history/2024/contracts/ACME Ltd/scan.pdf"
GIT="git --git-dir=$A/history.git"
CTL="$BUILD/dossierctl"
for i in 1 2 3 4 5 6 7 8; do
	head -c $((2 * 1048576 + i * 4099)) /dev/urandom > "$T/v$i"
done

# each step right after the one before: nothing is committed in between
cp "$T/v1" "$R" && cp "$T/v1" "$T/e1"
spool_after_close=$(ls "$A/spool" | wc -l)
cp "$T/v2" "$R" && cp "$T/v2" "$T/e2"
dd if="$T/v3" of="$R" bs=65536 count=4 conv=notrunc status=none &&
	cp "$T/e2" "$T/e3" &&
	dd if="$T/v3" of="$T/e3" bs=65536 count=4 conv=notrunc status=none
cat "$T/v4" >> "$R" && cat "$T/e3" "$T/v4" > "$T/e4"
HOME=$T gio save "$R" < "$T/v5" && cp "$T/v5" "$T/e5"
truncate -s 100000 "$R" && head -c 100000 "$T/v5" > "$T/e6"

check "a large save leaves no copy in the spool at close" \
	sh -c "[ $spool_after_close -eq 0 ]"
check "six changes give six log entries" \
	sh -c "'$CTL' log '$R' > '$T/log' && [ \$(wc -l < '$T/log') -eq 6 ]"
check "each version holds the bytes it was saved with" sh -c "
	i=1; for f in \$(ls -U '$H'); do
		cmp '$H/'\$f '$T/e'\$i || exit 1; i=\$((i + 1)); done; [ \$i -eq 7 ]"
check "the record holds the last version" cmp "$R" "$T/e6"
check "nothing is left in the spool once committed" \
	sh -c "[ -z \"\$(ls '$A/spool')\" ]"

# saves around the commit window (a change may come while the committer
# reads the saved content: it waits), a write through mmap, two writers
R3="$C/ledger.xlsx"
H3="$M/.history/2024/contracts/ACME Ltd/ledger.xlsx"
n=0
for d in 0 0.9 1.0 1.1 0 1.2; do
	n=$((n + 1))
	head -c $((1048576 + n * 1000)) /dev/urandom > "$T/w$n"
	cp "$T/w$n" "$R3"
	sleep $d
done
n=$((n + 1))
"$FSOP" mmapwrite "$R3" MAPPED >/dev/null && cp "$R3" "$T/w$n"
n=$((n + 1))
"$FSOP" twowriters "$R3" "$T/v1" SECOND >/dev/null && cp "$T/v1" "$T/w$n"
n=$((n + 1))
cp "$T/v1" "$T/w$n" && printf SECOND | dd of="$T/w$n" bs=1 seek=8192 conv=notrunc status=none
check "dossierctl sync commits what is journaled" "$CTL" -a "$A" sync
check "saves around the commit window, mmap and two writers: every version exact" sh -c "
	i=1; for f in \$(ls -U '$H3'); do
		cmp '$H3/'\$f '$T/w'\$i || exit 1; i=\$((i + 1)); done; [ \$i -eq $((n + 1)) ]"
check "the mmap write changed the record" sh -c "head -c 6 '$T/w7' | grep -qx MAPPED"

# kill -9 right after a large save, and right after a save by rename
# that replaced a large save not committed yet
R2="$C/contract.pdf"
cp "$T/v6" "$R"
cp "$T/v7" "$R2"
cp "$T/v8" "$C/lu4711.tmp" && mv "$C/lu4711.tmp" "$R2"
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
fusermount3 -u -z "$M" 2>/dev/null || umount -l "$M"
check "remount after kill -9" mount_fs
check "a large save just before the kill is in history, exact" sh -c "
	last=\$(ls -U '$H' | tail -1) && cmp '$H/'\$last '$T/v6'"
check "both saves of the renamed-onto record are in history, exact" sh -c "
	set -- \$(ls -U '$M/.history/2024/contracts/ACME Ltd/contract.pdf') &&
	[ \$# -eq 2 ] &&
	cmp '$M/.history/2024/contracts/ACME Ltd/contract.pdf/'\$1 '$T/v7' &&
	cmp '$M/.history/2024/contracts/ACME Ltd/contract.pdf/'\$2 '$T/v8'"
check "git fsck is clean" $GIT fsck --strict
check "no journal entry or spool file is left" sh -c "
	[ -z \"\$(ls '$A/spool')\" ]"
finish
