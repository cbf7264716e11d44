"""Container health check: exit 0 when the URL answers 200 (standard library only).

Runs on both images (Python 3.10 and 3.11), which have no curl. `$VARS` in the URL are
expanded, so the check follows COMPLAINTBOT_PORT and friends; `--token-env NAME` adds
`?token=<value of NAME>` (Rasa's /status) without putting the secret in the image.
"""

from __future__ import annotations

import os
import sys
import urllib.parse
import urllib.request


def check(url: str, token_env: str | None = None, timeout: float = 8.0) -> bool:
    url = os.path.expandvars(url)
    if token_env:
        token = os.environ.get(token_env, "")
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode({"token": token})
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def main(argv: list[str]) -> int:
    if not argv or (len(argv) not in (1, 3)) or (len(argv) == 3 and argv[1] != "--token-env"):
        sys.stderr.write("usage: healthcheck.py URL [--token-env NAME]\n")
        return 2
    return 0 if check(argv[0], argv[2] if len(argv) == 3 else None) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
