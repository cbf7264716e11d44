"""Builds bot/practice/personas.yml from the corpus's persona blocks (tests/corpus/*.yml)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.practice.personas import PERSONAS_FILE, build_file  # noqa: E402

if __name__ == "__main__":
    count = build_file()
    sys.stdout.write(f"{PERSONAS_FILE}: {count} personas\n")
