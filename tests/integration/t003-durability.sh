#!/bin/sh
# Large files, concurrent writers, clean shutdown, remount, damaged catalog.
. "$(dirname "$0")/lib.sh"

new_archive
mount_fs
C="$M/2024/contracts/ACME Ltd"
mkdir -p "$C" "$M/2024/sales/Globex"

head -c 104857600 /dev/urandom > "$T/big.bin"
SUM=$(sha256sum < "$T/big.bin")
check "100 MiB file written through the mount" cp "$T/big.bin" "$C/scan.pdf"
check "100 MiB file reads back with the same checksum" sh -c "
	[ \"\$(sha256sum < '$C/scan.pdf')\" = '$SUM' ]"
check "size reported is exact" sh -c "[ \$(stat -c %s '$C/scan.pdf') -eq 104857600 ]"

# two writers to different files at once
writer() {
	i=0
	while [ $i -lt 200 ]; do
		printf '%s line %04d\n' "$2" $i
		i=$((i + 1))
	done > "$1"
}
( writer "$C/w1.txt" one & writer "$M/2024/sales/Globex/w2.txt" two & wait )
check "first writer's file is whole" sh -c "
	[ \$(grep -c '^one line' '$C/w1.txt') -eq 200 ] && ! grep -q two '$C/w1.txt'"
check "second writer's file is whole" sh -c "
	[ \$(grep -c '^two line' '$M/2024/sales/Globex/w2.txt') -eq 200 ]"
check "parallel dd writers" sh -c "
	dd if=/dev/zero of='$C/d1' bs=1M count=20 status=none &
	dd if=/dev/zero of='$C/d2' bs=1M count=20 status=none & wait;
	[ \$(stat -c %s '$C/d1') -eq 20971520 ] && [ \$(stat -c %s '$C/d2') -eq 20971520 ]"

find "$M" | sort > "$T/before.list"
check "unmount is clean (daemon exits 0)" umount_fs
check "remount" mount_fs
check "tree intact after remount" sh -c "find '$M' | sort | diff '$T/before.list' -"
check "content intact after remount" sh -c "[ \"\$(sha256sum < '$C/scan.pdf')\" = '$SUM' ]"

check "SIGTERM unmounts cleanly" sh -c "
	kill -TERM $DAEMON_PID; i=0; while mountpoint -q '$M'; do i=\$((i+1)); [ \$i -gt 50 ] && exit 1; sleep 0.1; done"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
check "remount after SIGTERM" mount_fs
check "content intact after SIGTERM" sh -c "[ \"\$(sha256sum < '$C/scan.pdf')\" = '$SUM' ]"
umount_fs

cp "$A/catalog.db" "$T/catalog.good"
printf 'garbage garbage garbage' | dd of="$A/catalog.db" bs=1 seek=0 conv=notrunc status=none
rm -f "$A/catalog.db-wal" "$A/catalog.db-shm"
check "a damaged catalog is refused with a message" sh -c "
	! '$BUILD/dossierfs' '$A' '$M' -f 2>'$T/err' && grep -q 'catalog' '$T/err' && ! mountpoint -q '$M'"
mv "$A/catalog.db" "$T/catalog.bad"
check "a missing catalog is refused with a message" sh -c "
	! '$BUILD/dossierfs' '$A' '$M' -f 2>'$T/err' && grep -q 'missing' '$T/err'"
cp "$T/catalog.good" "$A/catalog.db"
check "the restored catalog mounts with everything intact" sh -c "
	'$BUILD/dossierfs' '$A' '$M' && [ \"\$(sha256sum < '$C/scan.pdf')\" = '$SUM' ] && fusermount3 -u '$M'"

finish
