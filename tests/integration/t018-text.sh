#!/bin/sh
# Text of records: image-only PDFs holding Chinese and English text (made
# here from text with ImageMagick and img2pdf) are recognised in the
# background; search finds a scan for a reader and not for a user who may
# only list it, follows a reclassification at once and is audited; diff
# of two scanned versions shows the changed words; the text never shows
# in xattrs, the history view or the trash; the queue survives a restart;
# after purge no recognised text of any version is left in the catalog
# (file and WAL) or anywhere in the archive. Prints recognition quality
# (characters right, Chinese and English apart).
. "$(dirname "$0")/lib.sh"

MKSCAN="$(dirname "$0")/../tools/mkscan.sh"
SCORE=$BUILD/tests/ocrscore
for tool in tesseract img2pdf convert pdftoppm; do
	command -v $tool >/dev/null || { echo "# SKIP: no $tool"; exit 77; }
done
tesseract --list-langs 2>/dev/null | grep -qx chi_sim ||
	{ echo "# SKIP: no tesseract chi_sim data"; exit 77; }

new_archive
CTL="$BUILD/dossierctl -a $A"
while read -r u role dept; do
	ensure_user "$u"
	$CTL user add "$u" --role "$role" --dept "$dept" >/dev/null ||
		echo "cannot map $u" >&2
done <<'USERS'
tx_gm gm management
tx_staff staff sales
USERS
mount_fs
# as_u USER: a command prefix running as USER (usable inside sh -c)
as_u() {
	echo "setpriv --reuid=$(id -u "$1") --regid=$(id -g "$1") --clear-groups --"
}
GM=$(as_u tx_gm)
STAFF=$(as_u tx_staff)
C="$M/2024/contracts/ACME Ltd"
mkdir -p "$C"
R="$C/contract.pdf"

# wait_text: until the recognition queue is empty (at most 120 s)
wait_text() {
	i=0
	while [ $i -lt 240 ]; do
		$CTL sync >/dev/null 2>&1
		$CTL ocr status > "$T/status" 2>&1 &&
			grep -qx 'queued: 0' "$T/status" && return 0
		sleep 0.5
		i=$((i + 1))
	done
	cat "$T/status"
	return 1
}

cat > "$T/v1p1.txt" <<'EOF'
合同编号 HT-2024-017
甲方：上海华东贸易有限公司
乙方：ACME Ltd
合同金额为人民币一百二十万元整
Payment is due within thirty days of delivery.
EOF
cat > "$T/v1p2.txt" <<'EOF'
Warranty: twelve months from acceptance.
保修期为十二个月，运费由甲方承担。
EOF
# the second version changes a few words
sed 's/一百二十万/九十五万/; s/thirty days/sixty days/' "$T/v1p1.txt" > "$T/v2p1.txt"
cp "$T/v1p2.txt" "$T/v2p2.txt"
check "scans are made from text (image-only PDFs)" sh -c "
	'$MKSCAN' '$T/v1.pdf' '$T/v1p1.txt' '$T/v1p2.txt' &&
	'$MKSCAN' '$T/v2.pdf' '$T/v2p1.txt' '$T/v2p2.txt' &&
	[ \$(pdftotext '$T/v1.pdf' - | tr -d ' \n\f' | wc -c) -eq 0 ]"

# 1. a scan is recognised in the background; the bytes stay the original
cp "$T/v1.pdf" "$R"
check "recognition finishes" wait_text
check "the record's bytes are the scan's, untouched" cmp "$R" "$T/v1.pdf"
check "show --text prints the recognised text" sh -c "
	$CTL show --text '$R' > '$T/text1' && grep -q '上海华东' '$T/text1' &&
	grep -q 'Payment' '$T/text1'"
cat "$T/v1p1.txt" "$T/v1p2.txt" > "$T/truth1"
Q=$("$SCORE" "$T/truth1" "$T/text1")
echo "# recognition quality, version 1 (2 pages): $Q"
zh=$(echo "$Q" | sed 's/^chinese [0-9]*\/[0-9]* \([0-9]*\).*/\1/')
en=$(echo "$Q" | sed 's/.*english [0-9]*\/[0-9]* \([0-9]*\).*/\1/')
check "at least 85% of Chinese characters are right ($zh%)" [ "$zh" -ge 85 ]
check "at least 95% of English letters and digits are right ($en%)" [ "$en" -ge 95 ]
check "ocr status counts the pages" sh -c "
	grep -qx 'pages: 2' '$T/status' && grep -qx 'recognised: 1' '$T/status' &&
	grep -qx 'failed: 0' '$T/status' && grep -q '^pages-per-minute: [1-9]' '$T/status'"

# 2. search: a reader finds it, a user who may only list it does not
check "tx_gm may read the record" as tx_gm cat "$R" >/dev/null
check "tx_staff may list but not read it" sh -c "
	[ \$($STAFF $FSOP stat '$R') = OK ] &&
	[ \$($STAFF $FSOP read '$R') = EACCES ]"
S="$BUILD/dossierctl search"
check "a reader finds the scan by a Chinese phrase" sh -c "
	$GM $S --path '$C' 华东贸易 | grep -q 'contract.pdf'"
check "... and by English words, with a snippet" sh -c "
	$GM $S --path '$C' 'thirty days' > '$T/hit' &&
	grep -q 'contract.pdf' '$T/hit' && grep -q '\[thirty' '$T/hit'"
check "... and by two Chinese characters (below the trigram length)" sh -c "
	$GM $S --path '$C' 保修 | grep -q 'contract.pdf'"
check "--json gives path, version and snippet" sh -c "
	$GM $S --path '$C' --json 华东贸易 | grep -q '\"version\": \"[0-9a-f]\{40\}\"'"
check "a lister does not find it (phrase, short word, English)" sh -c "
	$STAFF $S --path '$C' 华东贸易 > '$T/miss' &&
	$STAFF $S --path '$C' 保修 >> '$T/miss' &&
	$STAFF $S --path '$C' 'thirty days' >> '$T/miss' &&
	! grep -q 'contract' '$T/miss' && ! grep -q '华东' '$T/miss'"
check "a lister's answer is the same as for a word nowhere" sh -c "
	$STAFF $S --path '$C' 华东贸易 > '$T/a1' &&
	$STAFF $S --path '$C' 绝无此词语 > '$T/a2' && cmp '$T/a1' '$T/a2'"
check "a lister may not read its text (show --text)" sh -c "
	! $STAFF $BUILD/dossierctl show --text '$R' > '$T/st' 2>&1 &&
	! grep -q '华东' '$T/st'"
check "every search is audited with its query" sh -c "
	$CTL audit --user tx_staff > '$T/audit' &&
	grep 'search' '$T/audit' | grep -q '华东贸易'"
check "no xattr carries the text" sh -c "
	! $GM getfattr -d -m - '$R' 2>/dev/null | grep -q -e 华东 -e Payment"
# 3. a second version: diff shows the changed words; search the current
cp "$T/v2.pdf" "$R"
check "the second version is recognised" wait_text
$CTL show --text "$R" > "$T/text2"
cat "$T/v2p1.txt" "$T/v2p2.txt" > "$T/truth2"
echo "# recognition quality, version 2 (2 pages): $("$SCORE" "$T/truth2" "$T/text2")"
check "diff of the two scans shows the changed words" sh -c "
	$BUILD/dossierctl diff '$R' > '$T/diff';
	grep -q '^-.*一百二十万' '$T/diff' && grep -q '^+.*九十五万' '$T/diff' &&
	grep -q '^-.*thirty' '$T/diff' && grep -qi '^+.*sixty' '$T/diff' &&
	! grep -q '^[-+].*保修期' '$T/diff'"
check "show --text REV prints an older version's text" sh -c "
	rev=\$($CTL log '$R' | awk 'NR==1{print \$4}');
	$CTL show --text '$R' \$rev | grep -q 'thirty'"
check "search covers the current version only" sh -c "
	$GM $S --path '$C' 'sixty days' | grep -q 'contract.pdf' &&
	! $GM $S --path '$C' 'thirty days' | grep -q 'contract.pdf'"

check "the history view holds the scans' bytes, never their text" sh -c "
	h='$M/.history/2024/contracts/ACME Ltd/contract.pdf';
	[ \$(ls \"\$h\" | wc -l) -eq 2 ] &&
	cmp \"\$h/\$(ls \"\$h\" | head -1)\" '$T/v1.pdf' &&
	! $GM grep -r -a -l -e 上海华东 -e Warranty \"\$h\" &&
	! $STAFF grep -r -a -l -e 上海华东 -e Warranty '$M/.history' '$M/.trash' 2>/dev/null"

# 4. an image record; a reclassification applies to search at once
printf 'Memo about the merger\n并购备忘录第三稿\n' > "$T/memo.txt"
"$MKSCAN" "$T/memo.png" "$T/memo.txt"
cp "$T/memo.png" "$C/memo.png"
check "a PNG image is recognised" wait_text
check "a reader finds it" sh -c "$GM $S --path '$C' 并购备忘录 | grep -q 'memo.png'"
setfattr -n user.dossier.level -v secret "$C/memo.png"
check "raised to secret, it is no hit for the reader at once" sh -c "
	$GM $S --path '$C' 并购备忘录 > '$T/sec' && ! grep -q 'memo' '$T/sec'"

# hidden records must not reorder a reader's hits: two visible records,
# each rich in one of two words, then secret records full of one word
# (bm25 would weigh that word down and swap them)
R1="$C/rank-a.txt" R2="$C/rank-b.txt"
printf 'zylofon zylofon zylofon quarnel\n' > "$R1"
printf 'zylofon quarnel quarnel quarnel\n' > "$R2"
wait_text
$GM $S --path "$C" 'zylofon quarnel' | grep '^/' > "$T/rank1"
for i in 1 2 3 4 5 6; do
	printf 'zylofon zylofon zylofon zylofon %s\n' "$i" > "$C/hidden-$i.txt"
	setfattr -n user.dossier.level -v secret "$C/hidden-$i.txt"
done
wait_text
$GM $S --path "$C" 'zylofon quarnel' | grep '^/' > "$T/rank2"
check "hidden records do not reorder a reader's hits" sh -c "
	[ \$(wc -l < '$T/rank1') -eq 2 ] && cmp '$T/rank1' '$T/rank2'"
rm -f "$R1" "$R2"

# 5. the queue survives a restart (recognition paused meanwhile)
printf 'Queue survives a restart\n队列在重启后仍然保留\n' > "$T/queue.txt"
"$MKSCAN" "$T/queue.pdf" "$T/queue.txt"
$CTL policy set text-recognition off >/dev/null
cp "$T/queue.pdf" "$C/queue.pdf"
$CTL sync >/dev/null
check "paused, the saved scan waits in the queue" sh -c "
	$CTL ocr status > '$T/st1' && grep -qx 'queued: 1' '$T/st1' &&
	grep -qx 'recognition: off' '$T/st1'"
check "show --text says it is queued (and not how many wait before it)" sh -c "
	! $CTL show --text '$C/queue.pdf' 2> '$T/q' && grep -q 'not recognised yet: it is queued' '$T/q'"
check "unmount with a version queued" umount_fs
mount_fs
check "after a restart it is still queued" sh -c "
	$CTL ocr status | grep -qx 'queued: 1'"
$CTL policy set text-recognition on >/dev/null
check "resumed, it is recognised" sh -c "
	wait_text() { i=0; while [ \$i -lt 240 ]; do $CTL ocr status | grep -qx 'queued: 0' && return 0; sleep 0.5; i=\$((i + 1)); done; return 1; };
	wait_text && $CTL show --text '$C/queue.pdf' | grep -qi 'restart'"

# 6. purge: no recognised text of any version is left
# words of the texts that no search above asked for (the audit trail
# keeps queries)
WORDS=
for w in 上海华东 有限公司 Payment delivery Warranty acceptance 运费由甲方 九十五万; do
	grep -q "$w" "$T/text1" "$T/text2" && WORDS="$WORDS $w"
done
check "at least 5 recognised words to look for ($WORDS)" [ $(echo $WORDS | wc -w) -ge 5 ]
check "they are in the catalog before the purge" sh -c "
	for w in $WORDS; do
		n=\$(sqlite3 '$A/catalog.db' \"SELECT count(*) FROM version_text WHERE instr(body, '\$w') > 0\");
		[ \"\$n\" -ge 1 ] || { echo \"\$w: \$n\"; exit 1; }
	done"
$CTL policy set trash-days 0 >/dev/null 2>&1 ||
	sqlite3 "$A/catalog.db" "UPDATE setting SET value = '0' WHERE key = 'trash-days'"
rm "$R"
check "in the trash it is the scan, not its text" sh -c "
	cmp '$M/.trash/2024/contracts/ACME Ltd/contract.pdf' '$T/v2.pdf' &&
	! $GM $S --path '$M' 'sixty days' | grep -q contract"
sleep 1.2
check "purge destroys the record" sh -c "$CTL purge | grep -q '^purged .*contract.pdf'"
check "no recognised word is left in the catalog, its WAL or the archive" sh -c "
	ls '$A'/catalog.db-wal >/dev/null &&
	for w in $WORDS; do
		! grep -a -l -r -F \"\$w\" '$A' || exit 1
	done"
# the index keeps terms as trigrams, prefix-compressed: look for the
# second and third characters of the Chinese words too (FTS5 leaves a
# deleted row's terms in its segments until they are merged)
TRI=$(for w in $WORDS; do
	case $w in [A-Za-z]*) ;; *) printf '%s ' "$(printf %s "$w" | cut -b4-9)" ;; esac
done)
check "no piece of them is left in the index's segments ($TRI)" sh -c "
	[ -n '$TRI' ] &&
	for w in $TRI; do
		! grep -a -l -F \"\$w\" '$A'/catalog.db* || exit 1
	done"
check "only the other records' texts are kept (memo, queue, hidden-*)" sh -c "
	[ \$(sqlite3 '$A/catalog.db' 'SELECT count(*) FROM version_text') -eq 8 ] &&
	[ \$(sqlite3 '$A/catalog.db' 'SELECT count(*) FROM text_index') -eq 8 ] &&
	[ \$(sqlite3 '$A/catalog.db' 'SELECT count(*) FROM text_queue') -eq 0 ] &&
	sqlite3 '$A/catalog.db' 'SELECT body FROM text_index' | grep -q 并购备忘录"
check "search finds nothing of it" sh -c "
	! $GM $S --path '$C' 华东贸易 | grep -q contract"
check "unmount" umount_fs
check "after the daemon's exit too (catalog closed, WAL merged)" sh -c "
	for w in $WORDS; do
		! grep -a -l -r -F \"\$w\" '$A' || exit 1
	done"
finish
