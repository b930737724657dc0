# shellcheck shell=bash
# Text recognition (issue 17): what background OCR costs a save, and how
# fast it recognises. Sourced by tests/bench/bench.sh.
#
# A scan of BENCH_TEXT_PAGES pages (A4 width at 300 dpi, Chinese and
# English lines, made once with tests/tools/mkscan.sh: an image-only
# PDF) is written as new files into each target's tree; close() alone is
# timed (median of BENCH_TEXT_SAVES saves):
#   text_close_off  on dossierfs with recognition paused
#                   (policy set text-recognition off): saves queue only
#   text_close_on   recognition on: the first save starts recognising,
#                   the next ones close while tesseract runs
# On the other targets both rows are the same plain save (a reference).
#   text_ocr        pages recognised per minute: on dossierfs the
#                   daemon's own figure ('dossierctl ocr status') once its
#                   queue is empty (at most BENCH_TEXT_WAIT seconds); on
#                   the others the same tools (pdftoppm | tesseract
#                   chi_sim+eng, one thread, nice 19) on the first
#                   BENCH_TEXT_REF_PAGES pages of the scan in that tree.
# Environment (defaults in brackets):
#   BENCH_TEXT_PAGES [20]  BENCH_TEXT_SAVES [3]  BENCH_TEXT_WAIT [1800]
#   BENCH_TEXT_REF_PAGES [2]

TEXT_PAGES=${BENCH_TEXT_PAGES:-20}
TEXT_SAVES=${BENCH_TEXT_SAVES:-3}
TEXT_WAIT=${BENCH_TEXT_WAIT:-1800}
TEXT_REF_PAGES=${BENCH_TEXT_REF_PAGES:-2}
TEXT_DIR_REL=2024/contracts/text-client

text_scan() {	# the scan, made once
	local d=$WORK/text p
	[[ -s $d/scan.pdf ]] && return 0
	command -v tesseract >/dev/null && command -v img2pdf >/dev/null ||
		{ log "text: tesseract or img2pdf missing"; return 1; }
	mkdir -p "$d"
	cc -O2 -Wall -o "$BIN/closetime" "$HERE/closetime.c" || return 1
	for ((p = 1; p <= TEXT_PAGES; p++)); do
		for ((l = 1; l <= 30; l++)); do
			printf '第%d页第%d行 合同条款：甲方应于收货后三十日内付款。 Clause %d.%d: payment within thirty days.\n' \
				"$p" "$l" "$p" "$l"
		done >"$d/page$p.txt"
	done
	# shellcheck disable=SC2046
	SCAN_WIDTH=2480 "$HERE/../tools/mkscan.sh" "$d/scan.pdf" \
		$(for ((p = 1; p <= TEXT_PAGES; p++)); do echo "$d/page$p.txt"; done) ||
		{ log "text: cannot make the scan"; return 1; }
	log "text: made a $TEXT_PAGES-page scan of $(($(stat -c %s "$d/scan.pdf") / 1024)) KiB"
}

text_ctl() { "$BUILD/dossierctl" -a "$WORK/dossierfs-archive" "$@"; }

# text_close TARGET on|off: median close() in ms -> closes/s
text_close() {
	local t=$1 mode=$2 dir="${ROOT[$1]}/$TEXT_DIR_REL" dsts=() i
	text_scan || return 1
	mkdir -p "$dir"
	if [[ $t == dossierfs ]]; then
		text_ctl policy set text-recognition "$mode" >/dev/null || return 1
	fi
	for ((i = 0; i < TEXT_SAVES; i++)); do
		dsts+=("$dir/scan-$mode-$ROUND-$i.pdf")
	done
	"$BIN/closetime" "$WORK/text/scan.pdf" "${dsts[@]}" >"$WORK/text/close" || return 1
	[[ $t == dossierfs ]] && text_ctl sync >/dev/null
	sort -n "$WORK/text/close" | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.2f\n", 1000 / (m > 0.001 ? m : 0.001) }'
}

wl_text_close_off() { text_close "$1" off; }
wl_text_close_on() { text_close "$1" on; }

wl_text_ocr() {
	local t=$1 i s e f="${ROOT[$1]}/$TEXT_DIR_REL/scan-ref.pdf"
	text_scan || return 1
	if [[ $t == dossierfs ]]; then
		text_ctl policy set text-recognition on >/dev/null
		for ((i = 0; i < TEXT_WAIT; i++)); do
			text_ctl ocr status >"$WORK/text/status" || return 1
			grep -qx 'queued: 0' "$WORK/text/status" && break
			sleep 1
		done
		grep -qx 'queued: 0' "$WORK/text/status" ||
			{ log "text: queue not empty after $TEXT_WAIT s"; return 1; }
		log "text: $(tr '\n' ' ' <"$WORK/text/status")"
		awk -F': ' '$1 == "pages-per-minute" { print $2 }' "$WORK/text/status"
		return
	fi
	mkdir -p "$(dirname "$f")"
	cp "$WORK/text/scan.pdf" "$f"
	s=$(now)
	for ((i = 1; i <= TEXT_REF_PAGES; i++)); do
		pdftoppm -f "$i" -l "$i" -r 300 -gray "$f" |
			OMP_THREAD_LIMIT=1 nice -n 19 tesseract stdin stdout -l chi_sim+eng >/dev/null 2>&1 ||
			return 1
	done
	e=$(now)
	awk -v n="$TEXT_REF_PAGES" -v a="$s" -v b="$e" 'BEGIN { printf "%.2f\n", n * 60 / (b - a) }'
}

add_workload text_close_off "close() ${TEXT_PAGES}p scan, OCR paused" closes/s
add_workload text_close_on "close() ${TEXT_PAGES}p scan, OCR running" closes/s
add_workload text_ocr "recognition (text_ocr)" pages/min
