#!/bin/sh
# mkscan.sh OUT PAGE.txt [PAGE.txt...]: a scan made from text, as a
# scanner would hand it over: each text file becomes a 300 dpi grey page
# image (ImageMagick, WenQuanYi Zen Hei for Chinese and Latin alike);
# OUT.pdf wraps them with img2pdf (an image-only PDF, no text layer),
# OUT.png/.jpg/.tif is the first page as an image.
# Environment: SCAN_WIDTH (pixels, default 1600), SCAN_POINTS (default 12).
set -eu
out=$1
shift
font=/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
[ -r "$font" ] || { echo "mkscan: no $font (fonts-wqy-zenhei)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
width=${SCAN_WIDTH:-1600}
points=${SCAN_POINTS:-12}
n=0
for page in "$@"; do
	n=$((n + 1))
	lines=$(wc -l < "$page")
	# 300 dpi: a 10-point line is ~42 pixels high; leave 1.6 lines each
	height=$(( (lines + 2) * points * 300 * 16 / 720 ))
	# ImageMagick would read '%' as an escape and '@' as a file
	text=$(sed 's/%/%%/g; s/^@/ @/' "$page")
	convert -size "${width}x${height}" xc:white -units PixelsPerInch \
		-density 300 -font "$font" -pointsize "$points" -fill black \
		-annotate +60+"$((points * 300 * 16 / 720))" "$text" \
		-depth 8 -type Grayscale "$tmp/p$(printf %04d $n).png"
done
case $out in
*.pdf) img2pdf "$tmp"/p*.png -o "$out" ;;
*.png) cp "$tmp/p0001.png" "$out" ;;
*) convert "$tmp/p0001.png" "$out" ;;
esac
