"""NLU evaluation for trainers: our pipeline and Rasa's default, on held-out data.

`make evaluate` serves each model with a temporary Rasa server, scores it with the shared
evaluation script (../shared/eval/nlu_eval.py, when present) and prints, for each data
set, accuracy and macro-F1 overall and per language, precision/recall/F1 per intent (with
F1 per language) and the most frequent confusions with the languages they happen in.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from bot.model import ensure_model, fingerprint, rasa_environment, timing_file
from bot.paths import PROJECT_ROOT
from bot.stack import Service, free_port

SHARED_EVAL = PROJECT_ROOT.parent / "shared" / "eval"
BASELINE_CONFIG = PROJECT_ROOT / "tests" / "nlu" / "baseline_config.yml"


def data_sets() -> list[Path]:
    # heldout_messy.jsonl: messy customers (fragments, fury, politeness, indirect remedies),
    # written apart from data/nlu and never trained on (issue 15).
    sets = [
        PROJECT_ROOT / "tests" / "nlu" / name for name in ("heldout.jsonl", "heldout_messy.jsonl")
    ]
    public = SHARED_EVAL / "nlu_public.jsonl"
    if public.exists():
        sets.append(public)
    return sets


def baseline_model(say: Callable[[str], None]) -> Path:
    """Rasa's default pipeline (no `pipeline:` in the config) trained on our data, cached."""
    target = PROJECT_ROOT / "models" / f"baseline-{fingerprint(PROJECT_ROOT)}.tar.gz"
    if target.exists():
        return target
    say("training the baseline (Rasa's default NLU pipeline) on the same data ...")
    command = [
        str(PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"), "train", "nlu",
        "--config", str(BASELINE_CONFIG), "--nlu", "data/nlu",
        "--out", str(target.parent), "--fixed-model-name", target.name.removesuffix(".tar.gz"),
    ]  # fmt: skip
    subprocess.run(command, cwd=PROJECT_ROOT, env=rasa_environment(PROJECT_ROOT), check=True)
    return target


def serve(model: Path, log_dir: Path) -> tuple[Service, str, str, float]:
    """A Rasa server for `model`: (service, URL, token, seconds until it answered)."""
    port, token = free_port(), "evaluation-token"
    # Parsing needs no action server and no tracker store: an empty endpoints file.
    endpoints = log_dir / "endpoints.yml"
    endpoints.write_text("{}\n", encoding="utf-8")
    service = Service(
        name=f"Rasa ({model.name})",
        command=[
            str(PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"),
            "run",
            "--enable-api",
            f"--auth-token={token}",
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
            "--model",
            str(model),
            "--endpoints",
            str(endpoints),
        ],
        env=rasa_environment(PROJECT_ROOT),
        health_url=f"http://127.0.0.1:{port}/status?token={token}",
        log_path=log_dir / f"{model.stem}.log",
        timeout=300,
    )
    started = time.monotonic()
    service.start(PROJECT_ROOT)
    service.wait_healthy()
    return service, f"http://127.0.0.1:{port}", token, time.monotonic() - started


def model_facts(model: Path, startup: float) -> list[str]:
    """Train time (recorded beside the model by `make train`), archive size, start-up."""
    timing = timing_file(model)
    trained = (
        f"{json.loads(timing.read_text('utf-8'))['seconds']:.0f} s"
        if timing.exists()
        else "not recorded (trained before timings were kept)"
    )
    return [
        f"  training: {trained}; model archive: {model.stat().st_size / 1e6:.1f} MB; "
        f"Rasa answered {startup:.1f} s after its start"
    ]


@dataclass(frozen=True)
class Prediction:
    gold: str
    predicted: str
    lang: str  # as labelled in the data set ("zh", "en"), "?" when missing
    confidence: float = 1.0  # of the predicted intent
    seconds: float = 0.0  # the parse request's round trip


def predict(rows: list[dict[str, Any]], url: str, token: str) -> list[Prediction]:
    """Each held-out row parsed by the served model."""
    predictions = []
    with httpx.Client(timeout=30) as client:
        for row in rows:
            started = time.perf_counter()
            parsed = client.post(
                f"{url}/model/parse", params={"token": token}, json={"text": row["text"]}
            ).json()
            seconds = time.perf_counter() - started
            intent = parsed.get("intent") or {}
            predictions.append(
                Prediction(
                    row["intent"],
                    intent.get("name") or "none",
                    row.get("lang") or "?",
                    float(intent.get("confidence") or 0.0),
                    seconds,
                )
            )
    return predictions


RELIABILITY_BINS = (0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0)


def reliability(predictions: list[Prediction]) -> list[tuple[float, float, int, float, float]]:
    """The calibration table: per confidence bin (low, high], how many predictions fell in
    it, their mean confidence and how many of them were right. Calibrated confidences have
    the two close; the FallbackClassifier's threshold and the dialogue's low-confidence rules
    rely on it. nlu_fallback predictions are binned by the confidence Rasa reports for them."""
    rows = []
    for low, high in zip(RELIABILITY_BINS, RELIABILITY_BINS[1:], strict=False):
        inside = [
            p for p in predictions if low < p.confidence <= high or (low == 0 == p.confidence)
        ]
        if inside:
            mean = sum(p.confidence for p in inside) / len(inside)
            right = sum(1 for p in inside if p.gold == p.predicted) / len(inside)
            rows.append((low, high, len(inside), mean, right))
    return rows


def format_reliability(predictions: list[Prediction]) -> list[str]:
    lines = ["  reliability (confidence of the predicted intent vs. how often it was right):",
             f"    {'confidence':>12s} {'n':>5s} {'mean conf':>10s} {'accuracy':>9s}"]  # fmt: skip
    for low, high, n, mean, right in reliability(predictions):
        lines.append(f"    {f'{low:.2f}-{high:.2f}':>12s} {n:5d} {mean:10.3f} {right:9.3f}")
    return lines


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def _intent_scores(predictions: list[Prediction]) -> dict[str, dict[str, float]]:
    scores = {}
    for label in sorted({p.gold for p in predictions}):
        tp = sum(1 for p in predictions if p.gold == label == p.predicted)
        fp = sum(1 for p in predictions if p.gold != label and p.predicted == label)
        fn = sum(1 for p in predictions if p.gold == label and p.predicted != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[label] = {"precision": precision, "recall": recall, "f1": f1, "n": tp + fn}
    return scores


def _summary(predictions: list[Prediction]) -> dict[str, Any]:
    per_intent = _intent_scores(predictions)
    correct = sum(1 for p in predictions if p.gold == p.predicted)
    return {
        "n": len(predictions),
        "accuracy": correct / len(predictions) if predictions else 0.0,
        "macro_f1": sum(s["f1"] for s in per_intent.values()) / len(per_intent)
        if per_intent
        else 0.0,
        "per_intent": per_intent,
    }


def breakdown(predictions: list[Prediction], most: int = 15) -> dict[str, Any]:
    """Accuracy, macro-F1 and per-intent scores overall and per language, and the most
    frequent confusions (gold intent taken for another) with their languages."""
    languages = sorted({p.lang for p in predictions})
    confusions = Counter((p.gold, p.predicted) for p in predictions if p.gold != p.predicted)
    by_language = {
        pair: Counter(p.lang for p in predictions if (p.gold, p.predicted) == pair)
        for pair, _count in confusions.most_common(most)
    }
    return {
        "overall": _summary(predictions),
        "by_language": {
            lang: _summary([p for p in predictions if p.lang == lang]) for lang in languages
        },
        "confusions": [
            (gold, predicted, count, dict(sorted(by_language[(gold, predicted)].items())))
            for (gold, predicted), count in confusions.most_common(most)
        ],
    }


def format_breakdown(detail: dict[str, Any]) -> list[str]:
    """The breakdown as the lines `make evaluate` prints."""
    overall, by_language = detail["overall"], detail["by_language"]
    languages = list(by_language)
    lines = [f"  {'':28s} {'acc':>6s} {'F1':>6s} {'n':>5s}"]
    for name, scores in [("all", overall), *by_language.items()]:
        lines.append(
            f"  {name:28s} {scores['accuracy']:6.3f} {scores['macro_f1']:6.3f} {scores['n']:5d}"
        )
    header = "".join(f" {'F1 ' + lang:>7s}" for lang in languages)
    lines += [
        "  per intent:",
        f"    {'intent':28s} {'P':>6s} {'R':>6s} {'F1':>6s}{header} {'n':>5s}",
    ]
    for intent, scores in overall["per_intent"].items():
        per_lang = ""
        for lang in languages:
            lang_scores = by_language[lang]["per_intent"].get(intent)
            per_lang += f" {lang_scores['f1']:7.3f}" if lang_scores else f" {'-':>7s}"
        lines.append(
            f"    {intent:28s} {scores['precision']:6.3f} {scores['recall']:6.3f} "
            f"{scores['f1']:6.3f}{per_lang} {scores['n']:5d}"
        )
    lines.append("  most frequent confusions (gold -> predicted: count, by language):")
    if not detail["confusions"]:
        lines.append("    none")
    for gold, predicted, count, langs in detail["confusions"]:
        split = ", ".join(f"{lang} {n}" for lang, n in langs.items())
        lines.append(f"    {gold} -> {predicted}: {count} ({split})")
    return lines


E2E_STORIES = PROJECT_ROOT / "tests" / "e2e" / "stories.yml"


@dataclass
class StoryResult:
    returncode: int
    total: int
    failed: int
    details: str


def e2e_stories(model: Path, workdir: Path, *, fail_on_errors: bool = True) -> StoryResult:
    """Replays tests/e2e/stories.yml with `rasa test core` (NLU included, no action server:
    the stories carry the actions' events) and counts the stories that went wrong."""
    (workdir / "endpoints.yml").write_text("{}\n", encoding="utf-8")
    command = [
        str(PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"), "test", "core", "--model", str(model),
        "--stories", str(E2E_STORIES), "--endpoints", str(workdir / "endpoints.yml"),
        "--out", str(workdir / "results"),
    ]  # fmt: skip
    if fail_on_errors:
        command.append("--fail-on-prediction-errors")
    result = subprocess.run(
        command, cwd=PROJECT_ROOT, env=rasa_environment(PROJECT_ROOT), capture_output=True,
        text=True, timeout=900, check=False,
    )  # fmt: skip
    total = len(yaml.safe_load(E2E_STORIES.read_text("utf-8")).get("stories") or [])
    failed_file = workdir / "results" / "failed_test_stories.yml"
    failed_text = failed_file.read_text("utf-8") if failed_file.exists() else ""
    failed = len((yaml.safe_load(failed_text) or {}).get("stories") or []) if failed_text else 0
    return StoryResult(
        returncode=result.returncode,
        total=total,
        failed=failed,
        details=failed_text or result.stdout[-4000:],
    )


def evaluate(include_baseline: bool | None = None, say: Callable[[str], None] = print) -> int:
    """Scores our model (and, with EVALUATE_BASELINE=1, Rasa's default pipeline, whose DIET
    takes 10+ minutes to train here) on the held-out sets; replays the end-to-end stories."""
    if include_baseline is None:
        include_baseline = os.environ.get("EVALUATE_BASELINE") == "1"
    models = [("complaintbot pipeline", ensure_model(PROJECT_ROOT, say))]
    if include_baseline:
        models.append(("Rasa default pipeline", baseline_model(say)))
    script = SHARED_EVAL / "nlu_eval.py"
    log_dir = Path(tempfile.mkdtemp(prefix="complaintbot-eval-"))
    summary: list[tuple[str, str, dict[str, Any]]] = []
    for label, model in models:
        say(f"serving {label}: {model.name}")
        service, url, token, startup = serve(model, log_dir)
        try:
            for line in model_facts(model, startup):
                print(line)
            for data in data_sets():
                rows = [json.loads(line) for line in data.read_text("utf-8").splitlines() if line]
                say(f"{label} on {data.name} ({len(rows)} lines)")
                if script.exists():
                    out = log_dir / f"{model.stem}-{data.stem}.json"
                    subprocess.run(
                        [sys.executable, str(script), str(data), "--rasa-url", url,
                         "--token", token, "--json", str(out), "--errors", "10"],
                        check=True,
                    )  # fmt: skip
                    summary.append((label, data.name, json.loads(out.read_text("utf-8"))))
                predictions = predict(rows, url, token)
                for line in format_breakdown(breakdown(predictions)):
                    print(line)
                for line in format_reliability(predictions):
                    print(line)
                latencies = [p.seconds * 1000 for p in predictions]
                print(
                    f"  parse latency (HTTP round trip): p50 {percentile(latencies, 0.5):.1f} ms, "
                    f"p95 {percentile(latencies, 0.95):.1f} ms"
                )
        finally:
            service.stop()
    if summary:
        print("\nsummary")
        print(
            f"  {'model':24s} {'data':22s} {'acc':>6s} {'F1':>6s} {'F1 zh':>6s} {'F1 en':>6s} {'emo':>6s} {'fur.R':>6s}"
        )
        for label, data_name, result in summary:
            langs = result.get("by_language", {})
            print(
                f"  {label:24s} {data_name:22s} {result['intent_accuracy']:6.3f} "
                f"{result['intent_macro_f1']:6.3f} {langs.get('zh', {}).get('macro_f1', 0):6.3f} "
                f"{langs.get('en', {}).get('macro_f1', 0):6.3f} {result['emotion_accuracy']:6.3f} "
                f"{result['furious_recall'] or 0:6.3f}"
            )
            for name, scores in result.get("entities", {}).items():
                print(
                    f"      {name:20s} P={scores['precision']} R={scores['recall']} n={scores['support']}"
                )
    say("replaying the end-to-end stories (tests/e2e/stories.yml) ...")
    stories = e2e_stories(models[0][1], log_dir, fail_on_errors=False)
    print(
        f"\nend-to-end stories: {stories.total - stories.failed}/{stories.total} passed"
        + (f"; failed stories:\n{stories.details}" if stories.failed else "")
    )
    shutil.rmtree(log_dir, ignore_errors=True)
    return 0
