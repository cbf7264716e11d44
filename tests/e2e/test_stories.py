"""Rasa's own end-to-end check: every story in tests/e2e/stories.yml, NLU included."""

from __future__ import annotations

import subprocess

import pytest

from bot.model import ensure_model, rasa_environment
from bot.paths import PROJECT_ROOT

pytestmark = pytest.mark.stack


def test_end_to_end_stories_pass(tmp_path):
    model = ensure_model(PROJECT_ROOT)
    # Stories are replayed, not executed: no action server, in-memory tracker.
    (tmp_path / "endpoints.yml").write_text("{}\n", encoding="utf-8")
    result = subprocess.run(
        [
            str(PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"),
            "test",
            "core",
            "--model",
            str(model),
            "--stories",
            str(PROJECT_ROOT / "tests" / "e2e" / "stories.yml"),
            "--endpoints",
            str(tmp_path / "endpoints.yml"),
            "--fail-on-prediction-errors",
            "--out",
            str(tmp_path / "results"),
        ],
        cwd=PROJECT_ROOT,
        env=rasa_environment(PROJECT_ROOT),
        capture_output=True,
        text=True,
        timeout=900,
    )
    failed = tmp_path / "results" / "failed_test_stories.yml"
    details = failed.read_text("utf-8") if failed.exists() else result.stdout[-4000:]
    assert result.returncode == 0, details
