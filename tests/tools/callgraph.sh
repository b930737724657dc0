#!/bin/sh
# callgraph.sh OBJDIR [SRCDIR]: which core file calls which, read from the object
# files (a call is an undefined symbol of one object that another
# defines), checked against the layers of core/ (docs/design.md):
#  - a file may call files of its own layer folder and of the layers
#    below it, never a layer above;
#  - no file calls back into a file that calls it, directly or around a
#    loop, inside a layer or across layers.
# Prints the calls, then every breach; exit 1 if there is one.
# The layers, lowest first: the order of core/'s sub-folders.
LAYERS="util store rules catalog access history trash control tree"
dir=${1:?usage: callgraph.sh OBJDIR [SRCDIR]}
srcdir=${2:-$(dirname "$0")/../../core}
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
rank=0
for l in $LAYERS; do
	echo "$l $rank"
	rank=$((rank + 1))
done > "$tmp/ranks"
# the objects of today's sources only: a stale object of a file since
# removed or moved must not draw calls that no longer exist
src=$(cd "$srcdir" && ls */*.c)
objs=
for c in $src; do
	o=${c%.c}.o
	[ -f "$dir/$o" ] || { echo "callgraph: $dir/$o missing (build first)" >&2; exit 2; }
	objs="$objs $o"
done
[ -n "$objs" ] || { echo "callgraph: no objects under $dir" >&2; exit 2; }
for o in $objs; do
	f=${o%.o}
	nm -g --defined-only "$dir/$o" | awk -v f="$f" '$2 ~ /[TDRB]/ { print $3, f }'
done | sort > "$tmp/defs"
for o in $objs; do
	f=${o%.o}
	nm -u "$dir/$o" | awk -v f="$f" '{ print $2, f }'
done | sort > "$tmp/uses"
# caller callee, one line per pair of files
join "$tmp/uses" "$tmp/defs" | awk '$2 != $3 { print $2, $3 }' | sort -u \
	> "$tmp/edges"
echo "# calls between core files (caller -> callee)"
awk '{ printf "%s.c -> %s.c\n", $1, $2 }' "$tmp/edges"
bad=0
# upward calls: the callee's layer above the caller's
awk 'NR == FNR { r[$1] = $2; next }
{
	split($1, a, "/"); split($2, b, "/")
	if (!(a[1] in r) || !(b[1] in r)) {
		printf "%s.c -> %s.c: folder not in the layer list\n", $1, $2
		next
	}
	if (r[b[1]] > r[a[1]])
		printf "%s.c -> %s.c: a call up from layer %s to layer %s\n",
			$1, $2, a[1], b[1]
}' "$tmp/ranks" "$tmp/edges" > "$tmp/up"
if [ -s "$tmp/up" ]; then
	echo "# calls against the layers"
	cat "$tmp/up"
	bad=1
fi
# loops: files that reach each other through calls (transitive closure)
awk '
{ r[$1 " " $2] = 1; n[$1] = 1; n[$2] = 1 }
END {
	for (k in n) for (i in n) if ((i " " k) in r)
		for (j in n) if ((k " " j) in r) r[i " " j] = 1
	for (i in n) {
		if (done[i] || !((i " " i) in r)) continue
		g = i ".c"
		for (j in n) if (j != i && ((i " " j) in r) && ((j " " i) in r)) {
			g = g " " j ".c"; done[j] = 1
		}
		done[i] = 1
		print g
	}
}' "$tmp/edges" | sort > "$tmp/loops"
if [ -s "$tmp/loops" ]; then
	echo "# loops: each line is a set of files that call each other around"
	cat "$tmp/loops"
	bad=1
fi
[ $bad -eq 0 ] && echo "# core/ calls only downward, no loops"
exit $bad
