#!/bin/sh
# The layering check (tests/tools/callgraph.sh, run by make check-layering)
# catches what it promises: a call from a lower layer to a higher one, and
# files that call each other, directly or around a loop. Built from tiny
# fake core files, so the check itself can be seen to fail.
. "$(dirname "$0")/lib.sh"

CG="$(pwd)/tests/tools/callgraph.sh"
# fake SRCDIR/LAYER/NAME.c from "NAME:DEFINED:CALLED..." lines
fake() {
	rm -rf "$T/src" "$T/obj"
	for spec in "$@"; do
		f=${spec%%:*}
		rest=${spec#*:}
		def=${rest%%:*}
		calls=${rest#*:}
		mkdir -p "$T/src/$(dirname "$f")" "$T/obj/$(dirname "$f")"
		{
			for c in $calls; do echo "void $c(void);"; done
			echo "void $def(void); void $def(void) {"
			for c in $calls; do echo "$c();"; done
			echo "}"
		} > "$T/src/$f.c"
		cc -c "$T/src/$f.c" -o "$T/obj/$f.o" || return 1
	done
}

fake util/a:ua: store/b:sb:ua tree/c:tc:sb
check "calls that only go down pass" sh "$CG" "$T/obj" "$T/src"

fake util/a:ua:sb store/b:sb:
check "a call up from util to store fails" sh -c "
	! sh '$CG' '$T/obj' '$T/src' > '$T/out' &&
	grep -q 'util/a.c -> store/b.c: a call up' '$T/out'"

fake tree/x:tx:ty tree/y:ty:tx
check "two files of one layer calling each other fail" sh -c "
	! sh '$CG' '$T/obj' '$T/src' > '$T/out' &&
	grep -A1 '^# loops' '$T/out' | grep 'tree/x.c' | grep -q 'tree/y.c'"

fake tree/p:tp:tq tree/q:tq:tr tree/r:tr:tp
check "a loop around three files fails" sh -c "
	! sh '$CG' '$T/obj' '$T/src' > '$T/out' &&
	grep -A1 '^# loops' '$T/out' | grep 'tree/p.c' | grep 'tree/q.c' |
	grep -q 'tree/r.c'"

fake util/a:ua: nowhere/z:nz:ua
check "a folder outside the layer list fails" sh -c "
	! sh '$CG' '$T/obj' '$T/src' > '$T/out' &&
	grep -q 'folder not in the layer list' '$T/out'"

check "the real core/ calls only downward, no loops" \
	sh "$CG" "$BUILD/core" core

finish
