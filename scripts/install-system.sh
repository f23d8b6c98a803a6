#!/usr/bin/env bash
# Install the Debian packages the tests drive as real components, when missing:
#   chromium      the browser test of the lab extension (tests/test_labextension.py drives
#                 /usr/bin/chromium with Python playwright; `playwright install` is not used)
#   redis-server  the Redis Streams event log of the webhook receiver (tests start their own)
# Idempotent: runs apt-get only for what is absent. Needs root or sudo when it installs.
set -euo pipefail
missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
command -v redis-server >/dev/null || missing+=(redis-server)
if [[ ${#missing[@]} == 0 ]]; then
  echo "install-system: chromium and redis-server present"
  exit 0
fi
sudo=""
if [[ "$(id -u)" != 0 ]]; then
  command -v sudo >/dev/null || { echo "install-system: run as root or install sudo to get ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
# chromium needs its recommends (fonts); redis-server does not
for pkg in "${missing[@]}"; do
  if [[ $pkg == chromium ]]; then $sudo apt-get install -y -q chromium
  else $sudo apt-get install -y -q --no-install-recommends "$pkg"; fi
done
test -x /usr/bin/chromium
command -v redis-server >/dev/null
