# tests/bench/extra.d/history.sh: what history commits cost (issue 4),
# sourced by tests/bench/bench.sh.
#
# The section has its own archive and its own peers, under $WORK/hist, so
# that its 100k records never meet the other workloads (nor their
# end-of-round deletes, which on dossierfs are commits too):
#   dossierfs       a fresh archive, populated THROUGH THE MOUNT; before
#                   anything is timed at a level, every save is committed
#   passthrough_ll  libfuse's example over its own source directory
#   native, bindfs  measured too when they are bench targets
# Peers are populated directly in their source directory (same names).
#
# At each level (1k, 10k, 100k records; at most BENCH_HISTORY_MAX):
#   - M saves of 4 KiB, one every GAP ms, open+write+close timed: half
#     are new files (create+write+close), half overwrite a record that has
#     one version (open O_TRUNC+write+close: the "save"); medians of each
#     kind apart (a median of the mix falls between the two kinds); on
#     dossierfs a watcher times how long after close() each save's commit
#     lands in the version index that /.history lists (read from the
#     catalog, read-only: polling /.history itself would load the daemon,
#     as each /.history lookup scans the whole node table); the committer
#     waits ~1 s for save dances to collapse, so about 1 s of it is by
#     design; every 20th save is then checked in /.history;
#   - committer throughput: BURST new files back to back, then "sync"
#     through /.dossier/ctl (commits everything, due or not): BURST / time;
#   - a BIG MiB file: written, then close() alone timed; on dossierfs, the
#     time from close() returning to its commit landing (as above).
# At the last level: one record saved until it has VERSIONS versions, then
# `ls MNT/.history/<record>/` and `dossierctl log <record>` (median of 5).
#
# On ext4 without a journal (as on the machine this was written on), the
# kernel will not reuse an inode freed less than about a minute ago and
# scans past every such inode on each create; dossierfs's repack deletes
# every loose object it packed (hundreds of thousands after populating),
# so creates on that file system are slow for a minute afterwards (a new
# 4 KiB file on dossierfs: 85 ms, falling to 3 ms within 10 s, at 100k).
# The section waits that minute out after a populate that repacked, so the
# figures are the steady state; BENCH_HISTORY_SETTLE overrides the wait.
#
# All of it runs once, in the first round, when its first row runs; later
# rounds repeat the first round's figures (populating again each round
# would take far too long). Rows in the main table are rates (saves/s =
# 1 / median latency; closes/s = 1 / median close time); the latencies,
# the dossierfs-only figures and the acceptance checks of issue 4 are in
# this section's own table, printed on stdout when the section ends.
#
# Environment (defaults in brackets):
#   BENCH_HISTORY_MAX       largest level, in records [100000]
#   BENCH_HISTORY_SAVES     timed 4 KiB saves per level and target [200]
#   BENCH_HISTORY_GAP_MS    one save every this many ms [50]
#   BENCH_HISTORY_BURST     saves for the committer throughput [300]
#   BENCH_HISTORY_BIG_MB    size of the big file [50]
#   BENCH_HISTORY_BIG_REPS  big files per level and target [3]
#   BENCH_HISTORY_VERSIONS  versions of the listed record [1000]
#   BENCH_HISTORY_CLIENTS   client folders per year and category [100]
#   BENCH_HISTORY_BUDGET    seconds from the section's start after which
#                           no more records are created (committing what
#                           is pending comes on top); a level not reached
#                           by then is measured at the records it has and
#                           reported as not reached; 0: no limit [1200;
#                           on a 2-CPU machine 100k records are reached
#                           about 10 minutes in, the section ends at 13]
#   BENCH_HISTORY_SETTLE    seconds to wait after populating [65 on ext4
#                           without a journal when the populate repacked,
#                           else 0]
#   BENCH_HISTORY_BACKLOG   saves populating may have waiting for their
#                           commit [500]
#   BENCH_HISTORY_REPORT    also write the section's table to this file
#   BENCH_HISTORY_KEEP      copy the per-save results and daemon logs to
#                           this directory (the archive is always deleted)

HIST_MAX=${BENCH_HISTORY_MAX:-100000}
HIST_SAVES=${BENCH_HISTORY_SAVES:-200}
HIST_GAP_MS=${BENCH_HISTORY_GAP_MS:-50}
HIST_BURST=${BENCH_HISTORY_BURST:-300}
HIST_BIG_MB=${BENCH_HISTORY_BIG_MB:-50}
HIST_BIG_REPS=${BENCH_HISTORY_BIG_REPS:-3}
HIST_VERSIONS=${BENCH_HISTORY_VERSIONS:-1000}
HIST_CLIENTS=${BENCH_HISTORY_CLIENTS:-100}
HIST_BUDGET=${BENCH_HISTORY_BUDGET:-1200}
HIST_SETTLE=${BENCH_HISTORY_SETTLE:-auto}
HIST_BACKLOG=${BENCH_HISTORY_BACKLOG:-500}

for v in HIST_MAX HIST_SAVES HIST_GAP_MS HIST_BURST HIST_BIG_MB HIST_BIG_REPS \
	HIST_VERSIONS HIST_CLIENTS HIST_BACKLOG; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "BENCH_HISTORY_${v#HIST_} must be a positive integer, not '${!v}'"
done
[[ $HIST_BUDGET =~ ^[0-9]+$ ]] || die "BENCH_HISTORY_BUDGET must be a number of seconds, not '$HIST_BUDGET'"
[[ $HIST_SETTLE =~ ^([0-9]+|auto)$ ]] || die "BENCH_HISTORY_SETTLE must be a number of seconds, not '$HIST_SETTLE'"

# Acceptance thresholds (issue 4).
HIST_ACC_SAVE_MS=5		# added cost of a 4 KiB save (and create) at the largest level
HIST_ACC_CLOSE_S=0.3		# close() of a BIG file, added vs passthrough_ll
HIST_ACC_VISIBLE_S=5		# BIG file's history entry appears
HIST_ACC_LIST_MS=50		# listing a record's versions

# Levels: 1k, 10k, 100k up to the maximum, and the maximum itself.
HIST_LEVELS=()
for l in 1000 10000 100000; do ((l < HIST_MAX)) && HIST_LEVELS+=("$l"); done
HIST_LEVELS+=("$HIST_MAX")

hist_label() {
	if (($1 % 1000 == 0)); then echo "$(($1 / 1000))k"; else echo "$1"; fi
}

for l in "${HIST_LEVELS[@]}"; do
	eval "wl_hist_save_$(hist_label "$l")() { hist_row save_$l \"\$1\"; }"
	add_workload "hist_save_$(hist_label "$l")" "4K overwrite @$(hist_label "$l") (hist)" saves/s
	eval "wl_hist_create_$(hist_label "$l")() { hist_row create_$l \"\$1\"; }"
	add_workload "hist_create_$(hist_label "$l")" "4K new file @$(hist_label "$l") (hist)" files/s
done
wl_hist_close_big() { hist_row close_big "$1"; }
add_workload hist_close_big "close() new ${HIST_BIG_MB}MiB (hist)" closes/s

# The script's stdout, for this section's table (a workload's own stdout
# is captured for its rate).
exec {HIST_STDOUT}>&1

# Whatever happens, nothing of this section stays mounted: teardown first
# stops the running measurement (as bench.sh's does), then unmounts what
# the section left, then does the rest of bench.sh's teardown.
eval "$(declare -f teardown | sed '1s/^teardown /hist_orig_teardown /')"
teardown() {
	set +e	# as bench.sh's teardown: a failing wait must not end it
	if [[ -n ${JOB:-} ]]; then
		log "stopping the running measurement"
		kill_tree "$JOB"
		wait "$JOB" 2>/dev/null
		JOB=
	fi
	[[ -z ${WORK:-} ]] || hist_cleanup
	hist_orig_teardown
}

# ---------------------------------------------------------------- rows

# hist_row KEY TARGET: run the section if not run yet, print the rate.
hist_row() {
	local key=$1 t=$2 v
	if [[ ! -e $WORK/state/hist.ran ]]; then
		: >"$WORK/state/hist.ran"
		(
			HW=$WORK/hist
			trap 'hist_cleanup' EXIT
			trap 'exit 143' TERM
			trap 'exit 130' INT
			set +e
			hist_section
		) || log "history: the section failed (see above)"
	fi
	v=$(awk -v k="$key" -v t="$t" '$1 == k && $2 == t { v = $3 } END { print v }' \
		"$WORK/state/hist.results" 2>/dev/null)
	if [[ ! $v =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
		log "history: no figure for $key on $t${v:+ ($v)}"
		return 1
	fi
	echo "$v"
}

# ---------------------------------------------------------------- helpers

hlog() { log "history: $*"; }
hfail() { hlog "$*"; exit 1; }
# hist_result KEY TARGET VALUE: a figure for the main table.
hist_result() {
	[[ $3 =~ ^[0-9]+(\.[0-9]+)?$ ]] || { hlog "no $1 figure for $2"; return 0; }
	echo "$1 $2 $3" >>"$WORK/state/hist.results"
}

# Median, p90 and max of the numbers on stdin (negative ones left out),
# scaled by $1: "MEDIAN P90 MAX COUNT" or "- - - 0".
hist_stats() {
	awk -v s="$1" '$1 >= 0 { printf "%.9f\n", $1 * s }' | sort -g |
		awk '{ v[++n] = $1 }
		END {
			if (!n) { print "- - - 0"; exit }
			m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
			p = int(0.9 * n); if (p < 0.9 * n) p++
			printf "%.3f %.3f %.3f %d\n", m, v[p], v[n], n
		}'
}
hist_median() { hist_stats "${2:-1}" <"$1" | awk '{ print $1 }'; }
hist_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }'; }

# Unmount what hist_mount mounted (newest first) and end its daemons.
hist_cleanup() {
	local hw=${HW:-$WORK/hist} pid m i
	[[ -f $hw/mounts ]] || return 0
	while read -r pid m; do
		if is_mounted "$m"; then
			fusermount3 -u "$m" 2>/dev/null ||
				{ sleep 1; fusermount3 -u "$m" 2>/dev/null; } ||
				fusermount3 -uz "$m"
		fi
		for ((i = 0; i < 600; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			log "history: daemon $pid still running 60 s after unmount; ending it"
			kill -TERM "$pid" 2>/dev/null
			sleep 2
			kill -KILL "$pid" 2>/dev/null
		fi
	done < <(tac "$hw/mounts")
	: >"$hw/mounts"
	if [[ -n ${BENCH_HISTORY_KEEP:-} ]]; then
		mkdir -p "$BENCH_HISTORY_KEEP" && cp -r "$hw/lists" "$hw/logs" "$BENCH_HISTORY_KEEP/" 2>/dev/null &&
			log "history: per-save results and daemon logs kept in $BENCH_HISTORY_KEEP"
	fi
	if awk -v w="$hw/" 'index($5, w) == 1 { f = 1 } END { exit !f }' /proc/self/mountinfo; then
		log "history: a mount is still under $hw; leaving it in place"
	else
		rm -rf --one-file-system "$hw"
	fi
}

# hist_mount NAME MOUNTPOINT CMD...: CMD stays in the foreground.
hist_mount() {
	local name=$1 m=$2 pid i
	shift 2
	mkdir -p "$m" || return 1
	"$@" >"$HW/logs/$name.log" 2>&1 {HIST_STDOUT}>&- </dev/null &
	pid=$!
	echo "$pid $m" >>"$HW/mounts"
	HPID[$name]=$pid
	for ((i = 0; i < 200; i++)); do
		is_mounted "$m" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	hlog "$name did not mount on $m:"
	tail -n 20 "$HW/logs/$name.log" >&2
	return 1
}

# Is $HW on ext4 without a journal?
hist_nojournal() {
	local src
	[[ $(findmnt -n -o FSTYPE -T "$HW" 2>/dev/null) == ext4 ]] || return 1
	src=$(findmnt -n -o SOURCE -T "$HW" 2>/dev/null) || return 1
	src=$(basename "$(readlink -f "$src")")
	! compgen -G "/proc/fs/jbd2/$src-*" >/dev/null
}

# ---------------------------------------------------------------- the section

hist_section() {
	local t0_section t lvl lbl i j k have=0 reached deadline out rc m
	local -a targets=() order=() extra=()
	declare -A HROOT=() HSRC=() HPID=() HDIRS=()
	local -a CHUNKS=()
	declare -A NEW_MED=() OW_MED=() VIS=() BURST=() POP=() CLOSE_MED=() BIGVIS=() REACHED=() SETTLED=()
	local years=(2023 2024) cats=(basic contracts credit complaints market sales service)
	local ctl=$BUILD/dossierctl

	t0_section=$(now)
	deadline=0
	((HIST_BUDGET == 0)) || deadline=$(($(date +%s) + HIST_BUDGET))
	mkdir -p "$HW/logs" "$HW/lists" || hfail "cannot make $HW"
	: >"$HW/mounts"
	: >"$WORK/state/hist.results"

	# shellcheck disable=SC2046
	cc -O2 -Wall -pthread $(pkg-config --cflags sqlite3) -o "$BIN/savebench" "$HERE/savebench.c" \
		$(pkg-config --libs sqlite3) || hfail "cannot compile $HERE/savebench.c"
	[[ -x $BUILD/dossierfs && -x $ctl ]] || hfail "no $BUILD/dossierfs or $ctl (build first)"
	if [[ ! -x $BIN/passthrough_ll ]]; then
		build_passthrough_ll || hfail "passthrough_ll: ${NOTE[passthrough_ll]:-cannot build it}"
	fi

	# Targets: the peers bench.sh measures, and always passthrough_ll and
	# dossierfs.
	for t in native bindfs passthrough_ll dossierfs; do
		case " ${ACTIVE[*]} passthrough_ll dossierfs " in *" $t "*) targets+=("$t") ;; esac
	done
	for t in "${targets[@]}"; do
		case $t in
		native)
			HROOT[$t]=$HW/native HSRC[$t]=$HW/native
			mkdir -p "${HROOT[$t]}" || hfail "cannot make ${HROOT[$t]}"
			;;
		bindfs)
			read -r -a extra <<<"${BENCH_BINDFS_OPTS:-}"
			HROOT[$t]=$HW/bindfs-mnt HSRC[$t]=$HW/bindfs-src
			mkdir -p "${HSRC[$t]}" &&
				hist_mount bindfs "${HROOT[$t]}" bindfs -f -o allow_other \
					${extra[@]+"${extra[@]}"} "${HSRC[$t]}" "${HROOT[$t]}" ||
				hfail "cannot mount bindfs"
			;;
		passthrough_ll)
			read -r -a extra <<<"${BENCH_PASSTHROUGH_OPTS:-}"
			HROOT[$t]=$HW/pt-mnt HSRC[$t]=$HW/pt-src
			mkdir -p "${HSRC[$t]}" &&
				hist_mount passthrough_ll "${HROOT[$t]}" "$BIN/passthrough_ll" -f \
					-o "source=${HSRC[$t]}" -o allow_other ${extra[@]+"${extra[@]}"} \
					"${HROOT[$t]}" || hfail "cannot mount passthrough_ll"
			;;
		dossierfs)
			read -r -a extra <<<"${BENCH_DOSSIERFS_OPTS:-}"
			HROOT[$t]=$HW/dfs-mnt HSRC[$t]=$HW/dfs-mnt
			"$ctl" init "$HW/archive" >"$HW/logs/init.log" 2>&1 ||
				hfail "dossierctl init failed: $(tail -n 3 "$HW/logs/init.log")"
			hist_mount dossierfs "${HROOT[$t]}" "$BUILD/dossierfs" "$HW/archive" \
				"${HROOT[$t]}" -o allow_other -f ${extra[@]+"${extra[@]}"} ||
				hfail "cannot mount dossierfs"
			;;
		esac
	done

	# The tree: years x categories x clients, plus client-big and
	# client-versions; dossierfs makes a year's categories itself.
	for t in "${targets[@]}"; do
		local r=${HSRC[$t]} y c
		for y in "${years[@]}"; do
			mkdir "$r/$y" || hfail "$t: cannot mkdir $y"
			if [[ $t != dossierfs ]]; then
				for c in "${cats[@]}"; do mkdir "$r/$y/$c" || hfail "$t: cannot mkdir $y/$c"; done
			fi
		done
		HDIRS[$t]=$HW/lists/dirs-$t
		for y in "${years[@]}"; do
			for c in "${cats[@]}"; do
				for ((i = 1; i <= HIST_CLIENTS; i++)); do
					printf '%s/%s/%s/client-%03d\n' "$r" "$y" "$c" "$i"
				done
			done
		done >"${HDIRS[$t]}"
		xargs -d '\n' mkdir <"${HDIRS[$t]}" || hfail "$t: cannot make the client folders"
		mkdir "$r/2024/contracts/client-big" "$r/2024/contracts/client-versions" ||
			hfail "$t: cannot make client-big"
	done
	local ndirs
	ndirs=$(wc -l <"${HDIRS[dossierfs]}")
	hlog "targets: ${targets[*]}; levels: ${HIST_LEVELS[*]}; $ndirs client folders; populating budget: $( ((HIST_BUDGET)) && echo "$HIST_BUDGET s" || echo none)"

	local li=0 dfs=${HROOT[dossierfs]} prev=0 cat=$HW/archive/catalog.db
	for lvl in "${HIST_LEVELS[@]}"; do
		lbl=$(hist_label "$lvl")
		li=$((li + 1))

		# -- populate dossierfs through the mount, then the peers directly
		if ((have < lvl)); then
			local tp0 tp1 tc0 tc1 created chunk start=$have packs0 packs1
			hlog "populating dossierfs: $have -> $lvl records"
			packs0=$(ls "$HW/archive/history.git/objects/pack" 2>/dev/null)
			tp0=$(now)
			while ((have < lvl)); do
				chunk=$((lvl - have))
				((chunk <= 10000)) || chunk=10000
				tc0=$(now)
				out=$("$BIN/savebench" populate "${HDIRS[dossierfs]}" "$have" "$chunk" r \
					"$cat" "$HIST_BACKLOG" "$deadline") || hfail "populating dossierfs failed"
				read -r created _ <<<"$out"
				tc1=$(now)
				have=$((have + created))
				CHUNKS+=("$have:$(awk -v n="$created" -v a="$tc0" -v b="$tc1" 'BEGIN { printf "%.0f", n / (b - a) }')")
				hlog "dossierfs: $have records ($created in $(awk -v a="$tc0" -v b="$tc1" 'BEGIN { printf "%.1f", b - a }') s, at most $HIST_BACKLOG of them not committed yet)"
				((created == chunk)) || break
			done
			"$BIN/savebench" sync "$dfs" >/dev/null || hfail "sync failed"
			tp1=$(now)
			created=$((have - start))
			POP[$lvl]=$(awk -v n="$created" -v a="$tp0" -v b="$tp1" \
				'BEGIN { printf "%d %.1f %.1f", n, b - a, n / (b - a) }')
			hlog "dossierfs: $created records created and committed in $(awk -v a="$tp0" -v b="$tp1" 'BEGIN { printf "%.1f", b - a }') s (${POP[$lvl]##* } commits/s); $have records"
			packs1=$(ls "$HW/archive/history.git/objects/pack" 2>/dev/null)
			local settle=$HIST_SETTLE
			if [[ $settle == auto ]]; then
				settle=0
				[[ $packs0 == "$packs1" ]] || ! hist_nojournal || settle=65
			fi
			if ((settle > 0)); then
				hlog "waiting $settle s before timing (BENCH_HISTORY_SETTLE; after a repack on ext4 without a journal, creates are slow until the deleted loose objects are a minute old)"
				sync
				sleep "$settle"
			fi
			SETTLED[$lvl]=$settle
		fi
		REACHED[$lvl]=$have
		if ((have < lvl)); then
			hlog "populating budget spent: level $lbl measured at $have records"
		fi
		for t in "${targets[@]}"; do
			[[ $t != dossierfs ]] || continue
			"$BIN/savebench" populate "${HDIRS[$t]}" "$prev" $((have - prev)) r >/dev/null ||
				hfail "$t: populating failed"
		done
		sync

		# -- the saves: half new files, half overwrites of records made
		# at this level (untouched so far: one version each)
		local pick=$HW/lists/pick-$lvl
		awk -v lo="$prev" -v hi="$have" -v n=$((HIST_SAVES / 2)) -v seed="$lvl" 'BEGIN {
			srand(seed); m = hi - lo; if (n > m) n = m
			for (i = 0; i < m; i++) a[i] = lo + i
			for (i = 0; i < n; i++) { j = i + int(rand() * (m - i)); x = a[i]; a[i] = a[j]; a[j] = x; print a[i] }
		}' >"$pick"
		for t in "${targets[@]}"; do
			awk -v nd="$ndirs" -v n="$HIST_SAVES" -v lvl="$li" -v seed=$((lvl + 7)) '
				FNR == NR { d[FNR - 1] = $0; next }
				{ ow[no++] = $1 }
				END {
					srand(seed)
					for (i = 0; i < n; i++) {
						if (i % 2 == 1 && k < no) {
							r = ow[k++]
							printf "2 %s/r%07d\n", d[r % nd], r
						} else
							printf "1 %s/s%d-%04d\n", d[int(rand() * nd)], lvl, i
					}
				}' "${HDIRS[$t]}" "$pick" >"$HW/lists/saves-$lvl-$t"
		done
		order=()
		for ((i = 0; i < ${#targets[@]}; i++)); do
			order+=("${targets[$(((i + li - 1) % ${#targets[@]}))]}")
		done
		for t in "${order[@]}"; do
			hlog "level $lbl: $HIST_SAVES saves of 4 KiB on $t, one every $HIST_GAP_MS ms"
			sync
			if [[ $t == dossierfs ]]; then
				"$BIN/savebench" saves "$HW/lists/saves-$lvl-$t" "$HIST_GAP_MS" "$cat" "$dfs" \
					>"$HW/lists/res-saves-$lvl-$t" || hfail "saves on $t failed"
			else
				"$BIN/savebench" saves "$HW/lists/saves-$lvl-$t" "$HIST_GAP_MS" \
					>"$HW/lists/res-saves-$lvl-$t" || hfail "saves on $t failed"
			fi
			# new files expect 1 version, overwrites 2 (first column of the list)
			NEW_MED[$lvl.$t]=$(paste -d ' ' "$HW/lists/saves-$lvl-$t" "$HW/lists/res-saves-$lvl-$t" |
				awk '$1 == 1 { print $3 }' | hist_stats 1000 | awk '{ print $1 }')
			OW_MED[$lvl.$t]=$(paste -d ' ' "$HW/lists/saves-$lvl-$t" "$HW/lists/res-saves-$lvl-$t" |
				awk '$1 == 2 { print $3 }' | hist_stats 1000 | awk '{ print $1 }')
			hist_result "create_$lvl" "$t" "$(awk -v m="${NEW_MED[$lvl.$t]}" 'BEGIN { if (m + 0 > 0) printf "%.2f", 1000 / m }')"
			hist_result "save_$lvl" "$t" "$(awk -v m="${OW_MED[$lvl.$t]}" 'BEGIN { if (m + 0 > 0) printf "%.2f", 1000 / m }')"
		done
		VIS[$lvl]=$(awk '{ print $2 }' "$HW/lists/res-saves-$lvl-dossierfs" | hist_stats 1000)
		hlog "level $lbl: median overwrite / new file: dossierfs ${OW_MED[$lvl.dossierfs]} / ${NEW_MED[$lvl.dossierfs]} ms, passthrough_ll ${OW_MED[$lvl.passthrough_ll]} / ${NEW_MED[$lvl.passthrough_ll]} ms; in history after (median p90 max n) ${VIS[$lvl]} ms"
		if ((have < lvl)); then
			# not the level it names: no figure in the main table
			sed -i "/^save_$lvl dossierfs /d; /^create_$lvl dossierfs /d" "$WORK/state/hist.results"
		fi

		# -- committer throughput
		awk -v nd="$ndirs" -v n="$HIST_BURST" -v lvl="$li" '
			{ d[FNR - 1] = $0 }
			END { for (i = 0; i < n; i++) printf "1 %s/b%d-%04d\n", d[(i * 7919) % nd], lvl, i }' \
			"${HDIRS[dossierfs]}" >"$HW/lists/burst-$lvl"
		out=$("$BIN/savebench" burst "$HW/lists/burst-$lvl" "$dfs") || hfail "burst failed"
		BURST[$lvl]=$(awk '{ printf "%.1f %.2f %.2f", $1 / $3, $2, $3 }' <<<"$out")
		hlog "level $lbl: committer: $HIST_BURST commits in $(awk '{ print $3 }' <<<"$out") s (${BURST[$lvl]%% *} commits/s)"

		# -- the big file
		for t in "${targets[@]}"; do : >"$HW/lists/res-big-$lvl-$t"; done
		for ((k = 1; k <= HIST_BIG_REPS; k++)); do
			for t in "${order[@]}"; do
				local f=${HROOT[$t]}/2024/contracts/client-big/big-$li-$k.bin
				sync
				if [[ $t == dossierfs ]]; then
					out=$("$BIN/savebench" big "$f" "$HIST_BIG_MB" "$cat" "$dfs") || hfail "big file on $t failed"
				else
					out=$("$BIN/savebench" big "$f" "$HIST_BIG_MB") || hfail "big file on $t failed"
					rm -f "$f"
				fi
				echo "$out" >>"$HW/lists/res-big-$lvl-$t"
			done
		done
		for t in "${targets[@]}"; do
			CLOSE_MED[$lvl.$t]=$(awk '{ print $2 }' "$HW/lists/res-big-$lvl-$t" | hist_stats 1000 | awk '{ print $1 }')
		done
		BIGVIS[$lvl]=$(awk '{ print $3 }' "$HW/lists/res-big-$lvl-dossierfs" | hist_stats 1)
		hlog "level $lbl: close() of ${HIST_BIG_MB} MiB: dossierfs ${CLOSE_MED[$lvl.dossierfs]} ms, passthrough_ll ${CLOSE_MED[$lvl.passthrough_ll]} ms; in history after (median p90 max n) ${BIGVIS[$lvl]} s"
		"$BIN/savebench" sync "$dfs" >/dev/null
		prev=$have
		((have >= lvl)) || break
	done
	local last=$lvl
	for t in "${targets[@]}"; do
		hist_result close_big "$t" "$(awk -v m="${CLOSE_MED[$last.$t]:-}" 'BEGIN { if (m + 0 > 0) printf "%.2f", 1000 / m }')"
	done

	# -- one record with VERSIONS versions
	local rec=$dfs/2024/contracts/client-versions/record.txt hrec nver tv0 tv1
	hrec=$dfs/.history/2024/contracts/client-versions/record.txt
	hlog "saving one record $HIST_VERSIONS times"
	yes "1 $rec" | head -n "$HIST_VERSIONS" >"$HW/lists/versions"
	tv0=$(now)
	out=$("$BIN/savebench" burst "$HW/lists/versions" "$dfs") || hfail "saving the record failed"
	tv1=$(now)
	nver=$(ls "$hrec" | wc -l)
	hlog "record has $nver versions (saved and committed in $(awk -v a="$tv0" -v b="$tv1" 'BEGIN { printf "%.1f", b - a }') s)"
	((nver == HIST_VERSIONS)) || hlog "expected $HIST_VERSIONS versions, found $nver"
	: >"$HW/lists/ls" && : >"$HW/lists/log"
	for ((k = 0; k < 5; k++)); do
		tv0=$(now); ls "$hrec/" >/dev/null || hfail "ls $hrec failed"; tv1=$(now)
		hist_ms "$tv0" "$tv1" >>"$HW/lists/ls"
		tv0=$(now); "$ctl" log "$rec" >"$HW/lists/log.out" || hfail "dossierctl log failed"; tv1=$(now)
		hist_ms "$tv0" "$tv1" >>"$HW/lists/log"
	done
	: >"$HW/lists/stat"
	for ((k = 0; k < 5; k++)); do
		tv0=$(now); stat "$hrec" >/dev/null || hfail "stat $hrec failed"; tv1=$(now)
		hist_ms "$tv0" "$tv1" >>"$HW/lists/stat"
	done
	local ls_ms log_ms nlog stat_ms
	stat_ms=$(hist_median "$HW/lists/stat")
	ls_ms=$(hist_median "$HW/lists/ls")
	log_ms=$(hist_median "$HW/lists/log")
	nlog=$(wc -l <"$HW/lists/log.out")
	hlog "listing $nver versions: ls ${ls_ms} ms, dossierctl log ${log_ms} ms ($nlog lines); stat of the history folder alone: ${stat_ms} ms"

	hist_report
}

# The section's table, on the script's stdout. Uses hist_section's locals.
hist_report() {
	local wall lvl lbl t added worst_close=0 worst_vis=0 ok
	wall=$(awk -v a="$t0_section" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }')
	pf() { awk -v c="$1" -v t="$2" 'BEGIN { print ((c + 0 < t + 0) ? "PASS" : "FAIL") }'; }
	pfe() { awk -v c="$1" -v t="$2" 'BEGIN { print ((c + 0 <= t + 0) ? "PASS" : "FAIL") }'; }
	{
		echo
		echo "# history section (tests/bench/extra.d/history.sh): times, LOWER IS BETTER; wall time $wall s"
		echo "# dossierfs archive populated through the mount in $ndirs client folders, every save committed before timing;"
		echo "# peers populated directly. Per level: $HIST_SAVES saves of 4 KiB, one every $HIST_GAP_MS ms, open+write+close timed:"
		echo "# half overwrite a record with one version ('overwrite', the save), half make a new file ('new file');"
		echo "# medians of each kind. 'in history' = close() returned -> commit in the version index /.history lists"
		echo "# (all $HIST_SAVES saves: median/p90/max, and how many were seen within 600 s; includes the committer's ~1 s"
		echo "# coalescing window); committer = $HIST_BURST"
		echo "# new files back to back, then 'sync' through /.dossier/ctl; populate = records/s, commits and repack included."
		echo "# ${HIST_BIG_MB} MiB: median of $HIST_BIG_REPS closes of a freshly written file. Figures are from round 1."
		echo
		printf '%-18s' "overwrite 4K, ms"
		for t in "${targets[@]}"; do printf ' %14s' "$t"; done
		printf ' %9s %18s %12s %12s %8s\n' "added" "new file dfs/pt_ll" "committer/s" "populate/s" "settled"
		for lvl in "${!REACHED[@]}"; do echo "$lvl"; done | sort -n | while read -r lvl; do
			lbl="$(hist_label "$lvl")"
			((REACHED[$lvl] >= lvl)) || lbl="$lbl(${REACHED[$lvl]})"
			printf '%-18s' "$lbl recs"
			for t in "${targets[@]}"; do printf ' %14s' "${OW_MED[$lvl.$t]:--}"; done
			added=$(awk -v a="${OW_MED[$lvl.dossierfs]:-0}" -v b="${OW_MED[$lvl.passthrough_ll]:-0}" 'BEGIN { printf "%.3f", a - b }')
			printf ' %9s %18s %12s %12s %8s\n' "$added" "${NEW_MED[$lvl.dossierfs]:--}/${NEW_MED[$lvl.passthrough_ll]:--}" \
				"${BURST[$lvl]%% *}" "$(awk '{ print $3 }' <<<"${POP[$lvl]:-- - -}")" "${SETTLED[$lvl]:-0} s"
		done
		echo
		printf '%-18s' "new file 4K, ms"
		for t in "${targets[@]}"; do printf ' %14s' "$t"; done
		printf ' %9s %32s\n' "added" "in history ms med/p90/max (seen)"
		for lvl in "${!REACHED[@]}"; do echo "$lvl"; done | sort -n | while read -r lvl; do
			lbl="$(hist_label "$lvl")"
			((REACHED[$lvl] >= lvl)) || lbl="$lbl(${REACHED[$lvl]})"
			printf '%-18s' "$lbl recs"
			for t in "${targets[@]}"; do printf ' %14s' "${NEW_MED[$lvl.$t]:--}"; done
			added=$(awk -v a="${NEW_MED[$lvl.dossierfs]:-0}" -v b="${NEW_MED[$lvl.passthrough_ll]:-0}" 'BEGIN { printf "%.3f", a - b }')
			read -r vm vp vx vn <<<"${VIS[$lvl]:-- - - 0}"
			printf ' %9s %32s\n' "$added" "$vm/$vp/$vx ($vn/$HIST_SAVES)"
		done
		echo "populating dossierfs, records/s (commits included) up to N records: ${CHUNKS[*]:-none}"
		echo
		printf '%-18s' "${HIST_BIG_MB}MiB close, ms"
		for t in "${targets[@]}"; do printf ' %14s' "$t"; done
		printf ' %9s %22s\n' "added" "in history s med/max"
		for lvl in "${!REACHED[@]}"; do echo "$lvl"; done | sort -n | while read -r lvl; do
			lbl="$(hist_label "$lvl")"
			((REACHED[$lvl] >= lvl)) || lbl="$lbl(${REACHED[$lvl]})"
			printf '%-18s' "$lbl recs"
			for t in "${targets[@]}"; do printf ' %14s' "${CLOSE_MED[$lvl.$t]:--}"; done
			added=$(awk -v a="${CLOSE_MED[$lvl.dossierfs]:-0}" -v b="${CLOSE_MED[$lvl.passthrough_ll]:-0}" 'BEGIN { printf "%.1f", a - b }')
			read -r vm _ vx _ <<<"${BIGVIS[$lvl]:-- - - 0}"
			printf ' %9s %22s\n' "$added" "$vm/$vx"
		done
		echo
		printf '%-58s %12s %10s  %s\n' "acceptance (issue 4)" "figure" "threshold" "result"
		for lvl in "${!REACHED[@]}"; do echo "$lvl"; done | sort -n | while read -r lvl; do
			local kind med
			for kind in overwrite "new file"; do
				if [[ $kind == overwrite ]]; then
					added=$(awk -v a="${OW_MED[$lvl.dossierfs]:-0}" -v b="${OW_MED[$lvl.passthrough_ll]:-0}" 'BEGIN { printf "%.3f", a - b }')
					med="added cost of a 4 KiB save (overwrite) at $(hist_label "$lvl") records"
				else
					added=$(awk -v a="${NEW_MED[$lvl.dossierfs]:-0}" -v b="${NEW_MED[$lvl.passthrough_ll]:-0}" 'BEGIN { printf "%.3f", a - b }')
					med="added cost of a 4 KiB new file at $(hist_label "$lvl") records"
				fi
				if ((REACHED[$lvl] >= lvl)); then
					ok=$( ((lvl == HIST_MAX)) && pf "$added" "$HIST_ACC_SAVE_MS" || echo "(info)")
					printf '%-58s %12s %10s  %s\n' "$med" "$added ms" "< $HIST_ACC_SAVE_MS ms" "$ok"
				else
					printf '%-58s %12s %10s  %s\n' "$med" "n/a" "< $HIST_ACC_SAVE_MS ms" \
						"NOT MEASURED: only ${REACHED[$lvl]} records within BENCH_HISTORY_BUDGET (at ${REACHED[$lvl]}: $added ms)"
				fi
			done
		done
		for lvl in "${!REACHED[@]}"; do
			added=$(awk -v a="${CLOSE_MED[$lvl.dossierfs]:-0}" -v b="${CLOSE_MED[$lvl.passthrough_ll]:-0}" 'BEGIN { printf "%.3f", (a - b) / 1000 }')
			worst_close=$(awk -v a="$added" -v b="$worst_close" 'BEGIN { print (a > b) ? a : b }')
			read -r _ _ vx _ <<<"${BIGVIS[$lvl]:-- - - 0}"
			[[ $vx != - ]] || vx=999
			worst_vis=$(awk -v a="$vx" -v b="$worst_vis" 'BEGIN { print (a > b) ? a : b }')
		done
		printf '%-58s %12s %10s  %s\n' "close() of a fresh ${HIST_BIG_MB} MiB file, added vs passthrough_ll (worst level)" \
			"$worst_close s" "<= $HIST_ACC_CLOSE_S s" "$(pfe "$worst_close" "$HIST_ACC_CLOSE_S")"
		printf '%-58s %12s %10s  %s\n' "its history entry appears after close() (slowest of all)" \
			"$worst_vis s" "<= $HIST_ACC_VISIBLE_S s" "$(pfe "$worst_vis" "$HIST_ACC_VISIBLE_S")"
		printf '%-58s %12s %10s  %s\n' "ls .history/<record>/, $nver versions (median of 5)" \
			"$ls_ms ms" "< $HIST_ACC_LIST_MS ms" "$(pf "$ls_ms" "$HIST_ACC_LIST_MS")"
		printf '%-58s %12s %10s  %s\n' "dossierctl log <record>, $nver versions (median of 5)" \
			"$log_ms ms" "< $HIST_ACC_LIST_MS ms" "$(pf "$log_ms" "$HIST_ACC_LIST_MS")"
		printf '%-58s %12s %10s  %s\n' "  of ls: stat .history/<record> alone (path lookups)" "$stat_ms ms" "" "(info)"
		echo
	} | tee "$WORK/state/hist.table" >&"$HIST_STDOUT"
	[[ -z ${BENCH_HISTORY_REPORT:-} ]] || cp "$WORK/state/hist.table" "$BENCH_HISTORY_REPORT"
}
