#!/usr/bin/env bash
# Installs the system packages qms needs when they are missing:
#   - pango (libpango-1.0-0, libpangoft2-1.0-0): WeasyPrint's text layout
#   - fonts covering Cyrillic (fonts-dejavu-core, fonts-liberation2): the packs print Russian
#   - fontconfig: so WeasyPrint finds those fonts
#   - python3-venv: the distribution's Python makes the virtual environment (see Makefile)
# Extra packages can be asked for as arguments (the browser tests ask for chromium).
# Runs apt-get only as root and only when something is missing.
set -euo pipefail

missing=()
ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' || missing+=(libpango-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so' || missing+=(libpangoft2-1.0-0)
command -v fc-list >/dev/null 2>&1 || missing+=(fontconfig)
if ! { command -v fc-list >/dev/null 2>&1 && fc-list :lang=ru family | grep -qi dejavu; }; then
  missing+=(fonts-dejavu-core)
fi
if /usr/bin/python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null &&
  ! /usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null; then
  missing+=(python3-venv)
fi
for pkg in "$@"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "qms needs these system packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
