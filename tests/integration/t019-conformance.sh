#!/bin/sh
# What POSIX tools expect of sizes, times, link counts and O_DIRECT.
. "$(dirname "$0")/lib.sh"

new_archive
mount_fs
C="$M/2024/contracts/ACME Ltd"
mkdir -p "$C/sub1" "$C/sub2"
printf 'hi\n' > "$C/f"
CTL="$BUILD/dossierctl"
STATE="$T/state"

# sizes past the largest a record may have
check "truncate past the maximum size (EFBIG)" \
	expect EFBIG truncate "$C/f" 9000000000000000000
check "ftruncate past the maximum size (EFBIG)" \
	expect EFBIG ftruncate "$C/f" 9000000000000000000
# the write itself (not the close after it: the kernel would say EIO)
check "a write at 2^62 is refused by write() (EFBIG)" \
	expect EFBIG pwrite "$C/f" 4611686018427387904
check "the refused write left size and content as they were" sh -c "
	[ \$(stat -c %s '$C/f') -eq 3 ] && [ \"\$(head -c 16 '$C/f')\" = hi ]"
check "truncate -s 8G of a record is refused by default (EFBIG)" sh -c "
	! truncate -s 8G '$C/f' 2>'$T/err' && grep -q 'too large' '$T/err' &&
	[ \$(stat -c %s '$C/f') -eq 3 ]"
check "a policy limit refuses a too-big truncate" sh -c "
	'$CTL' -a '$A' policy set max-record-size 1M >/dev/null &&
	i=0; while [ \$('$FSOP' truncate '$C/f' 2097152) != EFBIG ]; do
		i=\$((i + 1)); [ \$i -lt 50 ] || exit 1; sleep 0.1; done &&
	[ \$('$FSOP' truncate '$C/f' 4096) = OK ] &&
	grep -q 'past the limit.*max-record-size' '$T/daemon.log'"

# folder attributes
check "utimensat on a folder keeps the atime it was given" sh -c "
	touch -a -d '2001-02-03 04:05:06' '$C' &&
	[ \"\$(stat -c %X '$C')\" = \"\$(date -d '2001-02-03 04:05:06' +%s)\" ]"
check "a folder's link count is 2 + its sub-folders" sh -c "
	[ \$(stat -c %h '$C') -eq 4 ] && [ \$(stat -c %h '$C/sub1') -eq 2 ] &&
	[ \$(stat -c %h '$M/2024') -eq 9 ] &&
	[ \$(stat -c %h '$M/2024/contracts') -eq 3 ]"
check "rmdir lowers the link count" sh -c "
	rmdir '$C/sub2' && [ \$(stat -c %h '$C') -eq 3 ]"

# a save by rename takes the new content's times
check "a save by rename keeps the new content's mtime" sh -c "
	cd '$C' && printf one > r.txt && printf two > .r.txt.Ab12Cd &&
	touch -d '2019-01-01 00:00:00' .r.txt.Ab12Cd && mv .r.txt.Ab12Cd r.txt &&
	[ \"\$(stat -c %Y r.txt)\" = \"\$(date -d '2019-01-01 00:00:00' +%s)\" ]"
mkdir "$T/src"
printf 'v1\n' > "$T/src/doc.txt"
touch -d '2020-01-01' "$T/src/doc.txt"
check "rsync -a a second time adds no history" sh -c "
	rsync -a '$T/src/' '$C/' && printf 'v2\n' > '$T/src/doc.txt' &&
	touch -d '2021-01-01' '$T/src/doc.txt' && rsync -a '$T/src/' '$C/' &&
	n=\$('$CTL' log '$C/doc.txt' | wc -l) && rsync -a '$T/src/' '$C/' &&
	rsync -a '$T/src/' '$C/' && [ \$('$CTL' log '$C/doc.txt' | wc -l) -eq \$n ] &&
	[ \$n -eq 2 ] && cmp '$T/src/doc.txt' '$C/doc.txt'"

# O_DIRECT writes as on ext4 (dd oflag=direct, fsx -Z)
head -c 65536 /dev/urandom > "$T/rand"
check "dd oflag=direct writes" sh -c "
	dd if='$T/rand' of='$C/direct.bin' bs=4096 oflag=direct 2>&1 &&
	cmp '$T/rand' '$C/direct.bin'"
check "dd iflag=direct reads" sh -c "
	dd if='$C/direct.bin' of='$T/back' bs=4096 iflag=direct 2>&1 &&
	cmp '$T/rand' '$T/back'"
check "an O_DIRECT overwrite in place is saved" sh -c "
	dd if=/dev/zero of='$C/direct.bin' bs=4096 count=1 seek=2 conv=notrunc \
		oflag=direct 2>&1 && [ \$('$CTL' log '$C/direct.bin' | wc -l) -eq 2 ] &&
	[ \$(stat -c %s '$C/direct.bin') -eq 65536 ]"

umount_fs
finish
