#!/usr/bin/env bash
# Makes sure the system libraries and fonts WeasyPrint needs (and poppler, for the tests) are present (Debian/Ubuntu).
# As root it installs what is missing with apt; otherwise it stops and prints the exact command to run.
set -euo pipefail
# poppler-utils (pdftotext, pdftoppm) and zbar-tools (zbarimg): the tests read PDFs and QR codes back.
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation2 fonts-dejavu-core poppler-utils zbar-tools)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
((${#missing[@]} == 0)) && exit 0
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  echo "Installing system packages for PDF rendering: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
  exit 0
fi
echo "Missing system packages for PDF rendering: ${missing[*]}" >&2
echo "Run:  sudo apt-get install -y ${missing[*]}" >&2
exit 1
