#!/usr/bin/env bash
# Makes sure Debian's Chromium is there for the browser tests (tests/browser/). Playwright
# drives this system browser; `playwright install` is never used.
# Idempotent: does nothing when /usr/bin/chromium exists.
set -euo pipefail

say() { printf '\033[1m[browser]\033[0m %s\n' "$*"; }

CHROMIUM=${COMPLAINTBOT_CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then
  say "$("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM") is installed"
  exit 0
fi

install=(apt-get install -y --no-install-recommends chromium chromium-driver)
if [ "$(id -u)" -ne 0 ]; then
  say "Chromium is missing; the browser tests need it. As root, run:"
  say "  apt-get update && ${install[*]}"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  say "Chromium is missing and this system has no apt-get: install Chromium so that $CHROMIUM exists"
  exit 1
fi
say "installing Chromium with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
"${install[@]}"
say "$("$CHROMIUM" --version) installed"
