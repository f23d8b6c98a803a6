#!/usr/bin/env bash
# Install Debian's Chromium for the browser test of the lab extension (tests/test_labextension.py
# drives /usr/bin/chromium with Python playwright; `playwright install` is not used).
# Idempotent: does nothing when /usr/bin/chromium exists.
set -euo pipefail
if [[ -x /usr/bin/chromium ]]; then
  echo "install-chromium: /usr/bin/chromium present ($(/usr/bin/chromium --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi
sudo=""
if [[ "$(id -u)" != 0 ]]; then
  command -v sudo >/dev/null || { echo "install-chromium: run as root or install sudo" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q chromium
test -x /usr/bin/chromium
