#!/bin/sh
# callgraph.sh OBJDIR: which core file calls which, read from the object
# files (a call is an undefined symbol of one object that another
# defines), and the loops among them: files that call back into a file
# that calls them, directly or around a loop. Exit 1 if there is a loop.
# The layering of core/ (issue 12) is checked against this.
dir=${1:?usage: callgraph.sh OBJDIR}
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
for o in "$dir"/*.o; do
	f=$(basename "$o" .o)
	nm -g --defined-only "$o" | awk -v f="$f" '$2 ~ /[TDRB]/ { print $3, f }'
done | sort > "$tmp/defs"
for o in "$dir"/*.o; do
	f=$(basename "$o" .o)
	nm -u "$o" | awk -v f="$f" '{ print $2, f }'
done | sort > "$tmp/uses"
# caller callee, one line per pair of files
join "$tmp/uses" "$tmp/defs" | awk '$2 != $3 { print $2, $3 }' | sort -u \
	> "$tmp/edges"
echo "# calls between core files (caller -> callee)"
awk '{ printf "%s.c -> %s.c\n", $1, $2 }' "$tmp/edges"
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
	exit 1
fi
echo "# no loops"
