#!/bin/sh
# Draw the demo's HTML report into docs/report.png, the picture README shows, with headless
# Chromium (Debian: apt-get install chromium). Run it from anywhere after changing the page.
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pipe -C examples/demo report --as-of 2026-11-20 --format html -o "$tmp/report.html"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$tmp/profile" \
  --screenshot="$PWD/docs/report.png" --window-size=1000,1400 "file://$tmp/report.html" 2>/dev/null
echo "docs/report.png"
