"""The lexicon scorer (bot.nlu.emotion) alone, measured on a held-out set (DESIGN §4).

heldout.jsonl was written by someone else and is labelled to the convention
(/work/shared/EMOTION.md); it is never trained on, and here only guards the lexicon, which
the learned model builds on, against regressions. (The old development set, emotion_dev.jsonl,
used the labels before the convention and was wholly contained in the training file: it was
removed; the learned model's numbers come from `make evaluate-emotion`.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.nlu.emotion import analyse

HELDOUT = Path(__file__).parent / "heldout.jsonl"

# Measured with the lexicon alone after issue 15's second round: exact 0.838, angry/furious
# read as calm 0.068, calm read as angry/furious 0.004. The guards allow some slack.
HELDOUT_ACCURACY = 0.838


@pytest.fixture(scope="module")
def heldout() -> list[tuple[str, str]]:
    rows = []
    for line in HELDOUT.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            rows.append((row["emotion"], analyse(row["text"]).level))
    return rows


def test_heldout_accuracy_does_not_regress(heldout: list[tuple[str, str]]) -> None:
    correct = sum(gold == predicted for gold, predicted in heldout)
    assert correct / len(heldout) >= HELDOUT_ACCURACY - 0.03


def test_heated_messages_are_rarely_read_as_calm(heldout: list[tuple[str, str]]) -> None:
    heated = [predicted for gold, predicted in heldout if gold in ("angry", "furious")]
    assert sum(p == "calm" for p in heated) / len(heated) <= 0.10


def test_calm_messages_are_rarely_read_as_angry(heldout: list[tuple[str, str]]) -> None:
    """Over-prediction raises ticket severity wrongly: at most 3 % of calm lines."""
    calm = [predicted for gold, predicted in heldout if gold == "calm"]
    assert sum(p in ("angry", "furious") for p in calm) / len(calm) <= 0.03
