#!/usr/bin/env bash
# tests/bench/bench.sh: dossierfs against its peers (`make bench` runs this).
#
# Targets, each holding the same /YEAR/CATEGORY/CLIENT/files tree:
#   native          a plain directory on the scratch disk
#   bindfs          bindfs SRC MNT (Debian's bindfs, its defaults)
#   passthrough_ll  libfuse's example, compiled here from libfuse3-dev
#   dossierfs       $BUILD/dossierfs on an archive made by $BUILD/dossierctl
#   dossierfs-user  the same workloads run as an ordinary mapped user
#                   ($BENCH_USER, an archivist) in that user's own view
#                   (dossierctl mount --user), on an archive of its own
#   passthrough_ll-user  passthrough_ll again, its workloads run as
#                   $BENCH_USER: the peer of dossierfs-user
# A target whose program is missing shows "n/a" in its column.
#
# Every workload runs on every target in every round, interleaved
# (round -> workload -> target, the target order rotating each round), so
# drift on the machine hits all targets alike; the table gives the median of
# the rounds. Every figure is a rate: higher is better.
#
# Needs root: it drops the page cache and mounts FUSE file systems.
# Progress goes to stderr, the table to stdout.
#
# Environment (defaults in brackets):
#   BUILD           dir holding dossierfs and dossierctl [<repo>/build]
#   BENCH_ROUNDS    rounds [3]
#   BENCH_SEQ_MB    size of the sequential file in MiB [1024]
#   BENCH_RAND_OPS  4 KiB random reads [20000]
#   BENCH_FILES     small files for the metadata workloads [10000]
#   BENCH_CLIENTS   client folders per year and category [50]
#   BENCH_ONLY      workloads to run, comma/space separated, globs allowed
#                   (e.g. "seq_*,rand_read"); the rest are left out [all]
#   BENCH_TARGETS   targets to run
#                   [native bindfs passthrough_ll passthrough_ll-user
#                   dossierfs dossierfs-user]
#   BENCH_USER      the account dossierfs-user runs as (made if missing)
#                   [dossier-bench]
#   BENCH_DIR       where the scratch dir is made; must be a disk, not
#                   tmpfs [/var/tmp]
#   BENCH_TIMEOUT   seconds one measurement may take [900]
#   BENCH_RAW       also write every per-round result to this file
#   BENCH_BINDFS_OPTS, BENCH_PASSTHROUGH_OPTS, BENCH_DOSSIERFS_OPTS
#                   extra mount arguments for that target
#
# Extra sections: every tests/bench/extra.d/*.sh is sourced after the
# built-in workloads are declared (see "Extra sections" below for the API).

set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${BUILD:-$HERE/../../build}
[[ ! -d $BUILD ]] || BUILD=$(cd "$BUILD" && pwd)
ROUNDS=${BENCH_ROUNDS:-3}
SEQ_MB=${BENCH_SEQ_MB:-1024}
RAND_OPS=${BENCH_RAND_OPS:-20000}
NFILES=${BENCH_FILES:-10000}
CLIENTS=${BENCH_CLIENTS:-50}
ONLY=${BENCH_ONLY:-}
BENCH_DIR=${BENCH_DIR:-/var/tmp}
STEP_TIMEOUT=${BENCH_TIMEOUT:-900}
WANTED_TARGETS=${BENCH_TARGETS:-native bindfs passthrough_ll passthrough_ll-user dossierfs dossierfs-user}
BENCH_USER=${BENCH_USER:-dossier-bench}

YEARS=(2023 2024)
CATEGORIES=(basic contracts credit complaints market sales service)
ALL_TARGETS=(native bindfs passthrough_ll passthrough_ll-user dossierfs dossierfs-user)
SEQ_DIR_REL=2024/contracts/client-seq	# where the sequential file lives
RAND_SEED=42

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf 'bench.sh: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- checks

[[ ${EUID:-$(id -u)} -eq 0 ]] ||
	die "needs root (it drops the page cache and mounts FUSE file systems); run it with sudo"

for v in ROUNDS SEQ_MB RAND_OPS NFILES CLIENTS STEP_TIMEOUT; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
done
for c in cc fusermount3 timeout find awk sync; do
	command -v "$c" >/dev/null || die "needs '$c' on PATH"
done
[[ -w /proc/sys/vm/drop_caches ]] || die "cannot write /proc/sys/vm/drop_caches"
[[ -d $BENCH_DIR ]] || die "BENCH_DIR $BENCH_DIR is not a directory"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd -P)
case $(stat -f -c %T "$BENCH_DIR") in
tmpfs | ramfs) die "BENCH_DIR $BENCH_DIR is on $(stat -f -c %T "$BENCH_DIR"); the benchmark needs a disk (set BENCH_DIR)" ;;
esac

# ---------------------------------------------------------------- state

WORK=			# scratch dir, removed at exit
RAW=			# per-round results: "round workload target value|err"
declare -A ROOT=()	# target -> directory holding the tree
declare -A MNT=()	# FUSE target -> mount point
declare -A PID=()	# FUSE target -> daemon pid (run with -f, our child)
declare -A STATUS=()	# target -> ok | n/a | fail
declare -A NOTE=()	# target -> what was run, or why not
MOUNTED=()		# FUSE targets mounted, in order
ACTIVE=()		# targets that are measured
ROUND=0
FAILED=0
JOB=			# pid of the measurement running in the background

is_mounted() { awk -v m="$1" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo; }

# End pid $1 and everything it started (children first).
kill_tree() {
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$c"; done
	kill -TERM "$1" 2>/dev/null
}

teardown() {
	local t m i
	set +e
	if [[ -n $JOB ]]; then
		log "stopping the running measurement"
		kill_tree "$JOB"
		wait "$JOB" 2>/dev/null
		JOB=
	fi
	for t in ${MOUNTED[@]+"${MOUNTED[@]}"}; do
		m=${MNT[$t]}
		if is_mounted "$m"; then
			fusermount3 -u "$m" 2>/dev/null ||
				{ sleep 1; fusermount3 -u "$m"; } ||
				fusermount3 -uz "$m"
		fi
		if [[ -n ${PID[$t]:-} ]]; then
			for ((i = 0; i < 100; i++)); do
				kill -0 "${PID[$t]}" 2>/dev/null || break
				sleep 0.1
			done
			if kill -0 "${PID[$t]}" 2>/dev/null; then
				log "$t daemon (pid ${PID[$t]}) did not exit after unmount; killing it"
				kill "${PID[$t]}"
			fi
			wait "${PID[$t]}" 2>/dev/null
		fi
	done
	MOUNTED=()
	if [[ -n $WORK && -d $WORK ]]; then
		if awk -v w="$WORK/" 'index($5, w) == 1 { f = 1 } END { exit !f }' /proc/self/mountinfo; then
			log "a mount is still under $WORK; leaving it in place"
		else
			rm -rf --one-file-system "$WORK"
		fi
	fi
	WORK=
	set -e
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }
now() { if [[ -n ${EPOCHREALTIME:-} ]]; then echo "$EPOCHREALTIME"; else date +%s.%N; fi; }
# as_target TARGET CMD...: run CMD as whoever works on TARGET (the bench
# user for the *-user targets, as dossierfs-user's view lets nobody else
# in; root otherwise)
as_target() {
	local t=$1
	shift
	if [[ $t == *-user ]]; then
		setpriv --reuid="$BENCH_USER" --regid="$(id -g "$BENCH_USER")" \
			--clear-groups -- "$@"
	else
		"$@"
	fi
}
# CUR_T: the target the running workload measures (set by run_one)
CUR_T=
tmo() { as_target "${CUR_T:-}" timeout -k 10 "$STEP_TIMEOUT" "$@"; }

# ---------------------------------------------------------------- setup

WORK=$(mktemp -d "$BENCH_DIR/dossierfs-bench.XXXXXX")
RAW=$WORK/raw
: >"$RAW"
BIN=$WORK/bin
mkdir -p "$BIN" "$WORK/logs" "$WORK/state"
log "scratch dir $WORK"

for h in seqio randread metabench; do
	cc -O2 -Wall -o "$BIN/$h" "$HERE/$h.c" || die "cannot compile $HERE/$h.c"
done

# Mount a FUSE target: mount_fuse TARGET MOUNTPOINT CMD... (CMD stays in the
# foreground; we run it in the background and wait for the mount).
mount_fuse() {
	local t=$1 m=$2 i
	shift 2
	mkdir -p "$m" || return 1
	"$@" >"$WORK/logs/$t.log" 2>&1 &
	PID[$t]=$!
	MNT[$t]=$m
	MOUNTED+=("$t")
	for ((i = 0; i < 200; i++)); do
		is_mounted "$m" && return 0
		kill -0 "${PID[$t]}" 2>/dev/null || break
		sleep 0.05
	done
	log "$t did not mount on $m; its output:"
	tail -n 20 "$WORK/logs/$t.log" >&2 || true
	return 1
}

build_passthrough_ll() {
	local ex=${BENCH_PASSTHROUGH_SRC:-/usr/share/doc/libfuse3-dev/examples} f d=$WORK/passthrough_ll
	mkdir -p "$d"
	for f in passthrough_ll.c passthrough_helpers.h; do
		if [[ -f $ex/$f ]]; then
			cp "$ex/$f" "$d/$f"
		elif [[ -f $ex/$f.gz ]]; then
			gzip -dc "$ex/$f.gz" >"$d/$f"
		else
			NOTE[passthrough_ll]="$ex/$f not found (apt-get install libfuse3-dev)"
			return 1
		fi
	done
	if ! command -v pkg-config >/dev/null || ! pkg-config --exists fuse3; then
		NOTE[passthrough_ll]="pkg-config fuse3 not available (apt-get install libfuse3-dev pkg-config)"
		return 1
	fi
	# shellcheck disable=SC2046
	if ! cc -O2 -D_GNU_SOURCE $(pkg-config --cflags fuse3) "$d/passthrough_ll.c" \
		$(pkg-config --libs fuse3) -o "$BIN/passthrough_ll" 2>"$WORK/logs/passthrough_ll.build"; then
		tail -n 20 "$WORK/logs/passthrough_ll.build" >&2
		NOTE[passthrough_ll]="did not compile"
		return 1
	fi
}

# The account the *-user targets run as, made if missing; it must reach
# the scratch dir and run the helpers.
ensure_bench_user() {
	if ! id "$BENCH_USER" >/dev/null 2>&1 &&
		! useradd -M -N -s /usr/sbin/nologin "$BENCH_USER"; then
		STATUS[$1]=fail NOTE[$1]="cannot add account $BENCH_USER"
		return 1
	fi
	chmod 711 "$WORK" && chmod 755 "$BIN" || { STATUS[$1]=fail; return 1; }
}

# Bring one target up; sets STATUS and ROOT. Returns non-zero only for a
# target that exists but failed (STATUS=fail). Called from `if`, where
# `set -e` does not act: every step that can fail is checked.
setup_target() {
	local t=$1
	# shellcheck disable=SC2206
	local extra=()
	case $t in
	native)
		ROOT[$t]=$WORK/native
		mkdir -p "${ROOT[$t]}" || { STATUS[$t]=fail; return 1; }
		NOTE[$t]="plain directory"
		;;
	bindfs)
		if ! command -v bindfs >/dev/null; then
			STATUS[$t]=n/a NOTE[$t]="bindfs not installed (apt-get install bindfs)"
			return 0
		fi
		read -r -a extra <<<"${BENCH_BINDFS_OPTS:-}"
		mkdir -p "$WORK/bindfs-src" || { STATUS[$t]=fail; return 1; }
		ROOT[$t]=$WORK/bindfs-mnt
		NOTE[$t]="bindfs $(bindfs --version 2>/dev/null | awk '{ print $2; exit }') -f -o allow_other${extra[*]:+ ${extra[*]}}"
		mount_fuse "$t" "${ROOT[$t]}" bindfs -f -o allow_other ${extra[@]+"${extra[@]}"} \
			"$WORK/bindfs-src" "${ROOT[$t]}" || { STATUS[$t]=fail; return 1; }
		;;
	passthrough_ll)
		if ! build_passthrough_ll; then
			STATUS[$t]=n/a
			return 0
		fi
		read -r -a extra <<<"${BENCH_PASSTHROUGH_OPTS:-}"
		mkdir -p "$WORK/passthrough_ll-src" || { STATUS[$t]=fail; return 1; }
		ROOT[$t]=$WORK/passthrough_ll-mnt
		NOTE[$t]="libfuse $(pkg-config --modversion fuse3) example, -f -o source=SRC -o allow_other${extra[*]:+ ${extra[*]}}"
		mount_fuse "$t" "${ROOT[$t]}" "$BIN/passthrough_ll" -f -o "source=$WORK/passthrough_ll-src" \
			-o allow_other ${extra[@]+"${extra[@]}"} "${ROOT[$t]}" || { STATUS[$t]=fail; return 1; }
		;;
	passthrough_ll-user)
		if [[ ! -x $BIN/passthrough_ll ]] && ! build_passthrough_ll; then
			STATUS[$t]=n/a NOTE[$t]=${NOTE[passthrough_ll]:-}
			return 0
		fi
		ensure_bench_user "$t" || return 1
		read -r -a extra <<<"${BENCH_PASSTHROUGH_OPTS:-}"
		mkdir -p "$WORK/pt-user-src" || { STATUS[$t]=fail; return 1; }
		ROOT[$t]=$WORK/pt-user-mnt
		NOTE[$t]="as $BENCH_USER: passthrough_ll -f -o source=SRC -o allow_other${extra[*]:+ ${extra[*]}} (run by root)"
		mount_fuse "$t" "${ROOT[$t]}" "$BIN/passthrough_ll" -f -o "source=$WORK/pt-user-src" \
			-o allow_other ${extra[@]+"${extra[@]}"} "${ROOT[$t]}" || { STATUS[$t]=fail; return 1; }
		;;
	dossierfs-user)
		if [[ ! -x $BUILD/dossierfs || ! -x $BUILD/dossierctl ]]; then
			STATUS[$t]=n/a NOTE[$t]="no $BUILD/dossierfs or $BUILD/dossierctl (build first)"
			return 0
		fi
		ensure_bench_user "$t" || return 1
		read -r -a extra <<<"${BENCH_DOSSIERFS_OPTS:-}"
		if ! "$BUILD/dossierctl" init "$WORK/dfs-user-archive" >"$WORK/logs/dossierctl-user.log" 2>&1 ||
			! "$BUILD/dossierctl" -a "$WORK/dfs-user-archive" user add "$BENCH_USER" \
				--role archivist --dept archives >>"$WORK/logs/dossierctl-user.log" 2>&1; then
			tail -n 20 "$WORK/logs/dossierctl-user.log" >&2
			STATUS[$t]=fail NOTE[$t]="dossierctl init or user add failed"
			return 1
		fi
		mount_fuse "$t" "$WORK/dfs-user-shared" "$BUILD/dossierfs" "$WORK/dfs-user-archive" \
			"$WORK/dfs-user-shared" -o allow_other -f ${extra[@]+"${extra[@]}"} || { STATUS[$t]=fail; return 1; }
		ROOT[$t]=$WORK/dfs-user-mnt
		mkdir -p "${ROOT[$t]}" && chown "$BENCH_USER" "${ROOT[$t]}" || { STATUS[$t]=fail; return 1; }
		if ! as_target "$t" "$BUILD/dossierctl" -a "$WORK/dfs-user-archive" mount \
			--user "$BENCH_USER" "${ROOT[$t]}" >>"$WORK/logs/dossierctl-user.log" 2>&1; then
			tail -n 5 "$WORK/logs/dossierctl-user.log" >&2
			STATUS[$t]=fail NOTE[$t]="dossierctl mount --user failed"
			return 1
		fi
		NOTE[$t]="as $BENCH_USER (archivist) in its view: dossierctl mount --user; daemon $BUILD/dossierfs -o allow_other -f${extra[*]:+ ${extra[*]}}"
		;;
	dossierfs)
		if [[ ! -x $BUILD/dossierfs || ! -x $BUILD/dossierctl ]]; then
			STATUS[$t]=n/a NOTE[$t]="no $BUILD/dossierfs or $BUILD/dossierctl (build first)"
			return 0
		fi
		read -r -a extra <<<"${BENCH_DOSSIERFS_OPTS:-}"
		if ! "$BUILD/dossierctl" init "$WORK/dossierfs-archive" >"$WORK/logs/dossierctl.log" 2>&1; then
			tail -n 20 "$WORK/logs/dossierctl.log" >&2
			STATUS[$t]=fail NOTE[$t]="dossierctl init failed"
			return 1
		fi
		ROOT[$t]=$WORK/dossierfs-mnt
		NOTE[$t]="$BUILD/dossierfs -o allow_other -f${extra[*]:+ ${extra[*]}}"
		mount_fuse "$t" "${ROOT[$t]}" "$BUILD/dossierfs" "$WORK/dossierfs-archive" "${ROOT[$t]}" \
			-o allow_other -f ${extra[@]+"${extra[@]}"} || { STATUS[$t]=fail; return 1; }
		;;
	*)
		die "unknown target $t"
		;;
	esac
	make_tree "$t" || { STATUS[$t]=fail NOTE[$t]="could not make the tree"; return 1; }
	STATUS[$t]=ok
}

# The tree: YEARS x CATEGORIES x CLIENTS client folders, plus client-seq.
# dossierfs makes the category folders itself when a year is made.
make_tree() {
	local t=$1 r=${ROOT[$1]} y c i dirs=()
	# Called where `set -e` does not act: every step checks for itself.
	for y in "${YEARS[@]}"; do
		as_target "$t" mkdir "$r/$y" || return 1
		for c in "${CATEGORIES[@]}"; do
			if [[ $t == dossierfs* ]]; then
				as_target "$t" test -d "$r/$y/$c" || { log "$t: $y/$c missing after mkdir $y"; return 1; }
			else
				as_target "$t" mkdir "$r/$y/$c" || return 1
			fi
		done
	done
	for y in "${YEARS[@]}"; do
		for c in "${CATEGORIES[@]}"; do
			for ((i = 1; i <= CLIENTS; i++)); do
				dirs+=("$r/$y/$c/$(printf 'client-%03d' "$i")")
			done
		done
	done
	printf '%s\n' "${dirs[@]}" >"$WORK/dirs-$t" || return 1
	as_target "$t" xargs -d '\n' mkdir <"$WORK/dirs-$t" || return 1
	as_target "$t" mkdir "$r/$SEQ_DIR_REL" || return 1
}

# ---------------------------------------------------------------- helpers for workloads
# A workload is a function wl_NAME TARGET run in a subshell with `set -e`;
# it prints its result (a rate, higher is better) as the last line of
# stdout. Untimed preparation is its own business. State that must outlive
# the subshell goes in files ($WORK/state).

seq_file() { echo "${ROOT[$1]}/$SEQ_DIR_REL/seq-r$ROUND.bin"; }
dir_list() { echo "$WORK/dirs-$1"; }

# "BYTES SECONDS" (one or two arguments) -> MiB/s
mib_rate() { awk '{ printf "%.2f\n", $1 / 1048576 / ($2 > 0 ? $2 : 1e-9) }' <<<"$*"; }
# "OPS SECONDS" (one or two arguments) -> ops/s
ops_rate() { awk '{ printf "%.2f\n", $1 / ($2 > 0 ? $2 : 1e-9) }' <<<"$*"; }

# The sequential file of this round, made (untimed) if an earlier workload
# did not (BENCH_ONLY).
ensure_seq_file() {
	local f
	f=$(seq_file "$1")
	if [[ $(tmo stat -c %s "$f" 2>/dev/null || echo -1) -ne $((SEQ_MB * 1048576)) ]]; then
		tmo "$BIN/seqio" write "$f" "$SEQ_MB" >/dev/null
	fi
}

# Prefix of this round's small files on a target ("" = none yet).
meta_prefix() { cat "$WORK/state/$1.meta" 2>/dev/null || true; }
set_meta_prefix() { echo "$2" >"$WORK/state/$1.meta"; }
ensure_meta_files() {
	if [[ -z $(meta_prefix "$1") ]]; then
		tmo "$BIN/metabench" create "$(dir_list "$1")" "$NFILES" "r${ROUND}a" >/dev/null
		set_meta_prefix "$1" "r${ROUND}a"
	fi
}

# ---------------------------------------------------------------- workloads

declare -a WORKLOADS=()
declare -A WL_LABEL=() WL_UNIT=()
# add_workload NAME LABEL UNIT: a row; wl_NAME must exist. Rows run and
# print in the order added.
add_workload() { WORKLOADS+=("$1"); WL_LABEL[$1]=$2; WL_UNIT[$1]=$3; }

wl_seq_write() {
	local f out
	f=$(seq_file "$1")
	tmo rm -f "$f"
	sync
	out=$(tmo "$BIN/seqio" write "$f" "$SEQ_MB")
	mib_rate "$out"
}

wl_seq_read_cold() {
	local f out
	f=$(seq_file "$1")
	ensure_seq_file "$1"
	drop_caches
	out=$(tmo "$BIN/seqio" read "$f")
	read -r b _ <<<"$out"
	[[ $b -eq $((SEQ_MB * 1048576)) ]] || { log "read $b bytes of $f, expected $((SEQ_MB * 1048576))"; return 1; }
	mib_rate "$out"
}

# Read twice, each a new open() as a user's program would; time the second.
wl_seq_read_warm() {
	local f out
	f=$(seq_file "$1")
	ensure_seq_file "$1"
	tmo "$BIN/seqio" read "$f" >/dev/null
	out=$(tmo "$BIN/seqio" read "$f")
	read -r b _ <<<"$out"
	[[ $b -eq $((SEQ_MB * 1048576)) ]] || { log "read $b bytes of $f, expected $((SEQ_MB * 1048576))"; return 1; }
	mib_rate "$out"
}

# Warm: one untimed sequential read first.
wl_rand_read() {
	local f out
	f=$(seq_file "$1")
	ensure_seq_file "$1"
	tmo "$BIN/seqio" read "$f" >/dev/null
	out=$(tmo "$BIN/randread" "$f" "$RAND_OPS" "$RAND_SEED")
	ops_rate "$out"
}

wl_meta_create() {
	local out
	[[ -z $(meta_prefix "$1") ]] || { log "small files of round $ROUND already exist"; return 1; }
	out=$(tmo "$BIN/metabench" create "$(dir_list "$1")" "$NFILES" "r${ROUND}a")
	set_meta_prefix "$1" "r${ROUND}a"
	ops_rate "$out"
}

wl_meta_stat() {
	local out
	ensure_meta_files "$1"
	drop_caches
	out=$(tmo "$BIN/metabench" stat "$(dir_list "$1")" "$NFILES" "$(meta_prefix "$1")")
	ops_rate "$out"
}

wl_meta_readdir() {
	local out n s e
	ensure_meta_files "$1"
	out=$(tmo "$BIN/metabench" readdir "$(dir_list "$1")")
	read -r n s e <<<"$out"
	[[ $e -ge $NFILES ]] || { log "readdir saw $e names, expected at least $NFILES"; return 1; }
	ops_rate "$n" "$s"
}

wl_meta_rename() {
	local out p np
	ensure_meta_files "$1"
	p=$(meta_prefix "$1")
	np=r${ROUND}b
	[[ $p != "$np" ]] || np=r${ROUND}a
	out=$(tmo "$BIN/metabench" rename "$(dir_list "$1")" "$NFILES" "$p" "$np")
	set_meta_prefix "$1" "$np"
	ops_rate "$out"
}

# find ROOT -type f | wc -l after dropping caches; files found per second.
wl_find_cold() {
	local t0 t1 n want
	ensure_meta_files "$1"
	drop_caches
	t0=$(now)
	n=$(tmo find "${ROOT[$1]}" -type f | wc -l)
	t1=$(now)
	want=$NFILES
	! tmo test -e "$(seq_file "$1")" || want=$((want + 1))
	[[ $n -eq $want ]] || log "find: $1 has $n files, expected $want"
	log "find on $1: $n files in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') s"
	ops_rate "$n" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')"
}

wl_meta_unlink() {
	local out
	ensure_meta_files "$1"
	out=$(tmo "$BIN/metabench" unlink "$(dir_list "$1")" "$NFILES" "$(meta_prefix "$1")")
	set_meta_prefix "$1" ""
	ops_rate "$out"
}

add_workload seq_write "seq write 1 MiB blocks+fsync" MiB/s
add_workload seq_read_cold "seq read, cold cache" MiB/s
add_workload seq_read_warm "seq read, warm (new open)" MiB/s
add_workload rand_read "4 KiB random read, warm" ops/s
add_workload meta_create "create+write 4 KiB+close" ops/s
add_workload meta_stat "stat, cold cache" ops/s
add_workload meta_readdir "readdir of client dirs" dirs/s
add_workload meta_rename "rename within dir" ops/s
add_workload find_cold "find -type f, cold cache" files/s
add_workload meta_unlink "unlink" ops/s
BUILTIN=("${WORKLOADS[@]}")

# ---------------------------------------------------------------- Extra sections
# Each tests/bench/extra.d/*.sh is sourced here, in name order. It may
# define wl_NAME functions and call `add_workload NAME LABEL UNIT` to add
# rows: they run in every round on every target like the built-in ones,
# and BENCH_ONLY selects them by NAME. Available to them: ${ROOT[$t]} (the
# tree of target t), $ROUND, $WORK (scratch, on the bench disk), $BIN
# (compiled helpers: seqio, randread, metabench; an extra may compile its
# own into $BIN), $SEQ_MB, $NFILES, drop_caches, tmo (timeout), now,
# seq_file, ensure_seq_file, dir_list, ensure_meta_files, meta_prefix,
# mib_rate, ops_rate, log. A wl_ function's last line of stdout is its
# rate (higher is better); its exit status non-zero marks the cell "err".
# Files it leaves in the tree are removed at the end of each round.
shopt -s nullglob
for extra in "$HERE"/extra.d/*.sh; do
	log "sourcing $extra"
	# shellcheck disable=SC1090
	source "$extra"
done
shopt -u nullglob

# ---------------------------------------------------------------- selection

SELECTED=()
if [[ -z $ONLY ]]; then
	SELECTED=("${WORKLOADS[@]}")
else
	read -r -a pats <<<"${ONLY//,/ }"
	for p in "${pats[@]}"; do
		hit=0
		for w in "${WORKLOADS[@]}"; do
			# shellcheck disable=SC2053
			[[ $w == $p ]] && hit=1
		done
		((hit)) || die "BENCH_ONLY: no workload matches '$p' (workloads: ${WORKLOADS[*]})"
	done
	for w in "${WORKLOADS[@]}"; do
		for p in "${pats[@]}"; do
			# shellcheck disable=SC2053
			if [[ $w == $p ]]; then SELECTED+=("$w"); break; fi
		done
	done
fi

for t in $WANTED_TARGETS; do
	case " ${ALL_TARGETS[*]} " in *" $t "*) ;; *) die "BENCH_TARGETS: unknown target '$t' (targets: ${ALL_TARGETS[*]})" ;; esac
done
for t in "${ALL_TARGETS[@]}"; do
	case " $WANTED_TARGETS " in
	*" $t "*) ;;
	*) STATUS[$t]=n/a NOTE[$t]="left out (BENCH_TARGETS)"; continue ;;
	esac
	log "setting up $t"
	if ! setup_target "$t"; then
		log "$t: setup failed; its column will read 'fail'"
		FAILED=1
	fi
	if [[ ${STATUS[$t]} == ok ]]; then
		ACTIVE+=("$t")
	else
		log "$t: ${STATUS[$t]} (${NOTE[$t]:-})"
	fi
done
((${#ACTIVE[@]})) || die "no target could be set up"

# Disk: every active target holds one sequential file at once, plus the
# small files.
need_kb=$((${#ACTIVE[@]} * (SEQ_MB * 1024 + NFILES * 8) + 65536))
have_kb=$(df -Pk "$WORK" | awk 'NR == 2 { print $4 }')
((have_kb > need_kb)) || die "needs about $((need_kb / 1024)) MiB free in $BENCH_DIR, has $((have_kb / 1024)) MiB"

# ---------------------------------------------------------------- run

round_cleanup() {
	local t
	for t in "${ACTIVE[@]}"; do
		if ! as_target "$t" find "${ROOT[$t]}" -type f -delete 2>"$WORK/logs/cleanup.err"; then
			log "$t: could not remove this round's files: $(head -n 3 "$WORK/logs/cleanup.err")"
		fi
		set_meta_prefix "$t" ""
	done
	sync
}

# Before every measurement, of any target: dossierfs commits to its
# history what the last workload journaled (about a second after each
# change, in the background), so that this work lands on no other
# target's clock; untimed, its duration is logged. Then the page cache
# goes to disk.
settle() {
	local t0 t1
	local t a
	for t in dossierfs dossierfs-user; do
		[[ " ${ACTIVE[*]} " == *" $t "* ]] || continue
		a=$WORK/dossierfs-archive
		[[ $t == dossierfs ]] || a=$WORK/dfs-user-archive
		t0=$(now)
		"$BUILD/dossierctl" -a "$a" sync >/dev/null 2>"$WORK/logs/sync.err" ||
			log "$t: dossierctl sync failed: $(head -n 2 "$WORK/logs/sync.err")"
		t1=$(now)
		awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 0.5) }' &&
			log "$t: history of the last workload committed in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s (untimed)"
	done
	sync
}

run_one() {
	local wl=$1 t=$2 out rc val
	# the extra sections manage targets of their own: the view runs the
	# built-in workloads only
	if [[ $t == *-user && " ${BUILTIN[*]} " != *" $wl "* ]]; then
		printf '%s %s %s skip\n' "$ROUND" "$wl" "$t" >>"$RAW"
		return 0
	fi
	settle
	# In the background so that a signal to this script is acted on at once
	# (teardown then ends the job), not when the measurement finishes.
	(
		set -e
		CUR_T=$t
		"wl_$wl" "$t"
	) >"$WORK/out" &
	JOB=$!
	rc=0
	wait "$JOB" || rc=$?
	JOB=
	out=$(<"$WORK/out")
	val=${out##*$'\n'}
	if ((rc == 0)) && [[ $val =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
		printf '%s %s %s %s\n' "$ROUND" "$wl" "$t" "$val" >>"$RAW"
		printf '[bench] round %d/%d  %-14s %-15s %12s %s\n' "$ROUND" "$ROUNDS" "$wl" "$t" "$val" "${WL_UNIT[$wl]}" >&2
	else
		printf '%s %s %s err\n' "$ROUND" "$wl" "$t" >>"$RAW"
		log "round $ROUND/$ROUNDS  $wl on $t FAILED (exit $rc${out:+, printed: ${out//$'\n'/ | }})"
		if [[ -n ${PID[$t]:-} ]]; then
			kill -0 "${PID[$t]}" 2>/dev/null || log "$t daemon is gone"
			tail -n 5 "$WORK/logs/$t.log" >&2 || true
		fi
		FAILED=1
	fi
}

log "rounds: $ROUNDS; workloads: ${SELECTED[*]}; targets: ${ACTIVE[*]}"
T_START=$(now)
for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
	# Rotate the target order each round so no target is always first.
	n=${#ACTIVE[@]}
	order=()
	for ((i = 0; i < n; i++)); do order+=("${ACTIVE[$(((i + ROUND - 1) % n))]}"); done
	for wl in "${SELECTED[@]}"; do
		for t in "${order[@]}"; do
			run_one "$wl" "$t"
		done
	done
	round_cleanup
done
T_END=$(now)

# ---------------------------------------------------------------- report

# Keep the raw results past teardown.
RESULTS=$(cat "$RAW")
if [[ -n ${BENCH_RAW:-} ]]; then
	printf '%s\n' "$RESULTS" >"$BENCH_RAW"
fi
teardown
trap - EXIT

# median WORKLOAD TARGET -> number, "err", or "n/a"
median() {
	local wl=$1 t=$2
	case ${STATUS[$t]} in
	ok) ;;
	fail) echo fail; return ;;
	*) echo n/a; return ;;
	esac
	awk -v w="$wl" -v t="$t" '
		$2 == w && $3 == t && $4 == "skip" { skip = 1; next }
		$2 == w && $3 == t { if ($4 == "err") bad = 1; else v[n++] = $4 }
		END {
			if (skip && n == 0 && !bad) { print "n/a"; exit }
			if (bad || n == 0) { print "err"; exit }
			for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { x = v[i]; v[i] = v[j]; v[j] = x }
			# %f: print would use %.6g, and 1.24801e+06 is no number to fmt_*
			printf "%.2f\n", (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
		}' <<<"$RESULTS"
}
fmt_num() {
	awk -v v="$1" 'BEGIN {
		if (v !~ /^[0-9.]+$/) print v
		else if (v >= 100) printf "%.0f\n", v
		else if (v >= 10) printf "%.1f\n", v
		else printf "%.2f\n", v }'
}
fmt_ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b == 0) print "n/a"
		else printf "%.2fx\n", a / b }'
}

fstype=$(findmnt -n -o FSTYPE -T "$BENCH_DIR" 2>/dev/null || stat -f -c %T "$BENCH_DIR")
fsdev=$(findmnt -n -o SOURCE -T "$BENCH_DIR" 2>/dev/null || echo "?")
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
ndirs=$((${#YEARS[@]} * ${#CATEGORIES[@]} * CLIENTS))

{
	echo "# dossierfs benchmark: every figure is a rate, HIGHER IS BETTER; median of $ROUNDS round(s)"
	echo "# machine: nproc $(nproc), ${cpu:-unknown cpu}, $mem RAM, kernel $(uname -r)"
	echo "# scratch: $BENCH_DIR on $fstype ($fsdev)"
	echo "# sizes: seq file $SEQ_MB MiB; $RAND_OPS random 4 KiB reads; $NFILES files of 4 KiB in $ndirs client dirs (${#YEARS[@]} years x ${#CATEGORIES[@]} categories x $CLIENTS clients)"
	for t in "${ALL_TARGETS[@]}"; do
		printf '# %-15s %s%s\n' "$t:" "$([[ ${STATUS[$t]} == ok ]] || echo "${STATUS[$t]}: ")" "${NOTE[$t]:-}"
	done
	echo "# ratio columns: dfs = dossierfs, dfsu = dossierfs-user, pt_ll = passthrough_ll, pt_llu = passthrough_ll-user; dossierfs rate / peer rate (above 1x: dossierfs is faster)"
	echo "# before each measurement dossierfs commits what the previous one journaled to its history (untimed, durations in the progress log)"
	printf '# wall time: %s s\n' "$(awk -v a="$T_START" -v b="$T_END" 'BEGIN { printf "%.0f", b - a }')"
	echo
	printf '%-30s %-8s %10s %10s %14s %12s %10s %14s %11s %11s %10s %12s %12s\n' \
		workload unit native bindfs passthrough_ll pt_ll-user dossierfs dossierfs-user dfs/native dfs/bindfs dfs/pt_ll dfsu/native dfsu/pt_llu
	for wl in "${SELECTED[@]}"; do
		declare -A m=()
		for t in "${ALL_TARGETS[@]}"; do m[$t]=$(median "$wl" "$t"); done
		printf '%-30s %-8s %10s %10s %14s %12s %10s %14s %11s %11s %10s %12s %12s\n' \
			"${WL_LABEL[$wl]}" "${WL_UNIT[$wl]}" \
			"$(fmt_num "${m[native]}")" "$(fmt_num "${m[bindfs]}")" \
			"$(fmt_num "${m[passthrough_ll]}")" \
			"$(fmt_num "${m[passthrough_ll-user]}")" \
			"$(fmt_num "${m[dossierfs]}")" \
			"$(fmt_num "${m[dossierfs-user]}")" \
			"$(fmt_ratio "${m[dossierfs]}" "${m[native]}")" \
			"$(fmt_ratio "${m[dossierfs]}" "${m[bindfs]}")" \
			"$(fmt_ratio "${m[dossierfs]}" "${m[passthrough_ll]}")" \
			"$(fmt_ratio "${m[dossierfs-user]}" "${m[native]}")" \
			"$(fmt_ratio "${m[dossierfs-user]}" "${m[passthrough_ll-user]}")"
		unset m
	done
}

if ((FAILED)); then
	log "some measurements failed (see 'err'/'fail' above)"
	exit 1
fi
