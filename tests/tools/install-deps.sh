#!/bin/sh
# Install the Debian packages dossierfs needs to build, test, demo and
# benchmark, if any is missing. Runs as root (apt-get); does nothing when
# everything is there.
PKGS="build-essential pkg-config libfuse3-dev fuse3 libsqlite3-dev \
libgit2-dev libssl-dev libsmartcols-dev libacl1-dev libutf8proc-dev \
libcmocka-dev zlib1g-dev \
sqlite3 git attr acl bindfs libglib2.0-bin poppler-utils vim \
util-linux procps bash-completion samba smbclient samba-vfs-modules \
tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng img2pdf imagemagick \
fonts-wqy-zenhei odt2txt docx2txt xlsx2csv catdoc unzip zip rsync python3"
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 || exit 1
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing >&2
