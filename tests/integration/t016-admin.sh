#!/bin/sh
# Administration from the command line: user set and user remove take
# effect at once and are audited; the CLI follows util-linux and git
# habits (getopt_long: --opt=value, options after operands, "--";
# --help exits 0 for every command; --json parses; tables line up by
# display width with Chinese names).
. "$(dirname "$0")/lib.sh"

ensure_user dossier_t16_a
ensure_user dossier_t16_b
new_archive --demo
mount_fs
CTL="$BUILD/dossierctl -a $A"
C="$M/2024/contracts"
$CTL user add dossier_t16_a --role sales --dept sales >/dev/null
$CTL user add --role=auditor dossier_t16_b >/dev/null

# 1. user set / user remove, at once
check "a sales user lists client folders" sh -c "
	$(command -v setpriv) --reuid=$(id -u dossier_t16_a) --regid=$(id -g dossier_t16_a) --clear-groups ls '$C' | grep -q ."
check "user set --role=gm --dept 销售部 (getopt_long forms)" \
	$CTL user set dossier_t16_a --role=gm --dept 销售部
check "user list shows the change" sh -c "
	$CTL user list | grep dossier_t16_a | grep gm | grep -q 销售部"
as dossier_t16_a cat "$C/Globex Corporation/"* >/dev/null 2>&1
check "the user, gm now, reads a client's records at once" test $? -eq 0
check "user remove exits 0" $CTL user remove dossier_t16_a
as dossier_t16_a ls "$C" > "$T/ls.out" 2>&1
check "a removed user sees nothing at once" test ! -s "$T/ls.out"
check "removing an unmapped user is refused (exit 1)" sh -c "
	! $CTL user remove dossier_t16_a 2>'$T/err' && grep -q 'not a mapped user' '$T/err'"
check "an unknown role is refused (exit 1)" sh -c "
	$CTL user set dossier_t16_b --role king 2>'$T/err'; test \$? -eq 1 && grep -q \"unknown role 'king'\" '$T/err'"
as dossier_t16_b $CTL user set dossier_t16_b --role gm >/dev/null 2>&1
check "an auditor may not change roles (exit 1)" test $? -eq 1
check "user changes are audited" sh -c "
	$CTL audit | grep -q 'user-set' && $CTL audit | grep -q 'user-remove'"

# 2. --help exits 0 for every command, usage errors exit 2
for cmd in $($BUILD/dossierctl --help | awk '/^commands:/ {on=1; next} on && !NF {exit} on {print $1}'); do
	$BUILD/dossierctl $cmd --help > "$T/help.out" 2>&1
	rc=$?
	if [ $rc -ne 0 ] || ! grep -q usage "$T/help.out"; then
		echo "not ok - dossierctl $cmd --help exits 0 with a usage (got $rc)"
		FAILS=$((FAILS + 1))
	fi
done
echo "ok - --help of every command checked"
R0="$C/Globex Corporation/$(ls "$C/Globex Corporation" | head -1)"
check "explain PATH --user=NAME (option after the operand, = form)" sh -c "
	$CTL explain '$R0' --user=dossier_t16_b | grep -q 'read:'"
check "explain --user NAME -- PATH" sh -c "
	$CTL explain --user dossier_t16_b -- '$R0' | grep -q 'read:'"
check "trash --user=NAME" $CTL trash --user=dossier_t16_b
check "audit --since=1h30m --limit=3 (durations like 1h30m)" sh -c "
	$CTL audit --since=1h30m --limit=3 | grep -q ."
check "grant --for=1h30m is understood (refused for policy, not usage)" sh -c "
	$CTL grant '$R0' --user=dossier_t16_b --read --for=1h30m --reason=test 2>'$T/err'
	test \$? -ne 2 && ! grep -q 'not a duration' '$T/err'"
check "an unknown option is a usage error (exit 2)" sh -c "
	$CTL user list --frobnicate 2>/dev/null; test \$? -eq 2"

# 3. --json parses; tables line up by display width
$CTL user add dossier_t16_a --role sales --dept 华东销售部 >/dev/null
check "user list --json is JSON" sh -c "
	$CTL user list --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert any(u[\"name\"] == \"dossier_t16_a\" and u[\"uid\"] > 0 for u in d[\"users\"])'"
R="$C/Globex Corporation/$(ls "$C/Globex Corporation" | head -1)"
for i in 1 2 3; do echo "line $i" >> "$R"; done
for cmd in "policy" "grants" "trash" "register" "audit --limit 5" "due" \
	"user list"; do
	check "$cmd --json is parsed by a JSON parser" sh -c "
		$CTL $cmd --json | python3 -m json.tool >/dev/null"
done
check "log -n 2 prints the last two entries" sh -c "
	test \$($CTL log -n 2 '$R' | wc -l) -eq 2 &&
	test \"\$($CTL log -n 1 '$R')\" = \"\$($CTL log '$R' | tail -1)\""
check "log -n 1 --json has one entry" sh -c "
	$CTL log --json -n1 -- '$R' | python3 -c 'import json,sys; assert len(json.load(sys.stdin)[\"log\"]) == 1'"
rev=$($CTL log -n 1 "$R" | awk '{print $4}')
check "show -- PATH REV (getopt's --)" sh -c "$CTL show -- '$R' $rev | cmp - '$R'"
check "restore --reason=TEXT before the operands" \
	$CTL restore --reason="back to $rev" "$R" "$rev"
check "hold PATH --reason=TEXT and release -- PATH" sh -c "
	$CTL hold '$R' --reason='a test hold' >/dev/null &&
	$CTL release -- '$R' >/dev/null"
check "policy set refuses an unknown key (exit 1, a sentence)" sh -c "
	$CTL policy set trash-dayz 3 2>'$T/err'; test \$? -eq 1 && grep -q 'not a setting' '$T/err'"
check "policy set refuses a bad value (exit 1, a sentence)" sh -c "
	$CTL policy set trash-days soon 2>'$T/err'; test \$? -eq 1 && grep -q 'number of days' '$T/err' &&
	$CTL policy | grep -q 'trash-days	30'"
# 4. diff: exit 1 when versions differ (as diff(1)), text of office files
MK="python3 $(cd "$(dirname "$0")/../tools" && pwd)/mkoffice.py"
G="$C/Globex Corporation"
for kind in docx odt xlsx; do
	$MK $kind "$T/v1.$kind" "contract price 100 yuan"
	$MK $kind "$T/v2.$kind" "contract price 200 yuan"
	cp "$T/v1.$kind" "$G/offer.$kind" && $CTL sync
	cp "$T/v2.$kind" "$G/offer.$kind" && $CTL sync
	$CTL diff "$G/offer.$kind" > "$T/diff.out" 2>&1
	rc=$?
	check "diff of two .$kind versions exits 1 and shows their text" sh -c "
		test $rc -eq 1 && grep -q '^-.*price 100' '$T/diff.out' &&
		grep -q '^+.*price 200' '$T/diff.out'"
done
first=$($CTL log "$G/offer.odt" | head -1 | awk '{print $4}')
cp "$T/v1.odt" "$G/offer.odt" && $CTL sync
$CTL diff "$G/offer.odt" "$first" > "$T/diff.out" 2>&1
check "diff of two identical versions exits 0" test $? -eq 0

$CTL user list --json > "$T/users.json"
check "a table with Chinese names lines up (display width)" sh -c "
	$CTL user list | python3 -c '
import json, sys, unicodedata
def w(s): return sum(2 if unicodedata.east_asian_width(c) in \"WF\" else 1 for c in s)
rows = json.load(open(\"$T/users.json\"))[\"users\"]
lines = sys.stdin.read().splitlines()[1:]
assert len(lines) == len(rows)
starts = {}
for l, r in zip(lines, rows):
	pos = 0
	for k in (\"name\", \"dept\", \"role\"):
		v = r[k] or \"\"
		if not v:
			continue
		pos = l.index(v, pos)
		starts.setdefault(k, set()).add(w(l[:pos]))
		pos += len(v)
	starts.setdefault(\"uid end\", set()).add(w(l.rstrip()))
assert all(len(v) == 1 for v in starts.values()), starts
assert any(ord(c) > 127 for c in \"\".join(lines))
'"
finish
