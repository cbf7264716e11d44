#!/usr/bin/env bash
# Makes sure Debian's Chromium is there for the browser tests (tests/browser/), with a
# Chinese font (the zh-CN console and its screenshots would show empty boxes without one).
# Playwright drives this system browser; `playwright install` is never used.
# Idempotent: does nothing when /usr/bin/chromium and a Chinese font exist.
set -euo pipefail

say() { printf '\033[1m[browser]\033[0m %s\n' "$*"; }

CHROMIUM=${COMPLAINTBOT_CHROMIUM:-/usr/bin/chromium}
packages=()
if [ -x "$CHROMIUM" ]; then
  say "$("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM") is installed"
else
  packages+=(chromium chromium-driver)
fi
if command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh 2>/dev/null)" ]; then
  say "a Chinese font is installed"
else
  packages+=(fonts-wqy-microhei)
fi
[ "${#packages[@]}" -eq 0 ] && exit 0

install=(apt-get install -y --no-install-recommends "${packages[@]}")
if [ "$(id -u)" -ne 0 ]; then
  say "${packages[*]} missing; the browser tests need them. As root, run:"
  say "  apt-get update && ${install[*]}"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  say "${packages[*]} missing and this system has no apt-get: install Chromium (so that $CHROMIUM exists) and a Chinese font"
  exit 1
fi
say "installing ${packages[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
"${install[@]}"
say "$("$CHROMIUM" --version) and fonts ready"
