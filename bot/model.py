"""The trained Rasa model, cached by a hash of everything that shapes it."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# Everything that changes what `rasa train` produces: the data, the domain, the config, the
# tokeniser and other components (rasa_components.py), and the emotion classifier's data and
# features (it is trained on the lexicon scorer's cues). The rule-based entity module is not
# trained, so editing its lexicons does not cost a retrain.
MODEL_INPUTS = (
    "config.yml", "domain.yml", "data", "bot/nlu/rasa_components.py", "requirements/rasa.txt",
    "bot/nlu/emotion_data", "bot/nlu/emotion.py", "bot/nlu/emotion_model.py",
    "bot/nlu/intent_model.py",
)  # fmt: skip
_SUFFIXES = {".yml", ".yaml", ".py", ".txt", ".json", ".jsonl"}


def fingerprint(root: Path) -> str:
    digest = hashlib.sha256()
    for name in MODEL_INPUTS:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.suffix not in _SUFFIXES or "__pycache__" in file.parts:
                continue
            digest.update(str(file.relative_to(root)).encode())
            digest.update(b"\0")
            digest.update(file.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()[:16]


def _cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "complaintbot"


def cache_dir() -> Path:
    return Path(os.environ.get("COMPLAINTBOT_MODEL_CACHE", _cache_root() / "models"))


def model_file(root: Path) -> Path:
    return root / "models" / f"complaintbot-{fingerprint(root)}.tar.gz"


def timing_file(model: Path) -> Path:
    """Where the training times of `model` are kept (beside it, read by `make evaluate`)."""
    return model.with_name(model.name.removesuffix(".tar.gz") + ".timing.json")


# Rasa's training hooks log one line as each component starts, ends or comes from its cache.
_HOOK = re.compile(
    r"(?P<event>Starting to train|Finished training|Restored) component '(?P<name>[^']+)'"
)


@dataclass
class TrainingTiming:
    """Wall-clock seconds of a `rasa train` run, per graph component."""

    returncode: int = 0
    seconds: float = 0.0
    components: dict[str, float] = field(default_factory=dict)
    restored: list[str] = field(default_factory=list)

    def table(self) -> list[str]:
        rows = sorted(self.components.items(), key=lambda item: -item[1])
        trained = sum(self.components.values())
        lines = [f"  {name:32s} {seconds:6.1f}s" for name, seconds in rows]
        if self.restored:
            lines.append(f"  from Rasa's cache: {', '.join(sorted(self.restored))}")
        lines.append(f"  {'(start-up, data loading, packing)':32s} {self.seconds - trained:6.1f}s")
        return ["time per component:", *lines]

    def as_dict(self) -> dict[str, object]:
        return {
            "seconds": round(self.seconds, 1),
            "components": {k: round(v, 2) for k, v in self.components.items()},
            "restored": sorted(self.restored),
        }


def _train_timed(command: list[str], root: Path) -> TrainingTiming:
    """Runs `rasa train`, passing its output through, and times each component from the
    moment its start and end lines arrive."""
    timing = TrainingTiming()
    started = time.monotonic()
    running: dict[str, float] = {}
    with subprocess.Popen(
        command,
        cwd=root,
        env={**rasa_environment(root), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.write(line)
            match = _HOOK.search(line)
            if not match:
                continue
            name, now = match["name"], time.monotonic()
            if match["event"] == "Starting to train":
                running[name] = now
            elif match["event"] == "Finished training" and name in running:
                timing.components[name] = now - running.pop(name)
            elif match["event"] == "Restored":
                timing.restored.append(name)
        timing.returncode = process.wait()
    timing.seconds = time.monotonic() - started
    return timing


def rasa_environment(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(root),
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONWARNINGS="ignore",
    )
    # Rasa's per-component training cache, shared by every checkout on this machine: a
    # change to the responses does not retrain DIET in a fresh clone either.
    env.setdefault("RASA_CACHE_DIRECTORY", str(_cache_root() / "rasa-cache"))
    return env


def rasa_validate(
    root: Path, *, project: Path | None = None, capture: bool = False, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`rasa data validate` on config.yml, domain.yml and data/ of `project` (default `root`)."""
    command = [str(root / ".venv-rasa" / "bin" / "rasa"), "data", "validate",
               "--config", "config.yml", "--domain", "domain.yml", "--data", "data"]  # fmt: skip
    return subprocess.run(
        command,
        cwd=project or root,
        env=rasa_environment(root),
        capture_output=capture,
        text=True,
        timeout=timeout,
        check=False,
    )


def ensure_model(root: Path, say: Callable[[str], None] = print) -> Path:
    """Returns the model for the current data, training it only when none is cached.

    COMPLAINTBOT_MODEL names a model file to use as it is (a trainer trying a model).
    """
    pinned = os.environ.get("COMPLAINTBOT_MODEL")
    if pinned:
        say(f"using the model named by COMPLAINTBOT_MODEL: {pinned}")
        return Path(pinned)
    target = model_file(root)
    if target.exists():
        say(f"model up to date: {target.relative_to(root)}")
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # One training at a time per checkout: a second `make run` or test session started
    # meanwhile waits for the first and then uses its model (2 cores cannot train twice).
    with open(target.parent / ".training.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say("another process is training this model; waiting for it ...")
            fcntl.flock(lock, fcntl.LOCK_EX)
        target = model_file(root)  # the files may have changed while we waited
        if target.exists():
            say(f"model trained by the other process: {target.relative_to(root)}")
            return target
        return _restore_or_train(root, target, say)


def _restore_or_train(root: Path, target: Path, say: Callable[[str], None]) -> Path:
    cached = cache_dir() / target.name
    if cached.exists():
        shutil.copyfile(cached, target)
        if timing_file(cached).exists():
            shutil.copyfile(timing_file(cached), timing_file(target))
        say(f"model restored from cache: {cached}")
        return target

    rasa = root / ".venv-rasa" / "bin" / "rasa"
    if not rasa.exists():
        raise SystemExit("Rasa is not installed: run `make setup` first")
    say("training the Rasa model (data, domain or config changed; about a minute on 2 cores)")
    command = [
        str(rasa), "train", "--config", "config.yml", "--domain", "domain.yml", "--data", "data",
        "--out", str(target.parent), "--fixed-model-name", target.name.removesuffix(".tar.gz"),
    ]  # fmt: skip
    timing = _train_timed(command, root)
    if timing.returncode != 0 or not target.exists():
        raise SystemExit(f"rasa train failed (exit code {timing.returncode})")
    say(f"trained in {timing.seconds:.0f}s: {target.relative_to(root)}")
    for line in timing.table():
        say(line)
    timing_file(target).write_text(json.dumps(timing.as_dict(), indent=1) + "\n", "utf-8")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, cached)
        shutil.copyfile(timing_file(target), timing_file(cached))
    except OSError as exc:  # a read-only cache costs a retrain later, nothing more
        print(f"could not cache the model: {exc}", file=sys.stderr)
    for old in sorted(target.parent.glob("complaintbot-*.tar.gz"), key=os.path.getmtime)[:-3]:
        old.unlink(missing_ok=True)
        timing_file(old).unlink(missing_ok=True)
    return target
