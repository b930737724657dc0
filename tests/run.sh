#!/bin/sh
# Run every unit test (cmocka, TAP output) and integration test (real
# mounts, needs root and /dev/fuse), then print "N passed, N failed".
BUILD=${1:-build}
BUILD=$(cd "$BUILD" && pwd)
export BUILD
cd "$(dirname "$0")/.." || exit 2
LOG=$(mktemp)
skipped=0


for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	echo "# unit: $(basename "$t")"
	CMOCKA_MESSAGE_OUTPUT=TAP "$t" 2>&1 | grep -E '^(not )?ok |^#' | tee -a "$LOG"
done

for t in tests/integration/t[0-9]*.sh; do
	echo "# integration: $(basename "$t")"
	if [ "$(id -u)" != 0 ] || [ ! -c /dev/fuse ]; then
		echo "# SKIP $(basename "$t"): needs root and /dev/fuse"
		skipped=$((skipped + 1))
		continue
	fi
	timeout 600 sh "$t" 2>"$LOG.err" | tee -a "$LOG"
	rc=$?
	if [ $rc -ne 0 ] && ! grep -q '^not ok' "$LOG"; then
		echo "not ok - $(basename "$t") exited $rc" | tee -a "$LOG"
		sed 's/^/#   /' "$LOG.err" | tail -5
	fi
done

passed=$(grep -c '^ok ' "$LOG")
failed=$(grep -c '^not ok ' "$LOG")
rm -f "$LOG" "$LOG.err"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "${REQUIRE_FUSE:-0}" = 1 ] && exit 1
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
