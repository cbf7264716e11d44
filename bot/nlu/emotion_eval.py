"""Emotion scores on held-out sets labelled to the convention (/work/shared/EMOTION.md).

The three numbers the project is measured by, overall and per language: exact accuracy over
the four levels, recall of `furious` (it triggers the offer of a person) and the share of
`angry`/`furious` messages read as `calm` (the worst error). Run from the Rasa venv:

    .venv-rasa/bin/python -m bot.nlu.emotion_eval [--train FILE] [--errors SET] [SET.jsonl ...]

It trains the EmotionModel on the training file (a few seconds) and scores every set; with no
set named, the project's held-out sets and the shared public sample. `--lexicon` scores the
lexicon alone (bot.nlu.emotion.analyse).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TRAIN = PROJECT_ROOT / "bot" / "nlu" / "emotion_data" / "train.jsonl"
# Emotion sets emotion_heldout.jsonl, emotion_heldout2.jsonl … emotion_heldoutN.jsonl.
EMOTION_SETS = 35
SET_NUMBERS = tuple(range(2, EMOTION_SETS + 1))
HELDOUT = tuple(
    PROJECT_ROOT / "tests" / "nlu" / name
    for name in (
        "emotion_heldout.jsonl",
        *(f"emotion_heldout{n}.jsonl" for n in SET_NUMBERS),
        "heldout.jsonl",
        "heldout_messy.jsonl",
    )
)
PUBLIC = Path("/work/shared/eval/nlu_public.jsonl")


@dataclass(frozen=True)
class Scores:
    n: int
    exact: float
    furious: int
    furious_recall: float | None
    angry_or_furious: int
    read_as_calm: float | None

    def line(self) -> str:
        def share(value: float | None) -> str:
            return "  n/a" if value is None else f"{value:.3f}"

        return (
            f"n={self.n:4d} exact={self.exact:.3f} "
            f"furious_recall={share(self.furious_recall)} ({self.furious}) "
            f"af->calm={share(self.read_as_calm)} ({self.angry_or_furious})"
        )


def score(labels: Sequence[str], predictions: Sequence[str]) -> Scores:
    """Exact accuracy, furious recall and angry-or-furious-read-as-calm rate."""
    if len(labels) != len(predictions):
        raise ValueError("labels and predictions differ in length")
    pairs = list(zip(labels, predictions, strict=True))
    furious = [p for label, p in pairs if label == "furious"]
    heated = [p for label, p in pairs if label in ("angry", "furious")]
    return Scores(
        n=len(pairs),
        exact=sum(label == p for label, p in pairs) / len(pairs) if pairs else 0.0,
        furious=len(furious),
        furious_recall=sum(p == "furious" for p in furious) / len(furious) if furious else None,
        angry_or_furious=len(heated),
        read_as_calm=sum(p == "calm" for p in heated) / len(heated) if heated else None,
    )


def load_rows(path: str | Path) -> list[dict]:
    """The rows of a JSON Lines set that carry a text and an emotion label."""
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if row.get("text") and row.get("emotion"):
                rows.append(row)
    return rows


def report(rows: list[dict], predictions: Sequence[str], *, errors: bool = False) -> list[str]:
    """Overall and per-language score lines, then (with errors) each disagreement."""
    labels = [row["emotion"] for row in rows]
    lines = [f"  all {score(labels, predictions).line()}"]
    for lang in sorted({row.get("lang", "?") for row in rows}):
        picked = [i for i, row in enumerate(rows) if row.get("lang", "?") == lang]
        part = score([labels[i] for i in picked], [predictions[i] for i in picked])
        lines.append(f"  {lang:3s} {part.line()}")
    if errors:
        for row, predicted in zip(rows, predictions, strict=True):
            if predicted != row["emotion"]:
                lines.append(f"    {row['emotion']:8s} -> {predicted:8s} {row['text']}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path)
    parser.add_argument("--train", type=Path, default=TRAIN)
    parser.add_argument("--lexicon", action="store_true", help="score the lexicon alone")
    parser.add_argument("--errors", action="append", default=[], metavar="NAME",
                        help="list the disagreements of the set whose file name contains NAME")  # fmt: skip
    args = parser.parse_args(argv)
    sets = args.sets or [*HELDOUT, *([PUBLIC] if PUBLIC.exists() else [])]
    if args.lexicon:
        from bot.nlu.emotion import analyse

        def predict(texts: list[str]) -> list[str]:
            return [analyse(text).level for text in texts]
    else:
        from bot.nlu.emotion_model import train

        model = train(args.train)

        def predict(texts: list[str]) -> list[str]:
            return [emotion.level for emotion in model.analyse_many(texts)]

    for path in sets:
        rows = load_rows(path)
        sys.stdout.write(f"{path.name}\n")
        show = any(name in path.name for name in args.errors)
        for line in report(rows, predict([row["text"] for row in rows]), errors=show):
            sys.stdout.write(f"{line}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
