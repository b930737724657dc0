#!/bin/sh
# make demo: a fresh demo archive with users of every role in two
# departments and records of every level and scope, mounted, with a tour.
# DEMO_DIR (default /var/lib/dossierfs-demo) holds the archive; DEMO_MNT
# (default /mnt/dossier) is the mount point. FOREGROUND=1 keeps the daemon
# in the foreground (Ctrl-C unmounts).
set -e
BUILD=$(cd "${1:-build}" && pwd)
DIR=${DEMO_DIR:-/var/lib/dossierfs-demo}
MNT=${DEMO_MNT:-/mnt/dossier}
CTL="$BUILD/dossierctl -a $DIR"

if [ "$(id -u)" != 0 ]; then
	echo "make demo: run as root (the daemon serves every user with allow_other)" >&2
	exit 1
fi
if mountpoint -q "$MNT" 2>/dev/null; then
	fusermount3 -u "$MNT"
fi
rm -rf "$DIR"
mkdir -p "$(dirname "$DIR")" "$MNT"
# Unix accounts of every role, in two departments (sales, service): the
# demo's people (dossierctl init --demo maps those that exist)
for u in chen_gm liu_deputy sun_director zhou_office wang_manager \
	zhao_manager zhang_sales li_sales he_service wu_archivist \
	zheng_auditor qian_staff; do
	id "$u" >/dev/null 2>&1 || useradd -m -s /bin/bash "$u"
done
"$BUILD/dossierctl" init "$DIR" --lang en --demo

if [ "${FOREGROUND:-0}" = 1 ]; then
	echo "serving $DIR at $MNT in the foreground; Ctrl-C unmounts"
	exec "$BUILD/dossierfs" "$DIR" "$MNT" -f
fi
"$BUILD/dossierfs" "$DIR" "$MNT"

# owners, departments, levels and scopes, set as an archivist would
classify() {	# FILE LEVEL SCOPE OWNER DEPT
	setfattr -n user.dossier.owner -v "$4" "$1"
	setfattr -n user.dossier.dept -v "$5" "$1"
	setfattr -n user.dossier.scope -v "$3" "$1"
	setfattr -n user.dossier.level -v "$2" "$1"
}
i=0
for f in "$MNT"/*/*/*/*; do
	[ -f "$f" ] || continue
	case $((i % 12)) in
	0|1|2) classify "$f" internal department zhang_sales sales ;;
	3) classify "$f" internal company zhang_sales sales ;;
	4) classify "$f" internal personal li_sales sales ;;
	5|6) classify "$f" internal department he_service service ;;
	7) classify "$f" confidential department zhang_sales sales ;;
	8) classify "$f" confidential company he_service service ;;
	9) classify "$f" secret department zhang_sales sales ;;
	10) classify "$f" topsecret company wang_manager sales ;;
	11) classify "$f" internal personal he_service service ;;
	esac
	i=$((i + 1))
done
C="$MNT/2024/contracts/北京某某科技有限公司"
# A scanned contract in two versions, made here from text (ImageMagick with
# the WenQuanYi font, wrapped by img2pdf: image-only PDFs, as a scanner
# gives them); the daemon recognises their text in the background.
SCANS=$(mktemp -d)
cat > "$SCANS/p1.txt" <<'TEXT'
采购合同  Purchase Contract  HT-2024-017
甲方：北京某某科技有限公司
乙方：ACME Ltd
合同金额为人民币一百二十万元整。
Payment is due within thirty days of delivery.
TEXT
cat > "$SCANS/p2.txt" <<'TEXT'
保修期为十二个月，运费由甲方承担。
Warranty: twelve months from acceptance.
TEXT
sed 's/一百二十万/九十五万/; s/thirty days/sixty days/' "$SCANS/p1.txt" > "$SCANS/q1.txt"
if "$(dirname "$0")/mkscan.sh" "$SCANS/v1.pdf" "$SCANS/p1.txt" "$SCANS/p2.txt" &&
	"$(dirname "$0")/mkscan.sh" "$SCANS/v2.pdf" "$SCANS/q1.txt" "$SCANS/p2.txt"; then
	cp "$SCANS/v1.pdf" "$C/采购合同-扫描件.pdf"
	classify "$C/采购合同-扫描件.pdf" internal department zhang_sales sales
	$CTL sync >/dev/null
	cp "$SCANS/v2.pdf" "$C/采购合同-扫描件.pdf"
else
	echo "make demo: no scanned records (ImageMagick, img2pdf or fonts-wqy-zenhei missing)" >&2
fi
rm -rf "$SCANS"
n=$(find "$MNT" -type f | wc -l)
cat <<MSG

dossierfs demo: archive $DIR is mounted at $MNT ($n records).
Users (Unix accounts): chen_gm (gm), liu_deputy (deputy_gm),
sun_director (marketing director), zhou_office (office_director),
wang_manager / zhao_manager (managers of sales / service),
zhang_sales, li_sales (sales), he_service (service), wu_archivist,
zheng_auditor, qian_staff.

A short tour:
  ls $MNT/2024/contracts                         # one folder per client
  runuser -u zhang_sales -- ls -l "$C"                 # what a salesperson sees
  runuser -u qian_staff -- ls -l "$C"                  # staff: names only, no rights
  runuser -u chen_gm -- cat "$C/notes.txt"
  getfattr -d -m - "$C/合同.pdf"                 # level, scope, owner, dept
  getfacl "$C/合同.pdf"                          # who may read it, per the rules
  $BUILD/dossierctl explain "$C/合同.pdf" --user zhang_sales
  runuser -u chen_gm -- $BUILD/dossierctl grant "$C/合同.pdf" --user zhang_sales --read --for 15m --reason "client call"
  echo "new line" >> "$C/notes.txt"; $BUILD/dossierctl log "$C/notes.txt"
  ls $MNT/.history/2024/contracts/北京某某科技有限公司/notes.txt/
  $BUILD/dossierctl diff "$C/notes.txt"
  $BUILD/dossierctl ocr status                   # scans are recognised in the background
  runuser -u chen_gm -- $BUILD/dossierctl search 合同金额  # finds the scan
  runuser -u qian_staff -- $BUILD/dossierctl search 合同金额   # staff may not read it: nothing
  $BUILD/dossierctl show --text "$C/采购合同-扫描件.pdf"
  $BUILD/dossierctl diff "$C/采购合同-扫描件.pdf"   # the recognised text, diffed
  touch $MNT/2024/a.txt                          # refused: files live in client folders
  nautilus $MNT  (or any file manager)

Unmount with:  fusermount3 -u $MNT
MSG
