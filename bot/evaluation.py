"""NLU evaluation for trainers: our pipeline and Rasa's default, on held-out data.

`make evaluate` serves each model with a temporary Rasa server, scores it with the shared
evaluation script (../shared/eval/nlu_eval.py, when present) and prints per-intent F1 and
the most frequent confusions for each data set.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bot.model import ensure_model, fingerprint, rasa_environment
from bot.paths import PROJECT_ROOT
from bot.stack import Service, free_port

SHARED_EVAL = PROJECT_ROOT.parent / "shared" / "eval"
BASELINE_CONFIG = PROJECT_ROOT / "tests" / "nlu" / "baseline_config.yml"


def data_sets() -> list[Path]:
    sets = [PROJECT_ROOT / "tests" / "nlu" / "heldout.jsonl"]
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


def serve(model: Path, log_dir: Path) -> tuple[Service, str, str]:
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
    service.start(PROJECT_ROOT)
    service.wait_healthy()
    return service, f"http://127.0.0.1:{port}", token


def breakdown(rows: list[dict[str, Any]], url: str, token: str) -> dict[str, Any]:
    """Per-intent precision/recall/F1 and the most frequent confusions."""
    pairs: list[tuple[str, str]] = []
    with httpx.Client(timeout=30) as client:
        for row in rows:
            parsed = client.post(
                f"{url}/model/parse", params={"token": token}, json={"text": row["text"]}
            ).json()
            pairs.append((row["intent"], (parsed.get("intent") or {}).get("name") or "none"))
    per_intent = {}
    for label in sorted({gold for gold, _ in pairs}):
        tp = sum(1 for g, p in pairs if g == label == p)
        fp = sum(1 for g, p in pairs if g != label and p == label)
        fn = sum(1 for g, p in pairs if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent[label] = {"precision": precision, "recall": recall, "f1": f1, "n": tp + fn}
    confusions = Counter((g, p) for g, p in pairs if g != p).most_common(10)
    return {"per_intent": per_intent, "confusions": confusions}


def evaluate(include_baseline: bool = True, say: Callable[[str], None] = print) -> int:
    models = [("complaintbot pipeline", ensure_model(PROJECT_ROOT, say))]
    if include_baseline:
        models.append(("Rasa default pipeline", baseline_model(say)))
    script = SHARED_EVAL / "nlu_eval.py"
    log_dir = Path(tempfile.mkdtemp(prefix="complaintbot-eval-"))
    summary: list[tuple[str, str, dict[str, Any]]] = []
    for label, model in models:
        say(f"serving {label}: {model.name}")
        service, url, token = serve(model, log_dir)
        try:
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
                detail = breakdown(rows, url, token)
                print("  per intent (F1, n):")
                for intent, scores in detail["per_intent"].items():
                    print(f"    {intent:28s} {scores['f1']:.3f}  {scores['n']}")
                print("  most frequent confusions (gold -> predicted: count):")
                for (gold, predicted), count in detail["confusions"]:
                    print(f"    {gold} -> {predicted}: {count}")
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
    shutil.rmtree(log_dir, ignore_errors=True)
    return 0
