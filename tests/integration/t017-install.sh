#!/bin/sh
# make install into a temporary PREFIX (and SBINDIR): daemon, dossierctl,
# both mount helpers, man pages, bash completion, systemd units (which
# systemd-analyze verify accepts), examples; mount -t dossierfs and
# mount -t fuse.dossierfs of a demo archive work through the installed
# helper; a daemon that cannot serve says why on stderr and mount(8)
# exits non-zero; make uninstall removes it all.
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
P=$T/usr
S=$T/sbin
LINKS=
cleanup_install() {
	if timeout -s KILL 5 mountpoint -q "$M" 2>/dev/null; then
		umount "$M" 2>/dev/null || umount -l "$M" 2>/dev/null
	fi
	for l in $LINKS; do rm -f "$l"; done
	cleanup
}
trap cleanup_install EXIT INT TERM
VARS="BUILD=$BUILD PREFIX=$P SBINDIR=$S"

make -s -C "$ROOT" $VARS install > "$T/install.log" 2>&1
check "make install into a temporary prefix" test $? -eq 0
for f in "$P/bin/dossierfs" "$P/bin/dossierctl" "$S/mount.dossierfs" \
	"$S/mount.fuse.dossierfs" "$P/share/man/man1/dossierctl.1" \
	"$P/share/man/man1/dossierfs.1" "$P/share/man/man8/mount.dossierfs.8" \
	"$P/share/bash-completion/completions/dossierctl" \
	"$P/lib/systemd/system/dossier-backup.timer" \
	"$P/share/doc/dossierfs/smb.conf.example" \
	"$P/share/doc/dossierfs/fstab.example"; do
	check "installed: ${f#$T/}" test -e "$f"
done
check "the fstab example has no _netdev" sh -c "! grep -v '^#' '$P/share/doc/dossierfs/fstab.example' | grep -q _netdev"
check "units name the installed programs" grep -q "$P/bin/dossierctl" \
	"$P/lib/systemd/system/dossier-verify.service"
for u in "$P"/lib/systemd/system/*; do
	check "systemd-analyze verify $(basename "$u")" sh -c "
		systemd-analyze verify --man=no '$u' 2>&1 | tee '$T/sa.out'
		test ! -s '$T/sa.out'"
done
check "the backup timer runs on the 1st of the month" grep -q 'OnCalendar=\*-\*-01 ' \
	"$P/lib/systemd/system/dossier-backup.timer"
check "man dossierctl works" sh -c "
	MANPATH='$P/share/man' man -P cat dossierctl 2>/dev/null | grep -q 'restore-backup'"
check "bash completion offers commands and options" bash -c "
	. /usr/share/bash-completion/bash_completion
	. '$P/share/bash-completion/completions/dossierctl'
	PATH='$P/bin':\$PATH
	COMP_WORDS=(dossierctl ba); COMP_CWORD=1; COMP_LINE='dossierctl ba'; COMP_POINT=13
	_dossierctl; [ \"\${COMPREPLY[*]}\" = backup ] || exit 1
	COMP_WORDS=(dossierctl user list --j); COMP_CWORD=3; COMP_LINE='dossierctl user list --j'; COMP_POINT=24
	_dossierctl; [ \"\${COMPREPLY[*]}\" = --json ]"

# mount(8) looks for helpers in /sbin only
helpers_ok=1
for h in mount.dossierfs mount.fuse.dossierfs; do
	if [ -e "/sbin/$h" ]; then
		[ "$(readlink -f "/sbin/$h")" = "$(readlink -f "$S/$h")" ] || helpers_ok=0
	elif ln -s "$S/$h" "/sbin/$h"; then
		LINKS="$LINKS /sbin/$h"
	else
		helpers_ok=0
	fi
done
"$P/bin/dossierctl" init "$A" --demo >/dev/null
if [ $helpers_ok = 1 ]; then
	check "mount -t dossierfs of a demo archive" sh -c "
		mount -t dossierfs '$A' '$M' && ls '$M/2024' | grep -q contracts"
	umount "$M" 2>/dev/null
	i=0; while pgrep -f "dossierfs $A " >/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	check "mount -t fuse.dossierfs of a demo archive" sh -c "
		mount -t fuse.dossierfs '$A' '$M' -o x-gvfs-notrash && ls '$M/2024' | grep -q contracts"
	umount "$M" 2>/dev/null
	i=0; while pgrep -f "dossierfs $A " >/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	cp -a "$A" "$T/broken"
	rm -rf "$T/broken/history.git" && echo x > "$T/broken/history.git"
	mount -t dossierfs "$T/broken" "$M" 2> "$T/mount.err"
	rc=$?
	check "a daemon that cannot serve makes mount(8) fail (got $rc)" test $rc -ne 0
	check "... and says why on stderr" grep -q 'history repository .* is missing' "$T/mount.err"
	check "... and leaves nothing mounted" sh -c "! mountpoint -q '$M'"
else
	echo "# skip mount -t checks: /sbin has another installation's helpers"
fi

make -s -C "$ROOT" $VARS uninstall > "$T/uninstall.log" 2>&1
check "make uninstall" test $? -eq 0
check "nothing of ours is left in the prefix" sh -c "
	! find '$P' '$S' -type f -o -type l | grep -q ."
finish
