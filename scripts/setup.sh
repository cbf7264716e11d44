#!/usr/bin/env bash
# Creates the two virtual environments from the pinned requirement files.
#   .venv-rasa  Python 3.10 + requirements/rasa.txt (Rasa 3.6 does not run on 3.11)
#   .venv       Python 3.11+ + requirements/app.txt (gateway, actions, tests)
# Idempotent: an environment whose lock file has not changed is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

version_ok() {  # version_ok PYTHON MAJOR.MINOR exact|min
  "$1" -c "import sys; want=tuple(map(int,'$2'.split('.'))); v=sys.version_info[:2]; sys.exit(0 if (v==want if '$3'=='exact' else v>=want) else 1)" 2>/dev/null
}

find_python310() {
  local c
  for c in "${COMPLAINTBOT_PYTHON310:-}" python3.10; do
    [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 && version_ok "$(command -v "$c")" 3.10 exact && { command -v "$c"; return; }
  done
  if command -v pyenv >/dev/null 2>&1; then
    for c in "$(pyenv root)"/versions/3.10*/bin/python3.10; do
      [ -x "$c" ] && version_ok "$c" 3.10 exact && { echo "$c"; return; }
    done
  fi
  for c in "$HOME"/.pyenv/versions/3.10*/bin/python3.10; do
    [ -x "$c" ] && version_ok "$c" 3.10 exact && { echo "$c"; return; }
  done
  if command -v uv >/dev/null 2>&1; then
    c=$(uv python find 3.10 2>/dev/null || true)
    [ -n "$c" ] && version_ok "$c" 3.10 exact && { echo "$c"; return; }
  fi
  return 1
}

find_python_app() {
  local c
  for c in "${COMPLAINTBOT_PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 && version_ok "$(command -v "$c")" 3.11 min && { command -v "$c"; return; }
  done
  return 1
}

lock_hash() { sha256sum "$1" | cut -c1-16; }

# make_venv DIR PYTHON LOCKFILE EXTRA_CMD
make_venv() {
  local dir=$1 py=$2 lock=$3 stamp="$1/.complaintbot-lock"
  local want; want=$(lock_hash "$lock")
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$dir/bin/python" ]; then
    say "$dir is up to date ($lock unchanged)"
    return 1
  fi
  say "creating $dir with $("$py" --version 2>&1) from $lock (first time: a few minutes)"
  [ -x "$dir/bin/python" ] || "$py" -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "pip==24.0"
  "$dir/bin/python" -m pip install --disable-pip-version-check --progress-bar off -q -r "$lock"
  echo "$want" > "$stamp"
  return 0
}

PY310=$(find_python310) || {
  cat >&2 <<'MSG'
[setup] Python 3.10 was not found (Rasa 3.6 needs exactly 3.10).
        Install it with one of:
          uv python install 3.10          (https://docs.astral.sh/uv/)
          pyenv install 3.10.13
          sudo apt-get install python3.10 python3.10-venv   (where your distribution has it)
        or point COMPLAINTBOT_PYTHON310 at a python3.10 binary, then run `make setup` again.
MSG
  exit 1
}
PYAPP=$(find_python_app) || {
  echo "[setup] Python 3.11 or newer was not found: install python3.11 (or set COMPLAINTBOT_PYTHON)." >&2
  exit 1
}

make_venv .venv-rasa "$PY310" requirements/rasa.txt || true
if make_venv .venv "$PYAPP" requirements/app.txt || [ ! -x .venv/bin/complaintbot ] \
   || [ pyproject.toml -nt .venv/.complaintbot-lock ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
  touch .venv/.complaintbot-lock
fi
say "ready: .venv-rasa ($(.venv-rasa/bin/python --version)), .venv ($(.venv/bin/python --version))"
