# shellcheck shell=bash
# tests/bench/extra.d/robust.sh: does history keep up, and how soon does a
# mount serve again after a kill -9 with a backlog (issue 16). Sourced by
# tests/bench/bench.sh.
#
# Rows (dossierfs on an archive of its own, under $WORK/robust):
#   robust_commit   WRITERS processes save 4 KiB files (200 each, in
#                   turn, open O_TRUNC + write + close) for SECONDS;
#                   committed saves per second over those seconds (the
#                   version index's new rows / SECONDS). The section's
#                   table adds the writers' own rate, the journal's
#                   backlog when they stop, and how long `dossierctl
#                   sync` then takes. Peers (no history): their writers'
#                   saves/s on their own tree.
#   robust_remount  BACKLOG new files saved back to back, the daemon killed
#                   with SIGKILL at once, started again: 1 / seconds from
#                   the start until a stat inside the tree answers. The
#                   table adds the backlog left and how long committing
#                   it took. Peers (no journal): 1 / seconds of one stat
#                   of their tree.
# Each runs once, in the first round; later rounds repeat its figures.
#
# Environment (defaults in brackets):
#   BENCH_ROBUST_SECONDS   how long the writers run [60]
#   BENCH_ROBUST_WRITERS   writer processes [3]
#   BENCH_ROBUST_BACKLOG   saves waiting when the daemon is killed [3000]

ROB_SECONDS=${BENCH_ROBUST_SECONDS:-60}
ROB_WRITERS=${BENCH_ROBUST_WRITERS:-3}
ROB_BACKLOG=${BENCH_ROBUST_BACKLOG:-3000}
for v in ROB_SECONDS ROB_WRITERS ROB_BACKLOG; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROBUST_${v#ROB_} must be a positive integer, not '${!v}'"
done

add_workload robust_commit "${ROB_WRITERS} writers ${ROB_SECONDS}s: committed (rob)" saves/s
add_workload robust_remount "remount after kill -9 + backlog (rob)" mounts/s

rlog() { log "robust: $*"; }

# robust_writers DIR SECONDS: WRITERS loops saving in DIR; prints the saves.
robust_writers() {
	local dir=$1 secs=$2 w pids=() total=0 n
	for ((w = 0; w < ROB_WRITERS; w++)); do
		(
			end=$((SECONDS + secs)) i=0 data=$(head -c 4096 /dev/zero | tr '\0' r)
			while ((SECONDS < end)); do
				printf '%s' "$data" >"$dir/w$w-$((i % 200)).txt" || exit 1
				i=$((i + 1))
			done
			echo "$i" >"$WORK/robust-w$w"
		) &
		pids+=($!)
	done
	for w in "${!pids[@]}"; do
		wait "${pids[$w]}" || return 1
		read -r n <"$WORK/robust-w$w"
		total=$((total + n))
	done
	echo "$total"
}

robust_count() { sqlite3 -readonly "$1/catalog.db" "SELECT count(*) FROM $2"; }

robust_section() {
	local rw=$WORK/robust a m pid before after saves t0 t1 backlog i start ready tries
	a=$rw/archive m=$rw/mnt
	mkdir -p "$m"
	"$BUILD/dossierctl" init "$a" >/dev/null || return 1
	"$BUILD/dossierfs" "$a" "$m" -f 2>>"$rw/daemon.log" &
	pid=$!
	for ((i = 0; i < 200; i++)); do
		is_mounted "$m" && break
		sleep 0.05
	done
	is_mounted "$m" || { rlog "dossierfs did not mount"; return 1; }
	mkdir -p "$m/2024/contracts/Writers"
	before=$(robust_count "$a" version)
	t0=$(now)
	saves=$(robust_writers "$m/2024/contracts/Writers" "$ROB_SECONDS") || return 1
	t1=$(now)
	after=$(robust_count "$a" version)
	backlog=$(robust_count "$a" journal)
	start=$(now)
	"$BUILD/dossierctl" -a "$a" sync >/dev/null
	ready=$(now)
	{
		echo "commit $(awk -v c=$((after - before)) -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", c / (b - a) }')"
		echo "writers $(awk -v c="$saves" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", c / (b - a) }')"
		echo "backlog_end $backlog"
		echo "sync_after $(awk -v a="$start" -v b="$ready" 'BEGIN { printf "%.2f", b - a }')"
	} >>"$WORK/state/robust.results"
	# a backlog, then kill -9
	mkdir -p "$m/2024/contracts/Backlog"
	for ((i = 0; i < ROB_BACKLOG; i++)); do
		printf 'backlog %d\n' "$i" >"$m/2024/contracts/Backlog/b$i.txt"
	done
	backlog=$(robust_count "$a" journal)
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	fusermount3 -uz "$m" 2>/dev/null || umount -l "$m"
	start=$(now)
	"$BUILD/dossierfs" "$a" "$m" -f 2>>"$rw/daemon.log" &
	pid=$!
	tries=1
	until stat "$m/2024/contracts/Backlog" >/dev/null 2>&1; do
		if ! kill -0 "$pid" 2>/dev/null; then
			# seen once: the start lost a race with the lazy unmount
			rlog "dossierfs did not start (try $tries):"
			tail -n 3 "$rw/daemon.log" >&2
			((tries < 3)) || return 1
			tries=$((tries + 1))
			sleep 0.2
			"$BUILD/dossierfs" "$a" "$m" -f 2>>"$rw/daemon.log" &
			pid=$!
		fi
		sleep 0.01
	done
	ready=$(now)
	"$BUILD/dossierctl" -a "$a" sync >/dev/null
	t1=$(now)
	{
		echo "remount $(awk -v a="$start" -v b="$ready" 'BEGIN { printf "%.3f", b - a }')"
		echo "remount_tries $tries"
		echo "backlog_kill $backlog"
		echo "recover_sync $(awk -v a="$ready" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
		echo "rss_kb $(awk '/^VmRSS/ { print $2 }' /proc/$pid/status)"
	} >>"$WORK/state/robust.results"
	fusermount3 -u "$m"
	wait "$pid"
	rm -rf "$rw"
	{
		echo "# robust (issue 16): ${ROB_WRITERS} writers for ${ROB_SECONDS} s, then kill -9 with ${ROB_BACKLOG} new files"
		awk '{ printf "#   %-14s %s\n", $1, $2 }' "$WORK/state/robust.results"
		echo "#   (commit, writers: saves/s; backlog: journal rows; sync, remount: s; rss_kb: daemon after recovery)"
	} >&"${ROB_STDOUT}"
}

exec {ROB_STDOUT}>&1

robust_figure() {	# KEY
	if [[ ! -e $WORK/state/robust.ran ]]; then
		: >"$WORK/state/robust.ran"
		( set +e; robust_section ) || rlog "the section failed (see above)"
	fi
	awk -v k="$1" '$1 == k { v = $2 } END { print v }' "$WORK/state/robust.results" 2>/dev/null
}

wl_robust_commit() {
	local dir saves t0 t1
	if [[ $1 == dossierfs ]]; then
		robust_figure commit
		return
	fi
	dir=${ROOT[$1]}/2024/contracts/robust-writers
	mkdir -p "$dir"
	t0=$(now)
	saves=$(robust_writers "$dir" "$ROB_SECONDS")
	t1=$(now)
	awk -v c="$saves" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", c / (b - a) }'
}

wl_robust_remount() {
	local s t0 t1
	if [[ $1 == dossierfs ]]; then
		s=$(robust_figure remount)
		[[ $s =~ ^[0-9.]+$ ]] || return 1
		awk -v s="$s" 'BEGIN { printf "%.2f\n", 1 / (s > 0.001 ? s : 0.001) }'
		return
	fi
	t0=$(now)
	stat "${ROOT[$1]}" >/dev/null
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN { s = b - a; printf "%.2f\n", 1 / (s > 0.001 ? s : 0.001) }'
}
