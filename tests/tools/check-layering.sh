#!/bin/sh
# Fails if core/ includes libfuse or fs/ talks to SQLite or libgit2.
cd "$(dirname "$0")/../.." || exit 1
bad=0
if grep -nE '#[[:space:]]*include[[:space:]]*[<"]fuse' core/*/*.c core/*/*.h; then
	echo "check-layering: core/ must not include libfuse" >&2
	bad=1
fi
if grep -nE '\bsqlite3_?[a-z_]*\b|\bgit_[a-z_]+\(|#[[:space:]]*include[[:space:]]*[<"](sqlite3|git2)' fs/*.c fs/*.h; then
	echo "check-layering: fs/ must not use SQLite or libgit2 (core/ owns them)" >&2
	bad=1
fi
if grep -nE '\bsqlite3_|\bgit_[a-z_]+\(|[<"](sqlite3|git2)' mount-helpers/dossierctl/*.c mount-helpers/dossierctl/*.h; then
	echo "check-layering: dossierctl must go through libdossier" >&2
	bad=1
fi
for h in core/*/*.h; do
	case $h in *_i.h) continue ;; esac
	if grep -nE '\bsqlite3|\bgit_[a-z]|#include[[:space:]]*<git2' "$h"; then
		echo "check-layering: public header $h exposes SQLite or libgit2" >&2
		bad=1
	fi
done
[ $bad -eq 0 ] && echo "check-layering: layering holds"
exit $bad
