"""The trained Rasa model, cached by a hash of everything that shapes it."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
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
        say(f"model restored from cache: {cached}")
        return target

    rasa = root / ".venv-rasa" / "bin" / "rasa"
    if not rasa.exists():
        raise SystemExit("Rasa is not installed: run `make setup` first")
    say("training the Rasa model (data, domain or config changed; up to 10 minutes on 2 cores)")
    started = time.monotonic()
    command = [
        str(rasa), "train", "--config", "config.yml", "--domain", "domain.yml", "--data", "data",
        "--out", str(target.parent), "--fixed-model-name", target.name.removesuffix(".tar.gz"),
    ]  # fmt: skip
    result = subprocess.run(command, cwd=root, env=rasa_environment(root), check=False)
    if result.returncode != 0 or not target.exists():
        raise SystemExit(f"rasa train failed (exit code {result.returncode})")
    say(f"trained in {time.monotonic() - started:.0f}s: {target.relative_to(root)}")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, cached)
    except OSError as exc:  # a read-only cache costs a retrain later, nothing more
        print(f"could not cache the model: {exc}", file=sys.stderr)
    for old in sorted(target.parent.glob("complaintbot-*.tar.gz"), key=os.path.getmtime)[:-3]:
        old.unlink(missing_ok=True)
    return target
