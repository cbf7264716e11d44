"""Rasa's own end-to-end check: every story in tests/e2e/stories.yml, NLU included."""

from __future__ import annotations

import pytest

from bot.evaluation import e2e_stories
from bot.model import ensure_model
from bot.paths import PROJECT_ROOT

pytestmark = pytest.mark.stack


def test_end_to_end_stories_pass(tmp_path):
    # Stories are replayed, not executed: no action server, in-memory tracker.
    result = e2e_stories(ensure_model(PROJECT_ROOT), tmp_path, fail_on_errors=True)
    assert result.total >= 30
    assert result.returncode == 0 and result.failed == 0, result.details
