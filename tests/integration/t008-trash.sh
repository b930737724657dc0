#!/bin/sh
# Trash: rm is soft and shows under /.trash with the original path; mv
# back restores content, level and history; editor saves leave nothing;
# holds block delete and purge; a purge (trash-days 0) leaves no byte of
# any version in the repository, keeps other records and git fsck clean,
# and writes the register; on mount(8) mounts, gio remove and gio trash
# (through the caller's virtual /.Trash-UID) both end in /.trash, and with
# x-gvfs-notrash GLib refuses gio trash.
. "$(dirname "$0")/lib.sh"

HELPER=/sbin/mount.fuse.dossierfs
LINKED=
PID=
cleanup_trash() {
	# the daemon mount(8) started, if a test left it (it may hang)
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	if timeout -s KILL 5 mountpoint -q "$M" 2>/dev/null; then
		umount "$M" 2>/dev/null || umount -l "$M" 2>/dev/null
	fi
	[ -n "$LINKED" ] && rm -f "$HELPER"
	cleanup
}
trap cleanup_trash EXIT INT TERM

new_archive
mount_fs
C="$M/2024/contracts/ACME Ltd"
TC="$M/.trash/2024/contracts/ACME Ltd"
mkdir -p "$C"
GIT="git --git-dir=$A/history.git"
CTL="$BUILD/dossierctl -a $A"
mark() { head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
# save PATH TEXT: one save, committed
save() { printf '%s\n' "$2" > "$1" && $CTL log "$1" >/dev/null; }

# 1. rm shows the record under /.trash where it was
M1=$(mark) M2=$(mark) MK=$(mark)
R="$C/offer.txt"
save "$R" "offer v1 $M1" && save "$R" "offer v2 $M2"
save "$C/keep.txt" "kept $MK"
setfattr -n user.dossier.level -v confidential "$R" 2>/dev/null
level_before=$(getfattr --only-values -n user.dossier.level "$R" 2>/dev/null)
cp "$R" "$T/offer.expect"
$CTL log "$R" > "$T/log.before"
check "rm of a record succeeds" rm "$R"
check "the record left its folder" expect ENOENT stat "$R"
check "ls /.trash shows it under its original path" sh -c "
	ls '$TC' | grep -qx offer.txt"
check "/.trash is hidden from the root listing" sh -c "! ls -a '$M' | grep -q trash"
check "its deletion time is its mtime" sh -c "
	[ \$(( \$(date +%s) - \$(stat -c %Y '$TC/offer.txt') )) -lt 60 ]"
check "the trash copy reads as the record" cmp "$TC/offer.txt" "$T/offer.expect"
check "the trash is read-only (EROFS)" expect EROFS unlink "$TC/offer.txt"
check "dossierctl trash lists it with days left" sh -c "
	$CTL trash | grep 'ACME Ltd/offer.txt' | grep -q '30 days'"

# 2. mv back: same id, content, level and log (plus delete and restore)
check "mv out of /.trash restores it" mv "$TC/offer.txt" "$C/"
check "content is identical" cmp "$R" "$T/offer.expect"
check "level is kept" sh -c "
	[ \"\$(getfattr --only-values -n user.dossier.level '$R' 2>/dev/null)\" = '$level_before' ]"
check "the log keeps every entry, then delete and restore" sh -c "
	$CTL log '$R' > '$T/log.after' &&
	n=\$(wc -l < '$T/log.before') &&
	head -n \$n '$T/log.after' | diff '$T/log.before' - &&
	[ \$(wc -l < '$T/log.after') -eq \$((n + 2)) ] &&
	tail -2 '$T/log.after' | head -1 | grep -q ' delete ' &&
	tail -1 '$T/log.after' | grep -q 'restored from the trash'"
check "the trash is empty again" sh -c "[ -z \"\$(ls -A '$M/.trash')\" ]"
check "restore over a live name is EEXIST" sh -c "
	echo x > '$C/dup.txt' && rm '$C/dup.txt' && sleep 1.1 && echo y > '$C/dup.txt' &&
	$FSOP rename '$TC/dup.txt' '$C/dup.txt' | grep -qx EEXIST &&
	{ $CTL restore-deleted '$TC/dup.txt'; [ \$? -eq 1 ]; }"
rm -f "$C/dup.txt"

# 3. a deleted client folder comes back whole
mkdir "$M/2024/contracts/Beta Co"
save "$M/2024/contracts/Beta Co/a.txt" "a" && save "$M/2024/contracts/Beta Co/b.txt" "b"
check "rm -r of a client folder puts its records in the trash" sh -c "
	rm -r '$M/2024/contracts/Beta Co' &&
	[ \"\$(ls '$M/.trash/2024/contracts/Beta Co' | tr '\n' ' ')\" = 'a.txt b.txt ' ]"
check "mv of the deleted folder out of /.trash restores it" sh -c "
	mv '$M/.trash/2024/contracts/Beta Co' '$M/2024/contracts/' &&
	[ \"\$(cat '$M/2024/contracts/Beta Co/a.txt')\" = a ] &&
	! ls '$M/.trash/2024/contracts' | grep -q Beta"

# 4. editor saves are saves, not deletes
ls -R "$M/.trash" > "$T/trash.before"
check "an Excel-style save leaves nothing in /.trash" sh -c "
	cd '$C' && printf 'excel\n' > Cedd4100 && rm keep.txt && mv Cedd4100 keep.txt &&
	printf 'kept $MK\n' > keep.txt && ls -R '$M/.trash' | diff '$T/trash.before' -"
check "a vim save leaves nothing in /.trash" sh -c "
	cd '$C' && HOME='$T' vim -u NONE -i NONE -es \
		-c 'set nocp backupskip= writebackup backupcopy=auto' \
		-c 'normal Govim line' -c wq offer.txt &&
	ls -R '$M/.trash' | diff '$T/trash.before' -"
$CTL log "$C/offer.txt" >/dev/null
cp "$R" "$T/offer.v2"
check "deleted again, /.trash shows the new content (a new inode)" sh -c "
	rm '$R' && cmp '$TC/offer.txt' '$T/offer.v2' && mv '$TC/offer.txt' '$C/'"

# 5. legal holds
save "$C/evidence.txt" "evidence"
check "hold a record" $CTL hold "$C/evidence.txt" --reason "case 2026-17"
check "a held record cannot be deleted (EPERM)" expect EPERM unlink "$C/evidence.txt"
check "the daemon log says why" grep -q "under legal hold.*case 2026-17" "$T/daemon.log"
check "hold a folder: its records cannot be deleted" sh -c "
	$CTL hold '$C' --reason 'audit' && $FSOP unlink '$C/keep.txt' | grep -qx EPERM &&
	$CTL release '$C'"

# 6. purge with trash-days 0
$CTL policy set trash-days 0 >/dev/null 2>&1 ||
	sqlite3 "$A/catalog.db" "UPDATE setting SET value = '0' WHERE key = 'trash-days'"
G1=$(mark) G2=$(mark) G3=$(mark)
D="$C/doomed.txt"
save "$D" "doomed v1 $G1" && save "$D" "doomed v2 $G2" && save "$D" "doomed v3 $G3"
check "the versions' bytes are in the store before" sh -c "
	[ \$($GIT cat-file --batch-all-objects --batch | grep -a -c -e $G1 -e $G2 -e $G3) -eq 3 ]"
$CTL release "$C/evidence.txt" >/dev/null
rm "$D" "$C/evidence.txt"
$CTL hold "$C/evidence.txt" --reason "case 2026-18" >/dev/null
sleep 1.2
check "dossierctl purge destroys it and keeps the held one" sh -c "
	$CTL purge > '$T/purge' && grep -q '^purged .*doomed.txt' '$T/purge' &&
	grep -q '^held .*evidence.txt' '$T/purge'"
check "no object holds any version's bytes" sh -c "
	[ \$($GIT cat-file --batch-all-objects --batch | grep -a -c -e $G1 -e $G2 -e $G3) -eq 0 ]"
check "no file of the archive holds them" sh -c "! grep -r -a -q -e $G1 -e $G2 -e $G3 '$A'"
check "other records' history is intact" sh -c "
	[ \$($GIT cat-file --batch-all-objects --batch | grep -a -c -e $M1 -e $M2 -e $MK) -ge 3 ] &&
	$CTL log '$R' | grep -q save"
check "git fsck --strict is clean" $GIT fsck --strict
check "the register has the row" sh -c "
	$CTL register --csv | grep 'doomed.txt' | grep -q ',3,'"
check "its .history folder is gone" expect ENOENT stat "$M/.history/2024/contracts/ACME Ltd/doomed.txt"
check "the held record stays in the trash" sh -c "ls '$TC' | grep -qx evidence.txt"
$CTL release "$C/evidence.txt" >/dev/null
$CTL purge >/dev/null

# 7. gio on mounts made by mount(8), as fstab and the .mount unit do.
# With the shipped options gio trash moves the record into the caller's
# virtual /.Trash-UID/files, which is a soft delete into /.trash; with
# x-gvfs-notrash GLib refuses to trash and leaves the record alone. Every
# step on those mounts has a time limit: a daemon that hangs must not
# hang the test.
check "unmount" umount_fs
$CTL policy set trash-days 30 >/dev/null 2>&1 ||
	sqlite3 "$A/catalog.db" "UPDATE setting SET value = '30' WHERE key = 'trash-days'"
# mount8 [OPTS]: mount -t fuse.dossierfs, wait until it serves
mount8() {
	mount -t fuse.dossierfs "$A" "$M" ${1:+-o "$1"} || return 1
	i=0
	while ! timeout 2 mountpoint -q "$M" && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	PID=$(ps -eo pid=,args= | awk -v a="$A" '$2 ~ /dossierfs$/ && $3 == a {print $1}')
	timeout 2 mountpoint -q "$M"
}
# umount8: umount, then wait for the daemon mount(8) started to exit (a
# daemon still there after 5 seconds is killed, and said so below)
KILLED=
umount8() {
	umount "$M" || return 1
	i=0
	while [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ -n "$PID" ] && kill "$PID" 2>/dev/null; then
		KILLED=1
		sleep 1
		kill -9 "$PID" 2>/dev/null
	fi
	PID=
}
if [ -e "$HELPER" ] && [ "$(readlink -f "$HELPER")" != "$(readlink -f "$BUILD/mount.dossierfs")" ]; then
	echo "# skip gio checks: $HELPER is another installation"
elif ! command -v gio >/dev/null; then
	echo "# skip gio checks: gio (libglib2.0-bin) is not installed"
elif [ -e "$HELPER" ] || { ln -s "$(readlink -f "$BUILD/mount.dossierfs")" "$HELPER" && LINKED=1; }; then
	TO="timeout 20"
	XT="$M/.Trash-$(id -u)"
	NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups --"
	mkdir -p "$T/home"
	check "mount -t fuse.dossierfs with the shipped options" mount8
	# the daemon forks before it opens the archive: its committer
	# thread must live in the serving process
	$TO sh -c "printf 'committed\n' > '$C/committer.txt'"
	check "the daemon mount(8) started commits history by itself" \
		poll 10 sh -c "$GIT log --format=%s main | grep -q committer.txt"
	$TO sh -c "printf 'remove me\n' > '$C/gio-remove.txt'; printf 'trash me\n' > '$C/gio-trash.txt'"
	$TO sh -c "mkdir '$C/folder' && printf 'in a folder\n' > '$C/folder/f.txt'"
	sleep 1.2
	check "GIO sees a trash on the mount (access::can-trash)" $TO sh -c "
		HOME='$T/home' gio info -a access::can-trash '$C/gio-trash.txt' | grep -q 'can-trash: TRUE'"
	check "gio remove ends in /.trash" $TO sh -c "
		HOME='$T/home' gio remove '$C/gio-remove.txt' &&
		[ ! -e '$C/gio-remove.txt' ] && ls '$TC' | grep -qx gio-remove.txt"
	check "gio trash ends in /.trash" $TO sh -c "
		HOME='$T/home' gio trash '$C/gio-trash.txt' &&
		[ ! -e '$C/gio-trash.txt' ] && ls '$TC' | grep -qx gio-trash.txt &&
		cat '$TC/gio-trash.txt' | grep -qx 'trash me'"
	check "gio trash is one delete in history" $TO sh -c "
		$CTL log '$C/gio-trash.txt' | tail -1 | grep -q ' delete '"
	check "the caller's /.Trash-UID shows it in files/ with its .trashinfo" $TO sh -c "
		ls '$XT/files' | grep -qx gio-trash.txt &&
		grep -qx 'Path=2024/contracts/ACME%20Ltd/gio-trash.txt' '$XT/info/gio-trash.txt.trashinfo' &&
		grep -Eqx 'DeletionDate=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}' '$XT/info/gio-trash.txt.trashinfo' &&
		ls '$XT/info' | grep -qx gio-remove.txt.trashinfo"
	check "/.Trash-UID is hidden from ls / and from other users" $TO sh -c "
		! ls -a '$M' | grep -q Trash &&
		[ \"\$($NOBODY $FSOP stat '$XT')\" = ENOENT ] &&
		[ \"\$($NOBODY $FSOP stat '$M/.Trash')\" = ENOENT ]"
	check "nothing named .Trash* in the tree, history, trash or catalog" $TO sh -c "
		! ls -a '$M' | grep -q Trash && ! ls -aR '$M/.trash' | grep -q Trash &&
		! ls -aR '$M/.history' | grep -q Trash &&
		! $GIT log --name-only --format= main | grep -q Trash &&
		[ \"\$(sqlite3 '$A/catalog.db' \"SELECT count(*) FROM node WHERE name GLOB '*.Trash*'\")\" = 0 ]"
	check "Empty Trash (unlink in files/) is refused (EPERM), nothing is purged" $TO sh -c "
		[ \"\$($FSOP unlink '$XT/files/gio-remove.txt')\" = EPERM ] &&
		[ \"\$($FSOP unlink '$XT/info/gio-remove.txt.trashinfo')\" = EPERM ] &&
		ls '$TC' | grep -qx gio-remove.txt"
	check "gio trash of a folder is refused (EPERM), the folder stays" $TO sh -c "
		! HOME='$T/home' gio trash '$C/folder' 2>'$T/gio.folder' &&
		grep -q 'not permitted' '$T/gio.folder' && [ -e '$C/folder/f.txt' ]"
	check "mv out of /.Trash-UID/files restores it" $TO sh -c "
		mv '$XT/files/gio-trash.txt' '$C/' &&
		[ \"\$(cat '$C/gio-trash.txt')\" = 'trash me' ] &&
		! ls '$TC' | grep -qx gio-trash.txt && ! ls '$XT/files' | grep -qx gio-trash.txt &&
		$CTL log '$C/gio-trash.txt' | tail -1 | grep -q 'restored from the trash'"
	check "umount" umount8
	check "mount -t fuse.dossierfs -o x-gvfs-notrash (utab keeps it)" mount8 x-gvfs-notrash
	check "utab keeps x-gvfs-notrash for GIO" grep -q "TARGET=$M .*x-gvfs-notrash" /run/mount/utab
	check "with x-gvfs-notrash GLib refuses gio trash; the record is untouched" $TO sh -c "
		! HOME='$T/home' gio trash '$C/gio-trash.txt' 2>'$T/gio.out' &&
		grep -q 'not supported' '$T/gio.out' &&
		[ \"\$(cat '$C/gio-trash.txt')\" = 'trash me' ]"
	check "umount" umount8
	[ -n "$KILLED" ] && echo "# a daemon did not exit after umount: killed"
fi
finish
