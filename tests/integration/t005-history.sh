#!/bin/sh
# History: one entry per save however the editor saves, scratch files
# never in history, exact bytes in /.history, log/show/diff/restore.
. "$(dirname "$0")/lib.sh"

ensure_user dossier_t_alice
ensure_user dossier_t_bob
new_archive
"$BUILD/dossierctl" -a "$A" user add dossier_t_alice --role sales --dept sales >/dev/null
"$BUILD/dossierctl" -a "$A" user add dossier_t_bob --role manager --dept sales >/dev/null
mount_fs
mkdir -p "$M/2024/contracts/ACME Ltd"
chmod 777 "$M/2024/contracts/ACME Ltd"
C="$M/2024/contracts/ACME Ltd"
R="$C/contract.txt"
GIT="git --git-dir=$A/history.git"
CTL="$BUILD/dossierctl"

entries() { "$CTL" log "$1" | wc -l; }
snap() { cp "$R" "$T/expect.$1"; }

# 1. create (alice)
as dossier_t_alice sh -c "umask 0; printf 'v1 created\n' > '$R'"
snap 1
# 2. vim's save (bob): 4913 probe, rename to contract.txt~, new file
as dossier_t_bob sh -c "cd '$C' && HOME='$T' vim -u NONE -i NONE -es \
	-c 'set nocp backupskip= writebackup backupcopy=auto' \
	-c 'normal Gov2 vim' -c wq contract.txt"
snap 2
# 3. gio save (alice): .goutputstream-XXXXXX then rename
as dossier_t_alice sh -c "printf 'v3 gio\n' | HOME='$T' gio save '$R'"
snap 3
# 4. LibreOffice (bob): lock file, lu*.tmp, rename onto the document
as dossier_t_bob sh -c "cd '$C' && printf 'bob,host;' > '.~lock.contract.txt#' &&
	printf 'v4 libreoffice\n' > lu5417ab2c.tmp && mv lu5417ab2c.tmp contract.txt &&
	rm '.~lock.contract.txt#'"
snap 4
# 5. Excel (alice): temp without a known name, delete original, rename
as dossier_t_alice sh -c "cd '$C' && printf 'v5 excel\n' > Cedd4100 &&
	rm contract.txt && mv Cedd4100 contract.txt"
snap 5

check "five saves give exactly five log entries" sh -c "[ \$('$CTL' log '$R' | wc -l) -eq 5 ]"
check "entries in order with operations and authors" sh -c "
	'$CTL' log '$R' | awk '{print \$2, \$3}' > '$T/log' &&
	printf '%s\n' 'dossier_t_alice create' 'dossier_t_bob save' 'dossier_t_alice save' \
		'dossier_t_bob save' 'dossier_t_alice save' | diff - '$T/log'"
check "programs are recorded (vim, gio, mv)" sh -c "
	'$CTL' log '$R' | awk '{print \$5}' | tr '\n' ' ' | grep -q 'vim gio mv mv'"
check ".history holds five versions, oldest first" sh -c "
	[ \$(ls '$M/.history/2024/contracts/ACME Ltd/contract.txt' | wc -l) -eq 5 ]"
check ".history holds each version's exact bytes" sh -c "
	i=1; for f in \$(ls -U '$M/.history/2024/contracts/ACME Ltd/contract.txt'); do
		cmp '$M/.history/2024/contracts/ACME Ltd/contract.txt/'\$f '$T/expect.'\$i || exit 1; i=\$((i+1)); done"
check "version files are named YYYY-MM-DDTHH.MM.SSZ-hash.ext" sh -c "
	ls '$M/.history/2024/contracts/ACME Ltd/contract.txt' |
	grep -Evq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}\.[0-9]{2}\.[0-9]{2}Z-[0-9a-f]{7}\.txt\$' && exit 1; true"
check "no scratch file anywhere in history" sh -c "
	! $GIT log --all --name-only --format= | grep -E '4913|~|\.swp|goutputstream|lu5417|lock|Cedd4100'"
check "the tree holds only the record" sh -c "
	[ \"\$($GIT ls-tree -r --name-only main)\" = '2024/contracts/ACME Ltd/contract.txt' ]"
check "no scratch file left in the folder" sh -c "[ \"\$(ls -A '$C')\" = contract.txt ]"
check "/.history is hidden from the root listing" sh -c "! ls -a '$M' | grep -q history"
check "/.history versions are read-only (EROFS)" expect EROFS write \
	"$M/.history/2024/contracts/ACME Ltd/contract.txt/$(ls "$M/.history/2024/contracts/ACME Ltd/contract.txt" | head -1)"

# more editors, replayed: each exactly one new entry
n=5
replay() {
	what=$1
	shift
	"$@" >"$T/replay.out" 2>&1
	n=$((n + 1))
	check "$what is one save" sh -c "[ \$('$CTL' log '$R' | wc -l) -eq $n ]"
}
replay "Word over SMB (~WRD/~WRL dance)" sh -c "cd '$C' &&
	printf owner > '~\$ntract.txt' && printf 'v word\n' > '~WRD0000.tmp' &&
	mv contract.txt '~WRL0001.tmp' && mv '~WRD0000.tmp' contract.txt &&
	rm '~WRL0001.tmp' '~\$ntract.txt'"
replay "rsync's .NAME.XXXXXX temp" sh -c "cd '$C' &&
	printf 'v rsync\n' > .contract.txt.Ab12Cd && mv .contract.txt.Ab12Cd contract.txt"
replay "vim in copy mode" sh -c "cd '$C' && HOME='$T' vim -u NONE -i NONE -es \
	-c 'set nocp backupskip= backupcopy=yes' -c 'normal Gocopy mode' -c wq contract.txt"
replay "cp over the record" sh -c "printf 'v cp\n' > '$T/in' && cp '$T/in' '$R'"
check "OS junk never enters history" sh -c "cd '$C' &&
	for f in ._contract.txt .DS_Store Thumbs.db desktop.ini; do echo x > \$f; done &&
	rm ._contract.txt .DS_Store Thumbs.db desktop.ini &&
	[ \$('$CTL' log '$R' | wc -l) -eq $n ] &&
	! $GIT log --all --name-only --format= | grep -E 'DS_Store|Thumbs|desktop.ini|\._'"
check "open for write and close without writing is no save" sh -c "
	exec 3>>'$R'; exec 3>&-; [ \$('$CTL' log '$R' | wc -l) -eq $n ]"
check "a reason set before close is recorded" sh -c "
	setfattr -n user.dossier.reason -v 'client asked for it' '$R' &&
	printf 'v reason\n' > '$R' && '$CTL' log '$R' | tail -1 | grep -q 'client asked for it'"
n=$((n + 1))
check "rename of a record is one entry" sh -c "
	mv '$R' '$C/contract-2024.txt' && [ \$('$CTL' log '$C/contract-2024.txt' | wc -l) -eq $((n + 1)) ] &&
	mv '$C/contract-2024.txt' '$R'"
n=$((n + 2))

# show, diff, restore
first=$("$CTL" log "$R" | head -1 | awk '{print $4}')
check "show prints a version's bytes" sh -c "'$CTL' show '$R' $first | cmp - '$T/expect.1'"
check "diff of the last two versions is a unified diff" sh -c "
	printf 'line a\nline b\n' > '$R' && printf 'line a\nline c\n' > '$R' &&
	'$CTL' diff '$R' > '$T/diff'; test \$? -eq 1 && grep -q '^-line b' '$T/diff' && grep -q '^+line c' '$T/diff'"
n=$((n + 2))
check "restore brings back old bytes as a new entry" sh -c "
	'$CTL' restore '$R' $first --reason 'wrong version sent' &&
	cmp '$R' '$T/expect.1' && '$CTL' log '$R' | tail -1 | grep -q 'restore.*wrong version sent' &&
	[ \$('$CTL' log '$R' | wc -l) -eq $((n + 1)) ]"
check "restore needs a reason (exit 2)" sh -c "'$CTL' restore '$R' $first; [ \$? -eq 2 ]"
check "show of an unknown version is refused (exit 1)" sh -c "'$CTL' show '$R' 0000000; [ \$? -eq 1 ]"
check "git fsck of the history repository is clean" $GIT fsck --strict
check "log agrees with the repository" sh -c "
	'$CTL' log '$R' | awk '{print \$4}' > '$T/ours' &&
	for c in \$(cat '$T/ours'); do $GIT cat-file -e \$c^{commit} || exit 1; done &&
	[ \$(wc -l < '$T/ours') -eq \$($GIT log --format=%H main -- '2024/contracts/ACME Ltd/contract.txt' | wc -l) ]"
check "deleted records keep their history" sh -c "
	echo gone > '$C/old.txt' && '$CTL' log '$C/old.txt' >/dev/null && rm '$C/old.txt' &&
	'$CTL' log '$C/old.txt' | grep -q delete && ls '$M/.history/2024/contracts/ACME Ltd/old.txt' | grep -q txt"
check "a moved client folder moves its history" sh -c "
	mv '$C' '$M/2024/sales/ACME Ltd' && '$CTL' log '$M/2024/sales/ACME Ltd/contract.txt' | tail -1 | grep -q move &&
	$GIT ls-tree -r --name-only main | grep -q '^2024/sales/ACME Ltd/contract.txt\$' &&
	mv '$M/2024/sales/ACME Ltd' '$C'"
finish
