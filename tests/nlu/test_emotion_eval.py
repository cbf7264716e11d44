"""The emotion scores of bot.nlu.emotion_eval: the three numbers issue 15 is measured by."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.nlu.emotion_eval import load_rows, report, score


def test_score_counts_exact_furious_recall_and_heated_read_as_calm() -> None:
    labels = ["calm", "upset", "angry", "angry", "furious", "furious", "furious", "calm"]
    predicted = ["calm", "calm", "calm", "angry", "furious", "angry", "furious", "upset"]
    result = score(labels, predicted)
    assert result.n == 8
    assert result.exact == pytest.approx(4 / 8)
    assert (result.furious, result.furious_recall) == (3, pytest.approx(2 / 3))
    assert (result.angry_or_furious, result.read_as_calm) == (5, pytest.approx(1 / 5))


def test_score_without_heated_labels_says_so() -> None:
    result = score(["calm", "upset"], ["calm", "calm"])
    assert result.furious_recall is None and result.read_as_calm is None
    assert "n/a" in result.line()
    with pytest.raises(ValueError):
        score(["calm"], [])


def test_report_splits_by_language_and_lists_the_misses(tmp_path: Path) -> None:
    rows = [
        {"text": "你好", "lang": "zh", "emotion": "calm"},
        {"text": "I'm suing you", "lang": "en", "emotion": "furious"},
        {"text": "no label", "lang": "en"},
    ]
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    loaded = load_rows(path)
    assert [r["text"] for r in loaded] == ["你好", "I'm suing you"]
    lines = report(loaded, ["calm", "angry"], errors=True)
    assert lines[0].startswith("  all n=   2 exact=0.500")
    assert any(line.startswith("  en ") and "furious_recall=0.000" in line for line in lines)
    assert any(line.startswith("  zh ") and "exact=1.000" in line for line in lines)
    assert lines[-1].split() == ["furious", "->", "angry", "I'm", "suing", "you"]
