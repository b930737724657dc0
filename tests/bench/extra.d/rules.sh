# shellcheck shell=bash
# The cost of per-caller rule checks (issue 5): readdir of a 1,000-record
# client folder and stat of every record in it, as a restricted user (a
# mapped 'staff' account: every record is listed but none readable, so
# every name and mode is decided for them) and as root (unrestricted), on
# every target. And a lookup of a name hidden from the caller against one
# nobody has (issue 11: no timing oracle): on dossierfs the hidden names
# are another department's personal records among the restricted user's
# listed ones; other
# targets have no hidden names, so both rows stat names that are absent
# there. Sourced by tests/bench/bench.sh.

RULES_USER=dossier_bench_staff
RULES_N=${BENCH_RULES_FILES:-1000}
RULES_DIR_REL=2024/contracts/rules-client

id "$RULES_USER" >/dev/null 2>&1 || useradd -M -N -s /bin/sh "$RULES_USER"

rules_setup() {
	local t=$1 dir="${ROOT[$1]}/$RULES_DIR_REL" p
	if [[ ! -e $dir/r0000000 ]]; then
		mkdir -p "$dir"
		chmod 755 "$dir"
		( cd "$dir" && for ((i = 0; i < RULES_N; i++)); do
			printf "record %d\n" "$i" > "$(printf "r%07d" "$i")"
		done; chmod 644 r* )
	fi
	printf '%s\n' "$dir" > "$WORK/rules-dirs-$t"
	chmod 644 "$WORK/rules-dirs-$t"
	# the restricted user must be able to walk to the tree
	p=$dir
	while [[ $p != / && $p != "$BENCH_DIR" ]]; do
		chmod o+x "$p" 2>/dev/null || true
		p=$(dirname "$p")
	done
	if [[ $t == dossierfs ]]; then
		"$BUILD/dossierctl" -a "$(findmnt -no SOURCE --target "${ROOT[$1]}")" \
			user add "$RULES_USER" --role staff --dept sales \
			>/dev/null 2>&1 || true
	fi
}

rules_as() {	# USER CMD...: run as USER (root: as is), under tmo
	local u=$1
	shift
	if [[ $u == root ]]; then
		tmo "$@"
	else
		tmo setpriv --reuid="$(id -u "$u")" --regid="$(id -g "$u")" \
			--clear-groups -- "$@"
	fi
}

rules_readdir() {	# TARGET USER
	local out n s e
	rules_setup "$1"
	out=$(rules_as "$2" "$BIN/metabench" readdir "$WORK/rules-dirs-$1")
	read -r n s e <<<"$out"
	[[ $e -ge $RULES_N ]] || { log "rules readdir as $2 saw $e names"; return 1; }
	# one folder listed: report names per second
	ops_rate "$e" "$s"
}

rules_stat() {	# TARGET USER
	local out
	rules_setup "$1"
	drop_caches
	out=$(rules_as "$2" "$BIN/metabench" stat "$WORK/rules-dirs-$1" \
		"$RULES_N" r)
	ops_rate "$out"
}

# records hidden from the restricted user in their folder: another
# department's personal records (dossierfs only; made once)
RULES_OTHER=dossier_bench_other
rules_hidden_setup() {
	local dir
	rules_setup "$1"
	dir=$(cat "$WORK/rules-dirs-$1")
	[[ $1 == dossierfs && ! -e $dir/h0000000 ]] || return 0
	id "$RULES_OTHER" >/dev/null 2>&1 || useradd -M -N -s /bin/sh "$RULES_OTHER"
	"$BUILD/dossierctl" -a "$(findmnt -no SOURCE --target "${ROOT[$1]}")" \
		user add "$RULES_OTHER" --role staff --dept audit >/dev/null 2>&1 || true
	( cd "$dir" && for ((i = 0; i < RULES_N; i++)); do
		f=$(printf "h%07d" "$i")
		printf "hidden %d\n" "$i" > "$f"
		setfattr -n user.dossier.dept -v audit "$f"
		setfattr -n user.dossier.owner -v "$RULES_OTHER" "$f"
		setfattr -n user.dossier.scope -v personal "$f"
	done )
}

rules_miss() {	# TARGET PREFIX: stat RULES_N names that answer ENOENT
	local out
	rules_hidden_setup "$1"
	settle	# the setup's history is committed before the clock runs
	out=$(rules_as "$RULES_USER" "$BIN/metabench" miss \
		"$WORK/rules-dirs-$1" "$RULES_N" "$2")
	ops_rate "$out"
}

wl_rules_lookup_hidden() {
	if [[ $1 == dossierfs ]]; then rules_miss "$1" h; else rules_miss "$1" x; fi
}
wl_rules_lookup_absent() { rules_miss "$1" a; }

wl_rules_readdir_restricted() { rules_readdir "$1" "$RULES_USER"; }
wl_rules_readdir_root() { rules_readdir "$1" root; }
wl_rules_stat_restricted() { rules_stat "$1" "$RULES_USER"; }
wl_rules_stat_root() { rules_stat "$1" root; }

add_workload rules_readdir_restricted "readdir 1k, restricted user" names/s
add_workload rules_readdir_root "readdir 1k, root" names/s
add_workload rules_stat_restricted "stat 1k, restricted user" ops/s
add_workload rules_stat_root "stat 1k, root" ops/s
add_workload rules_lookup_hidden "lookup 1k hidden names, restricted" ops/s
add_workload rules_lookup_absent "lookup 1k absent names, restricted" ops/s
