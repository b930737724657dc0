#!/bin/sh
# Per-user views: one daemon, a FUSE session per user. The kernel lets
# only the view's user in (root and others get EACCES); a change made
# through another view or the shared mount shows in a view on the next
# syscall where access is taken away, within a second for new names.
. "$(dirname "$0")/lib.sh"

CTL="$BUILD/dossierctl -a $A"
new_archive
# name role dept
while read -r u role dept; do
	ensure_user "$u"
	$CTL user add "$u" --role "$role" --dept "$dept" >/dev/null ||
		echo "cannot map $u" >&2
done <<'USERS'
dv_a archivist archives
dv_b director marketing
dv_c staff sales
dv_gm gm management
USERS
ensure_user dv_none
mount_fs
C=2024/contracts/ACME
mkdir -p "$M/$C"
setfattr -n user.dossier.scope -v company "$M/$C"
printf 'one\n' > "$M/$C/r1.txt"
printf 'two\n' > "$M/$C/r2.txt"
printf 'three\n' > "$M/$C/r3.txt"
printf 'four\n' > "$M/$C/r4.txt"
printf 'lent\n' > "$M/$C/conf.txt"
setfattr -n user.dossier.level -v confidential "$M/$C/conf.txt"

VA=$T/va
VB=$T/vb
mkdir "$VA" "$VB" "$T/notmine"
chown dv_a "$VA"
chown dv_b "$VB"
# mounted DIR: a view is mounted at DIR (mountpoint(1) cannot tell: the
# view refuses root's stat)
mounted() { grep -q " $1 fuse.dossierfs " /proc/self/mounts; }
# every view ends with the daemon; this is for a test that stops early
views_down() {
	for v in "$VA" "$VB" "$T/run/dv_c" "$T/vgm" "$T"/c?; do
		mounted "$v" && umount -l "$v"
	done
	cleanup
}
trap views_down EXIT INT TERM

# in_view USER OP PATH [ARG] -> errno name (fsop)
in_view() {
	u=$1
	shift
	as "$u" "$FSOP" "$@"
}
is() { [ "$(in_view "$@")" = "$want" ]; }

check "a user opens their own view at a folder they own" \
	as dv_a $CTL mount --user dv_a "$VA"
check "root opens a view for a user" $CTL mount --user dv_b "$VB"
check "asking again for the same view is no error" \
	as dv_b $CTL mount --user dv_b "$VB"
check "both views are listed for root, the own one for a user" sh -c "
	$CTL views > '$T/views' && grep -q 'dv_a	$VA' '$T/views' &&
	grep -q 'dv_b	$VB' '$T/views' &&
	setpriv --reuid=\$(id -u dv_a) --regid=\$(id -g dv_a) --clear-groups \
		$CTL views > '$T/views_a' && ! grep -q dv_b '$T/views_a'"
check "a user may not open another user's view" sh -c "
	! setpriv --reuid=\$(id -u dv_c) --regid=\$(id -g dv_c) --clear-groups \
		$CTL mount --user dv_b '$T/notmine' 2>'$T/err' &&
	grep -q \"another user's view\" '$T/err'"
check "a user may not mount their view on a folder they do not own" sh -c "
	! setpriv --reuid=\$(id -u dv_c) --regid=\$(id -g dv_c) --clear-groups \
		$CTL mount --user dv_c '$T/notmine' 2>'$T/err' &&
	grep -q 'do not own' '$T/err' && ! grep -q ' $T/notmine fuse.dossierfs ' /proc/self/mounts"
check "an unmapped account gets no view" sh -c "
	! $CTL mount --user dv_none '$T/notmine' 2>/dev/null &&
	! grep -q ' $T/notmine fuse.dossierfs ' /proc/self/mounts"

mkdir "$T/own"
chown dv_c "$T/own"
ln -s "$T/own" "$T/link"
check "a view is not mounted through a symbolic link" sh -c "
	! setpriv --reuid=\$(id -u dv_c) --regid=\$(id -g dv_c) --clear-groups \
		$CTL mount --user dv_c '$T/link' 2>/dev/null &&
	! grep -q ' $T/own fuse.dossierfs ' /proc/self/mounts"
check "nor inside the archive's own mount" sh -c "
	! $CTL mount --user dv_c '$M/2024' 2>'$T/err' &&
	grep -q 'FUSE' '$T/err'"
mkdir "$T/c1" "$T/c2" "$T/c3" "$T/c4" "$T/c5"
chown dv_c "$T/c1" "$T/c2" "$T/c3" "$T/c4" "$T/c5"
check "a user may keep 4 views, not 5" sh -c "
	for i in 1 2 3 4; do
		setpriv --reuid=\$(id -u dv_c) --regid=\$(id -g dv_c) \
			--clear-groups $CTL mount --user dv_c '$T/c'\$i >/dev/null ||
			exit 1
	done
	! setpriv --reuid=\$(id -u dv_c) --regid=\$(id -g dv_c) --clear-groups \
		$CTL mount --user dv_c '$T/c5' 2>'$T/err' &&
	grep -q 'too many views' '$T/err'"
check "... and ends them with dossierctl unmount" sh -c "
	for i in 1 2 3 4; do
		setpriv --reuid=\$(id -u dv_c) --regid=\$(id -g dv_c) \
			--clear-groups $CTL unmount '$T/c'\$i || exit 1
	done
	! grep -q ' $T/c[1-5] fuse.dossierfs ' /proc/self/mounts"
check "the view serves its user" sh -c "
	[ \"\$(setpriv --reuid=\$(id -u dv_b) --regid=\$(id -g dv_b) \
		--clear-groups cat '$VB/$C/r1.txt')\" = one ]"
check "root gets EACCES from the kernel on a view" \
	expect EACCES stat "$VB"
check "root cannot read a record through a view" \
	expect EACCES read "$VB/$C/r1.txt"
check "another user gets EACCES on a view" sh -c "
	[ \"\$(setpriv --reuid=\$(id -u dv_a) --regid=\$(id -g dv_a) \
		--clear-groups '$FSOP' stat '$VB/$C/r1.txt')\" = EACCES ] &&
	[ \"\$(setpriv --reuid=\$(id -u dv_c) --regid=\$(id -g dv_c) \
		--clear-groups '$FSOP' stat '$VB')\" = EACCES ]"
check "the shared mount keeps working" sh -c "
	[ \"\$(setpriv --reuid=\$(id -u dv_c) --regid=\$(id -g dv_c) \
		--clear-groups '$FSOP' stat '$M/$C/r1.txt')\" = OK ]"

# let B's kernel cache the folder, its names, a negative entry, pages
as dv_b ls "$VB/$C" > /dev/null
as dv_b cat "$VB/$C/r1.txt" "$VB/$C/r2.txt" "$VB/$C/r3.txt" > /dev/null
in_view dv_b stat "$VB/$C/new.txt" > /dev/null

want=OK
check "a name created in A's view shows in B's within 1 s" sh -c "
	[ \"\$(setpriv --reuid=\$(id -u dv_a) --regid=\$(id -g dv_a) \
		--clear-groups '$FSOP' save '$VA/$C/new.txt' fresh)\" = OK ]"
check "... by stat (B had cached it as absent)" \
	poll 1 is dv_b stat "$VB/$C/new.txt"
check "... and in B's listing" poll 1 sh -c "
	setpriv --reuid=\$(id -u dv_b) --regid=\$(id -g dv_b) --clear-groups \
		ls '$VB/$C' | grep -qx new.txt"
check "a name created on the shared mount shows in B's view within 1 s" \
	sh -c "printf 'x\n' > '$M/$C/shared.txt'"
check "... by stat" poll 1 is dv_b stat "$VB/$C/shared.txt"

check "a rename in A's view shows in B's within 1 s" sh -c "
	setpriv --reuid=\$(id -u dv_a) --regid=\$(id -g dv_a) --clear-groups \
		mv '$VA/$C/r2.txt' '$VA/$C/r2-renamed.txt'"
check "... the new name" poll 1 is dv_b stat "$VB/$C/r2-renamed.txt"
want=ENOENT
check "... the old name is gone" poll 1 is dv_b stat "$VB/$C/r2.txt"
check "... the listing follows" poll 1 sh -c "
	setpriv --reuid=\$(id -u dv_b) --regid=\$(id -g dv_b) --clear-groups \
		ls '$VB/$C' > '$T/ls_b' && grep -qx r2-renamed.txt '$T/ls_b' &&
	! grep -qx r2.txt '$T/ls_b'"

check "a delete on the shared mount shows in B's view within 1 s" \
	rm "$M/$C/r3.txt"
check "... by stat" poll 1 is dv_b stat "$VB/$C/r3.txt"
check "... by open" poll 1 is dv_b read "$VB/$C/r3.txt"

check "a save in A's view: B reads the new content within 1 s" sh -c "
	setpriv --reuid=\$(id -u dv_a) --regid=\$(id -g dv_a) --clear-groups \
		sh -c \"printf 'ONE, edited\n' > '$VA/$C/r1.txt'\""
check "... (B had its pages cached)" poll 1 sh -c "
	[ \"\$(setpriv --reuid=\$(id -u dv_b) --regid=\$(id -g dv_b) \
		--clear-groups cat '$VB/$C/r1.txt')\" = 'ONE, edited' ]"

# a restore (a control request) replaces content behind B's cached pages
$CTL sync >/dev/null
REV=$($CTL log "$M/$C/r2-renamed.txt" | awk '$3 != "rename" { r = $4 } END { print r }')
printf 'TWO v2\n' > "$M/$C/r2-renamed.txt"
check "B reads the newer content" poll 1 sh -c "
	[ \"\$(setpriv --reuid=\$(id -u dv_b) --regid=\$(id -g dv_b) \
		--clear-groups cat '$VB/$C/r2-renamed.txt')\" = 'TWO v2' ]"
check "a restore by dossierctl: B's next read has the restored content" \
	sh -c "[ -n '$REV' ] &&
	$CTL restore '$M/$C/r2-renamed.txt' '$REV' --reason test >/dev/null &&
	[ \"\$(setpriv --reuid=\$(id -u dv_b) --regid=\$(id -g dv_b) \
		--clear-groups cat '$VB/$C/r2-renamed.txt')\" = two ]"

# an editor's save by rename in one's own view: the temp's dentry moves
# onto the record's name, but the temp's node is gone
cat > "$T/gsave.sh" <<'SH'
cd "$1" || exit 1
cat new.txt >/dev/null || exit 2
printf 'saved\n' > .goutputstream-X1 || exit 3
mv .goutputstream-X1 new.txt || exit 4
[ "$(cat new.txt)" = saved ] || exit 5
printf 'more\n' >> new.txt || exit 6
[ "$(tail -n 1 new.txt)" = more ] || exit 7
SH
check "a save by rename in A's own view reads back at once, and again" \
	as dv_a sh "$T/gsave.sh" "$VA/$C"
check "... and the shared mount reads the same" sh -c "
	[ \"\$(cat '$M/$C/new.txt')\" = \"\$(printf 'saved\nmore')\" ]"

# reclassified away: B's very next syscall must not find it
as dv_b cat "$VB/$C/r4.txt" > /dev/null
as dv_b ls "$VB/$C" > /dev/null
check "reclassified to topsecret on the shared mount" \
	setfattr -n user.dossier.level -v topsecret "$M/$C/r4.txt"
check "... B's next stat answers ENOENT" is dv_b stat "$VB/$C/r4.txt"
check "... B's next open answers ENOENT" is dv_b read "$VB/$C/r4.txt"
check "... B's next listing leaves it out" sh -c "
	! setpriv --reuid=\$(id -u dv_b) --regid=\$(id -g dv_b) --clear-groups \
		ls '$VB/$C' | grep -qx r4.txt"

# grants: B lists conf.txt but may read it only on a grant
want=EACCES
check "B may not read a confidential record" is dv_b read "$VB/$C/conf.txt"
cat > "$T/slowread.sh" <<'SH'
# open, read, wait for a file to appear, read again through the same fd
exec 3<"$1" || exit 2
head -c 2 <&3 >/dev/null || exit 3
: > "$2.open"
n=0
while [ ! -e "$2" ] && [ $n -lt 400 ]; do sleep 0.05; n=$((n + 1)); done
if dd bs=1 count=1 <&3 >/dev/null 2>"$3"; then exit 0; fi
exit 1
SH
: > "$T/err3"
chmod 666 "$T/err3"
gm() {
	setpriv --reuid="$(id -u dv_gm)" --regid="$(id -g dv_gm)" \
		--clear-groups "$@"
}
check "a grant lets B read it in the view" sh -c "
	setpriv --reuid=\$(id -u dv_gm) --regid=\$(id -g dv_gm) --clear-groups \
		$CTL grant '$M/$C/conf.txt' --user dv_b --read --for 1h \
		--reason 'view test' >/dev/null &&
	[ \"\$(setpriv --reuid=\$(id -u dv_b) --regid=\$(id -g dv_b) \
		--clear-groups cat '$VB/$C/conf.txt')\" = lent ]"
chmod 777 "$T"
as dv_b sh "$T/slowread.sh" "$VB/$C/conf.txt" "$T/revoked" "$T/err3" &
READER=$!
poll 5 test -e "$T/revoked.open"
check "revoking it: B's next open is refused" sh -c "
	id=\$($CTL grants | awk '/dv_b/ {print \$1; exit}') &&
	$CTL revoke \$id >/dev/null &&
	[ \"\$(setpriv --reuid=\$(id -u dv_b) --regid=\$(id -g dv_b) \
		--clear-groups '$FSOP' read '$VB/$C/conf.txt')\" = EACCES ]"
touch "$T/revoked"
wait $READER
RC=$?
check "... and so is the next read through a descriptor opened before" \
	sh -c "[ $RC = 1 ] && grep -q 'Permission denied' '$T/err3'"
: > "$T/err3"
rm -f "$T/revoked"
check "a 3 s grant: B reads in the view" sh -c "
	setpriv --reuid=\$(id -u dv_gm) --regid=\$(id -g dv_gm) --clear-groups \
		$CTL grant '$M/$C/conf.txt' --user dv_b --read --for 3s \
		--reason 'view test' >/dev/null &&
	[ \"\$(setpriv --reuid=\$(id -u dv_b) --regid=\$(id -g dv_b) \
		--clear-groups '$FSOP' read '$VB/$C/conf.txt')\" = OK ]"
check "... and B's mode bits say readable at once (cached ones dropped)" \
	sh -c "[ \"\$(setpriv --reuid=\$(id -u dv_b) --regid=\$(id -g dv_b) \
		--clear-groups stat -c %A '$VB/$C/conf.txt')\" = '-r--r--r--' ]"
as dv_b sh "$T/slowread.sh" "$VB/$C/conf.txt" "$T/ended" "$T/err3" &
READER=$!
poll 5 test -e "$T/ended.open"
check "... when it ends, B's next open is refused" \
	poll 5 is dv_b read "$VB/$C/conf.txt"
touch "$T/ended"
wait $READER
RC=$?
check "... and the next read through a descriptor opened before" \
	sh -c "[ $RC = 1 ] && grep -q 'Permission denied' '$T/err3'"
check "... and B's cached mode bits no longer say readable, within 1 s" \
	poll 1 sh -c "[ \"\$(setpriv --reuid=\$(id -u dv_b) \
		--regid=\$(id -g dv_b) --clear-groups \
		stat -c %A '$VB/$C/conf.txt')\" = '----------' ]"

# ending views
check "fusermount3 -u by its user ends a view" sh -c "
	setpriv --reuid=\$(id -u dv_b) --regid=\$(id -g dv_b) --clear-groups \
		fusermount3 -u '$VB' && ! grep -q ' $VB fuse.dossierfs ' /proc/self/mounts"
check "... and the daemon forgets it" poll 2 sh -c "
	! $CTL views | grep -q dv_b"
check "dossierctl unmount by root ends a user's view" sh -c "
	$CTL unmount '$VA' && ! grep -q ' $VA fuse.dossierfs ' /proc/self/mounts"
check "root makes the folder of a view (as Samba's root preexec would)" sh -c "
	$CTL mount --user dv_c '$T/run/dv_c' >/dev/null &&
	grep -q ' $T/run/dv_c fuse.dossierfs ' /proc/self/mounts"
printf 'sec\n' > "$M/$C/sec.txt"
setfattr -n user.dossier.level -v secret "$M/$C/sec.txt"
mkdir "$T/vgm"
chown dv_gm "$T/vgm"
as dv_gm $CTL mount --user dv_gm "$T/vgm" >/dev/null
NOSITE=$(in_view dv_gm read "$T/vgm/$C/sec.txt")
# a process inside a view must not keep the daemon (and the view) alive
as dv_gm sh -c "cd '$T/vgm/$C' && exec sleep 60" &
INSIDE=$!
check "a process of dv_gm's is inside the view" \
	poll 5 sh -c "for p in /proc/[0-9]*; do readlink \$p/cwd; done 2>/dev/null |
		grep -qF '$T/vgm/'"
fusermount3 -u "$M"
check "the daemon exits although a process is inside a view" \
	poll 10 sh -c "! kill -0 $DAEMON_PID 2>/dev/null"
kill $INSIDE 2>/dev/null; pkill -u dv_gm -x sleep 2>/dev/null
wait $DAEMON_PID
DAEMON_PID=
check "the daemon's exit ends every view" sh -c "
	! grep -q ' $T/run/dv_c fuse.dossierfs ' /proc/self/mounts && ! grep -q ' $T/vgm fuse.dossierfs ' /proc/self/mounts"
mount_fs -o site=reading-room
as dv_gm $CTL mount --user dv_gm "$T/vgm" >/dev/null
check "-o site= applies to views as to the shared mount" sh -c "
	[ '$NOSITE' = EACCES ] &&
	[ \"\$(setpriv --reuid=\$(id -u dv_gm) --regid=\$(id -g dv_gm) \
		--clear-groups '$FSOP' read '$T/vgm/$C/sec.txt')\" = OK ] &&
	[ \"\$(setpriv --reuid=\$(id -u dv_gm) --regid=\$(id -g dv_gm) \
		--clear-groups '$FSOP' read '$M/$C/sec.txt')\" = OK ]"
finish
