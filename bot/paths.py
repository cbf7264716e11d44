"""Where the project lives on disk (no third-party imports: used by every process)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(os.environ.get("COMPLAINTBOT_ROOT", Path(__file__).resolve().parent.parent))
DEFAULT_VAR_DIR = PROJECT_ROOT / "var"
DEFAULT_SLA_POLICY = Path(__file__).resolve().parent / "tickets" / "sla_policy.yml"
DEFAULT_REMEDY_POLICY = Path(__file__).resolve().parent / "tickets" / "remedy_policy.yml"
