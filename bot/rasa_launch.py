"""`rasa ...` with the API token taken from COMPLAINTBOT_RASA_TOKEN, not the command line.

A command line is readable by every local user (`ps`, /proc/PID/cmdline), so the token
`rasa run --auth-token=...` would carry there is passed in the environment instead (which
only the process's owner can read) and added to Rasa's arguments inside the process:

    COMPLAINTBOT_RASA_TOKEN=... python -m bot.rasa_launch run --enable-api ...

Runs in Rasa's own Python 3.10 environment: standard library only (as bot/__init__.py).
"""

from __future__ import annotations

import os
import sys

TOKEN_ENV = "COMPLAINTBOT_RASA_TOKEN"


def rasa_arguments(arguments: list[str], token: str) -> list[str]:
    """Rasa's argv: `arguments` with the token added (an `=` form: a generated token may
    start with "-")."""
    return ["rasa", *arguments, f"--auth-token={token}"]


def main() -> int:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        sys.stderr.write(f"{TOKEN_ENV} must be set (the gateway sends it)\n")
        return 2
    if any(argument.startswith("--auth-token") for argument in sys.argv[1:]):
        sys.stderr.write(f"give the token in {TOKEN_ENV}, not on the command line\n")
        return 2
    sys.argv = rasa_arguments(sys.argv[1:], token)
    from rasa.__main__ import main as rasa_main

    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
