#!/bin/sh
# The tree: years, categories, clients, records; file operations; names.
. "$(dirname "$0")/lib.sh"

new_archive
mount_fs
C="$M/2024/合同协议/北京某某科技有限公司"
"$BUILD/dossierctl" -a "$A" category rename contracts 合同协议 >/dev/null

check "mkdir a year brings every category" sh -c "
	mkdir '$M/2024' && [ \$(ls '$M/2024' | wc -l) -eq 7 ] &&
	[ -d '$M/2024/sales' ]"
check "a category renamed by dossierctl shows in a new year" sh -c "
	mkdir '$M/2025' && [ -d '$M/2025/合同协议' ] &&
	[ ! -e '$M/2025/contracts' ]"
check "create a client folder with a Chinese name" mkdir "$M/2025/合同协议/北京某某科技有限公司"
check "create, write and read a record" sh -c "
	mkdir -p '$C' && echo 'v1' > '$C/合同.pdf' && [ \"\$(cat '$C/合同.pdf')\" = v1 ]"
check "overwrite a record" sh -c "
	echo 'version two' > '$C/合同.pdf' && [ \"\$(cat '$C/合同.pdf')\" = 'version two' ]"
check "append to a record" sh -c "
	echo 'line 2' >> '$C/合同.pdf' && [ \$(wc -l < '$C/合同.pdf') -eq 2 ]"
check "truncate a record" sh -c "
	truncate -s 3 '$C/合同.pdf' && [ \$(stat -c %s '$C/合同.pdf') -eq 3 ] &&
	[ \"\$(cat '$C/合同.pdf')\" = ver ]"
check "truncate to grow" sh -c "
	truncate -s 10000 '$C/合同.pdf' && [ \$(stat -c %s '$C/合同.pdf') -eq 10000 ]"
check "rename a record in its folder" sh -c "
	mv '$C/合同.pdf' '$C/合同-2024.pdf' && [ -f '$C/合同-2024.pdf' ] && [ ! -e '$C/合同.pdf' ]"
check "move a record to another client" sh -c "
	mkdir '$M/2024/sales/ACME Ltd' && mv '$C/合同-2024.pdf' '$M/2024/sales/ACME Ltd/' &&
	[ -f '$M/2024/sales/ACME Ltd/合同-2024.pdf' ]"
check "sub-folders inside a client" sh -c "
	mkdir -p '$C/scans/2024-05' && echo s > '$C/scans/2024-05/p1.tif' &&
	[ \"\$(cat '$C/scans/2024-05/p1.tif')\" = s ]"
check "move a client to another category" sh -c "
	mv '$M/2024/sales/ACME Ltd' '$M/2024/credit/' && [ -f '$M/2024/credit/ACME Ltd/合同-2024.pdf' ]"
check "delete a record" sh -c "
	rm '$M/2024/credit/ACME Ltd/合同-2024.pdf' && [ ! -e '$M/2024/credit/ACME Ltd/合同-2024.pdf' ] &&
	[ -z \"\$(ls '$M/2024/credit/ACME Ltd')\" ]"
check "remove an empty client folder" rmdir "$M/2024/credit/ACME Ltd"
check "chmod is accepted; the mode shows what the caller may do" sh -c "
	echo x > '$C/t.txt' && chmod 600 '$C/t.txt' && [ \$(stat -c %a '$C/t.txt') = 666 ]"
check "utimes are kept" sh -c "
	touch -d '2001-02-03 04:05:06' '$C/t.txt' && [ \$(stat -c %Y '$C/t.txt') -eq \$(date -d '2001-02-03 04:05:06' +%s) ]"
check "user xattrs on records" sh -c "
	setfattr -n user.note -v hello '$C/t.txt' && [ \"\$(getfattr --only-values -n user.note '$C/t.txt')\" = hello ]"
check "find sees every file" sh -c "[ \$(find '$M' -type f | wc -l) -eq 2 ]"
check "statfs answers with a 255-byte name limit" sh -c "[ \$(stat -f -c %l '$M') -eq 255 ]"
check "cp -a a folder tree in and diff it" sh -c "
	mkdir -p '$T/src/a/b' && head -c 100000 /dev/urandom > '$T/src/a/b/r.bin' && echo t > '$T/src/a/t.txt' &&
	cp -a '$T/src/a' '$C/' && diff -r '$T/src/a' '$C/a'"

# NFC and NFD are one name
NFC=$(printf 'caf\303\251.txt')
NFD=$(printf 'cafe\314\201.txt')
check "NFC name written, NFD name reads it" sh -c "
	echo nfc > '$C/$NFC' && [ \"\$(cat '$C/$NFD')\" = nfc ]"
check "NFD create of an NFC name is EEXIST" expect EEXIST create "$C/$NFD"
check "one entry for both spellings" sh -c "[ \$(ls '$C' | grep -c caf) -eq 1 ]"
check "listing shows the NFC spelling" sh -c "ls '$C' | grep -qx '$NFC'"

finish
