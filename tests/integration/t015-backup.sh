#!/bin/sh
# Backup, restore-backup and verify: a backup taken while a writer saves
# is consistent (verify of its restore is clean; records, bytes and
# history equal the original's); a second backup writes only what
# changed (the rest are hard links); verify exits 1 with a sentence
# naming the record for a damaged history object, a missing content file
# and a tampered catalog row, and 0 on a sound archive, mounted or not.
. "$(dirname "$0")/lib.sh"

M2=$T/mnt2
mkdir "$M2"
WRITER=
DAEMON2=
cleanup_backup() {
	[ -n "$WRITER" ] && kill "$WRITER" 2>/dev/null
	mountpoint -q "$M2" 2>/dev/null && fusermount3 -u "$M2"
	[ -n "$DAEMON2" ] && wait "$DAEMON2" 2>/dev/null
	cleanup
}
trap cleanup_backup EXIT INT TERM

new_archive
mount_fs
CTL="$BUILD/dossierctl -a $A"
C="$M/2024/contracts/ACME Ltd"
D="$M/2025/sales/华为技术有限公司"
mkdir -p "$C" "$D"
for i in 1 2 3 4 5 6; do
	head -c $((i * 40000)) /dev/urandom > "$C/scan-$i.pdf"
	echo "合同 $i" > "$D/合同-$i.txt"
done
echo "v1" > "$C/offer.txt"
echo "v2" > "$C/offer.txt"
$CTL sync

# 1. a backup while writers save a small and a large file (a deferred
# snapshot: more than 64 KiB) again and again
head -c 200000 /dev/zero | tr '\0' x > "$T/filler"
( i=0; while :; do i=$((i + 1))
	printf 'save %d complete\n' $i > "$C/busy.txt"
	{ printf 'save %d\n' $i; cat "$T/filler"; printf '\nend\n'; } > "$C/big.txt"
done ) &
WRITER=$!
sleep 0.5
check "backup while a writer saves exits 0" $CTL backup "$T/bk"
kill "$WRITER"
wait "$WRITER" 2>/dev/null
WRITER=
$CTL sync
G0=$(readlink "$T/bk/latest")
check "the backup is a generation with a manifest" test -s "$T/bk/$G0/MANIFEST"
check "sha256sum -c accepts its manifest" sh -c "cd '$T/bk/latest' && sha256sum -c --quiet MANIFEST"
check "no snapshot is left in the archive folder" sh -c "! ls -d '$A'/backup-* 2>/dev/null"
check "verify of the mounted archive exits 0" $CTL verify
# a snapshot an interrupted backup left would keep purged bytes: it goes
mkdir "$A/backup-stale" && : > "$A/backup-stale/lock" && touch -d '-1 hour' "$A/backup-stale"
check "a stale snapshot is swept by the next backup" sh -c "
	$CTL backup '$T/bk' >/dev/null && test ! -e '$A/backup-stale'"

G1=$(readlink "$T/bk/latest")

# 2. restore into a new archive: verify clean, same records, bytes, history
check "restore-backup of the generation taken during saves" "$BUILD/dossierctl" restore-backup "$T/bk/$G0" "$T/restored"
check "verify of the restored archive exits 0" "$BUILD/dossierctl" -a "$T/restored" verify
"$BUILD/dossierfs" "$T/restored" "$M2" -f 2>>"$T/daemon2.log" &
DAEMON2=$!
i=0
while ! mountpoint -q "$M2" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "the restored archive mounts" mountpoint -q "$M2"
check "the same records with the same bytes (but the busy one)" \
	diff -r -x busy.txt -x big.txt -x .history "$M/2024" "$M2/2024"
check "the same 2025 records" diff -r "$M/2025" "$M2/2025"
check "the busy record is one whole save" grep -qx 'save [0-9]* complete' \
	"$M2/2024/contracts/ACME Ltd/busy.txt"
# (cat's exit closes its copy of the descriptor: a save of the first two
# parts, then the shell's close saves all three; either may be the last)
check "the large busy record is a whole save, its last version" sh -c "
	f='$M2/2024/contracts/ACME Ltd/big.txt'
	last=\$('$BUILD/dossierctl' log -n 1 \"\$f\" | awk '{print \$4}')
	head -1 \"\$f\" | grep -qx 'save [0-9]*' &&
	test \$(sed -n 2p \"\$f\" | head -c 200000 | tr -d x | wc -c) -eq 0 &&
	test \$(sed -n 2p \"\$f\" | wc -c) -ge 200000 &&
	'$BUILD/dossierctl' show \"\$f\" \$last | cmp - \"\$f\""
$CTL log "$C/offer.txt" > "$T/log.orig"
"$BUILD/dossierctl" log "$M2/2024/contracts/ACME Ltd/offer.txt" > "$T/log.rest"
check "the same history (log) of a record" cmp "$T/log.orig" "$T/log.rest"
check "every version reads the same" sh -c "
	for f in '$M/.history/2024/contracts/ACME Ltd/offer.txt'/*; do
		cmp \"\$f\" '$M2/.history/2024/contracts/ACME Ltd/offer.txt/'\"\$(basename \"\$f\")\" || exit 1
	done"
fusermount3 -u "$M2"
wait "$DAEMON2"
DAEMON2=

# 3. a second backup writes only the change
echo "v3" > "$C/offer.txt"
$CTL sync
sleep 1	# a new generation name (one per second)
$CTL backup "$T/bk" > "$T/bk2.out"
check "a second backup exits 0" test $? -eq 0
G2=$(readlink "$T/bk/latest")
check "latest moved to the new generation" test "$G1" != "$G2"
# content files new in G2 (not hard links to G1): only offer.txt
new=$(find "$T/bk/$G2/content" -type f -links 1 | wc -l)
linked=$(find "$T/bk/$G2/content" -type f -links +1 | wc -l)
check "only changed records were written (got $new new, $linked linked)" \
	test "$new" -eq 1 -a "$linked" -eq 14
check "unchanged history objects are links too" sh -c "
	! find '$T/bk/$G2/history.git/objects' -type f -links 1 -path '*/pack/*' | grep -q . ||
	find '$T/bk/$G2/history.git/objects' -type f -links +1 | grep -q ."

ensure_user dossier_t015
as dossier_t015 $CTL backup "$T/userbk" 2>"$T/u.err"
check "a user who is not root may not back up (exit 1, a sentence)" sh -c "
	test $? -eq 1 && grep -q 'made by root\|not a user of this archive' '$T/u.err' &&
	test ! -e '$T/userbk'"
umount_fs

# 4. verify finds damage, one sentence naming the record
damaged() {	# damaged NAME: a copy of the archive to break
	rm -rf "$T/$1"
	cp -a "$A" "$T/$1"
}
check "verify of the unmounted archive exits 0" $CTL verify

damaged hist
blob=$(sqlite3 "$T/hist/catalog.db" "SELECT blob FROM version WHERE path LIKE '%合同-3.txt' AND blob IS NOT NULL")
obj="$T/hist/history.git/objects/$(echo "$blob" | cut -c1-2)/$(echo "$blob" | cut -c3-)"
chmod u+w "$obj" && printf 'XXXXXXXX' | dd of="$obj" bs=1 seek=4 conv=notrunc 2>/dev/null
"$BUILD/dossierctl" -a "$T/hist" verify > "$T/v.out"
check "a damaged history object: verify exits 1" test $? -eq 1
check "... and names the record and the remedy" sh -c "
	grep '^problem: ' '$T/v.out' | grep '合同-3.txt' | grep -q 'restore history.git'"

damaged cont
id=$(sqlite3 "$T/cont/catalog.db" "SELECT id FROM node WHERE name = 'scan-2.pdf'")
rm "$T/cont/content/$(printf %02x $((id & 255)))/$id"
"$BUILD/dossierctl" -a "$T/cont" verify > "$T/v.out"
check "a missing content file: verify exits 1" test $? -eq 1
check "... and names the record and the remedy" sh -c "
	grep '^problem: ' '$T/v.out' | grep 'scan-2.pdf' | grep 'missing' | grep -q 'dossierctl restore'"

damaged row
sqlite3 "$T/row/catalog.db" "UPDATE version SET author = 'mallory' WHERE path LIKE '%scan-4.pdf'"
"$BUILD/dossierctl" -a "$T/row" verify > "$T/v.out"
check "a tampered catalog row: verify exits 1" test $? -eq 1
check "... and names the version, the record and the remedy" sh -c "
	grep '^problem: ' '$T/v.out' | grep 'scan-4.pdf' | grep mallory | grep -q 'restore the catalog'"

damaged audit
sqlite3 "$T/audit/catalog.db" "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id = 2"
"$BUILD/dossierctl" -a "$T/audit" verify > "$T/v.out"
check "a cut audit trail: verify exits 1 naming the rows" sh -c "
	grep -q 'Audit trail row 2 is missing' '$T/v.out' &&
	grep -q 'audit_no_delete' '$T/v.out'"

damaged cat
dd if=/dev/urandom of="$T/cat/catalog.db" bs=4096 seek=3 count=4 conv=notrunc 2>/dev/null
"$BUILD/dossierctl" -a "$T/cat" verify > "$T/v.out" 2>&1
check "a damaged catalog: verify exits 1 saying to restore it" sh -c "
	test $? -eq 1 && grep -q 'catalog is damaged' '$T/v.out' &&
	grep -q 'restore catalog.db from the last backup' '$T/v.out'"

check "a restore from a damaged backup is refused, leaving nothing" sh -c "
	f=\$(find '$T/bk/$G2/content' -type f -links 1 | head -1)
	echo tamper >> \"\$f\"
	! '$BUILD/dossierctl' restore-backup '$T/bk' '$T/bad' 2>'$T/rb.err' &&
	grep -q damaged '$T/rb.err' && test ! -e '$T/bad'"
check "restore-backup refuses a folder that is not empty" sh -c "
	! '$BUILD/dossierctl' restore-backup '$T/bk/$G1' '$A' 2>/dev/null"
check "backup --help exits 0" $CTL backup --help
check "verify --help exits 0" $CTL verify --help
finish
