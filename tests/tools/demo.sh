#!/bin/sh
# make demo: a fresh demo archive, mounted, and what to try with it.
# DEMO_DIR (default /var/lib/dossierfs-demo) holds the archive; DEMO_MNT
# (default /mnt/dossier) is the mount point. FOREGROUND=1 keeps the daemon
# in the foreground (Ctrl-C unmounts).
set -e
BUILD=$(cd "${1:-build}" && pwd)
DIR=${DEMO_DIR:-/var/lib/dossierfs-demo}
MNT=${DEMO_MNT:-/mnt/dossier}

if [ "$(id -u)" != 0 ]; then
	echo "make demo: run as root (the daemon serves every user with allow_other)" >&2
	exit 1
fi
if mountpoint -q "$MNT" 2>/dev/null; then
	fusermount3 -u "$MNT"
fi
rm -rf "$DIR"
mkdir -p "$(dirname "$DIR")" "$MNT"
"$BUILD/dossierctl" init "$DIR" --lang en --demo
if [ "${FOREGROUND:-0}" = 1 ]; then
	echo "serving $DIR at $MNT in the foreground; Ctrl-C unmounts"
	exec "$BUILD/dossierfs" "$DIR" "$MNT" -f
fi
"$BUILD/dossierfs" "$DIR" "$MNT"
n=$(find "$MNT" -type f | wc -l)
cat <<MSG

dossierfs demo: archive $DIR is mounted at $MNT ($n records).

Try:
  ls $MNT                                  # years
  ls $MNT/2024                             # the categories of a year
  ls $MNT/2024/contracts                   # one folder per client
  cat "$MNT/2024/contracts/北京某某科技有限公司/notes.txt"
  find $MNT -name '*.pdf' | head
  mkdir "$MNT/2024/sales/New Client" && echo hello > "$MNT/2024/sales/New Client/hello.txt"
  touch $MNT/2024/a.txt                    # refused: files live in client folders
  mkdir $MNT/24                            # refused: years have four digits
  $BUILD/dossierctl category list
  nautilus $MNT  (or any file manager)

Unmount with:  fusermount3 -u $MNT
MSG
