#!/bin/sh
# kill -9 of the daemon during a stream of saves: every save whose close
# returned is in history after the next mount; git fsck is clean; the log
# agrees with the repository; content written but not closed is recovered.
. "$(dirname "$0")/lib.sh"

new_archive
mount_fs
C="$M/2024/contracts/ACME Ltd"
mkdir -p "$C"
R="$C/stream.txt"
GIT="git --git-dir=$A/history.git"
CTL="$BUILD/dossierctl"

# a stream of saves; each line of done is a save whose close returned
( i=1; while [ $i -le 100000 ]; do
	[ "$("$FSOP" save "$R" "save $i")" = OK ] || break
	echo $i >> "$T/done"
	i=$((i + 1))
  done ) &
WRITER=$!
# a file written and synced but never closed: recovered at the next mount
"$FSOP" hold "$C/open.txt" "written, never closed" > "$T/held" &
HOLDER=$!
i=0
while [ "$(cat "$T/held" 2>/dev/null)" != HELD ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
# let a few saves return while the file is held, then kill
n=$(wc -l < "$T/done" 2>/dev/null || echo 0)
i=0
while [ "$(wc -l < "$T/done" 2>/dev/null || echo 0)" -lt $((n + 20)) ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
wait "$WRITER" 2>/dev/null
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
fusermount3 -u -z "$M" 2>/dev/null || umount -l "$M"
saves=$(wc -l < "$T/done")
echo "# $saves saves returned before the kill"

check "remount after kill -9" mount_fs
check "some saves happened before the kill" sh -c "[ $saves -ge 5 ]"
"$CTL" log "$R" > "$T/log"
for f in "$M/.history/2024/contracts/ACME Ltd/stream.txt/"*; do
	cat "$f"
	echo
done > "$T/versions"
check "every save whose close returned is in history" sh -c "
	for i in \$(cat '$T/done'); do grep -qx \"save \$i\" '$T/versions' || { echo missing \$i; exit 1; }; done"
# the save in progress at the kill may have truncated the file already
check "the current content is the last save, the next, or empty" sh -c "
	c=\$(cat '$R'); last=\$(tail -1 '$T/done');
	[ \"\$c\" = \"save \$last\" ] || [ \"\$c\" = \"save \$((last + 1))\" ] || [ -z \"\$c\" ]"
check "content written but never closed is recovered" sh -c "
	'$CTL' log '$C/open.txt' | grep -q 'recovered' &&
	grep -q 'written, never closed' '$M/.history/2024/contracts/ACME Ltd/open.txt/'*"
check "git fsck is clean" $GIT fsck --strict
check "log agrees with the repository" sh -c "
	awk '{print \$4}' '$T/log' > '$T/ours' &&
	for c in \$(cat '$T/ours'); do $GIT cat-file -e \$c^{commit} || exit 1; done &&
	[ \$(wc -l < '$T/ours') -eq \$($GIT log --format=%H main -- '2024/contracts/ACME Ltd/stream.txt' | wc -l) ]"
check "no journal entry or spool file is left" sh -c "
	[ -z \"\$(ls '$A/spool')\" ]"
check "a second mount of the same archive is refused" sh -c "
	mkdir -p '$T/mnt2' && ! '$BUILD/dossierfs' '$A' '$T/mnt2' -f 2>'$T/err2' && grep -q 'already mounted' '$T/err2'"
finish
