"""Where a turn's time goes: gateway, Rasa (NLU, policies, tracker store), action server.

`python -m bench profile` starts the processes, sends one customer's conversations through
the gateway while py-spy samples every process (py-spy is not among the app's dependencies:
`.venv/bin/pip install py-spy==0.4.3`; it needs ptrace, which root on Linux has), and
prints the CPU each process spent per turn, split by what its stacks were in. Without
py-spy it still prints the latency of NLU alone (Rasa's /model/parse) against whole turns.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from bench.harness import Running
from bench.load import Side, Stats, conversation, new_sender

# What a sampled stack was doing: the first rule (in this order) that any of its frames
# matches (file path fragments), so a database call inside our code counts as database.
CATEGORIES: dict[str, list[tuple[str, str]]] = {
    "Rasa server": [
        ("jsonschema: checking action server answers", "jsonschema"),
        ("tracker store", "tracker_store"),
        ("lock store", "lock_store"),
        ("NLU: DIET (TensorFlow)", "nlu/classifiers/diet_classifier"),
        ("NLU: our components (jieba, rules, emotion)", "bot/nlu/"),
        ("NLU: featurizers", "nlu/featurizers"),
        ("NLU: other", "rasa/nlu/"),
        ("policies: TED (TensorFlow)", "policies/ted_policy"),
        ("policies: rules, memoization", "core/policies"),
        ("action server calls (HTTP, JSON)", "core/actions/action.py"),
        ("engine graph", "rasa/engine/"),
        ("processor, channel, HTTP", "rasa/"),
        ("Sanic, asyncio", "sanic"),
    ],
    "action server": [
        ("database (SQLAlchemy)", "sqlalchemy"),
        ("our actions", "actions/"),
        ("our ticket and routing code", "bot/"),
        ("rasa_sdk, Sanic", "rasa_sdk"),
        ("Sanic, asyncio", "sanic"),
    ],
    "gateway": [
        ("database (SQLAlchemy)", "sqlalchemy"),
        ("Rasa client (httpx)", "httpx"),
        ("our routing and channel code", "bot/"),
        ("FastAPI, Starlette, pydantic", "fastapi"),
        ("uvicorn", "uvicorn"),
    ],
}
# Innermost frames of a thread that is waiting, not working (py-spy shows a thread blocked
# in C, such as an event loop in epoll or a worker on its queue, at its last Python frame).
WAITING = {
    "wait", "select", "poll", "_worker", "get", "acquire", "sleep",  # threads, selectors
    "Runner.run", "serve", "WorkerThread.run", "run_forever",  # idle event loops, workers
}  # fmt: skip


def waiting(frame: str) -> bool:
    function = frame.split(" (", 1)[0]
    return function in WAITING or function.rsplit(".", 1)[-1] in WAITING


def py_spy() -> str | None:
    local = Path(sys.executable).parent / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


def categorise(raw: Path, process: str) -> tuple[int, Counter[str]]:
    """(busy samples, samples per category) from py-spy's --format raw output."""
    busy = 0
    counts: Counter[str] = Counter()
    rules = CATEGORIES.get(process, [])
    for line in raw.read_text(errors="replace").splitlines():
        if not line.strip():
            continue
        stack, _, number = line.rpartition(" ")
        frames = stack.split(";")
        if waiting(frames[-1]):
            continue
        n = int(number)
        busy += n
        label = next(
            (name for name, part in rules if any(part in frame for frame in frames)), "other"
        )
        counts[label] += n
    return busy, counts


async def parse_latency(running: Running, texts: list[str]) -> Stats:
    """NLU alone: Rasa's /model/parse for each text, one at a time."""
    stats = Stats()
    token = running.settings.rasa_token
    params = {"token": token.get_secret_value()} if token else {}
    async with httpx.AsyncClient(timeout=60.0) as client:
        for text in texts:
            started = time.perf_counter()
            response = await client.post(
                f"{running.rasa_urls[0]}/model/parse", params=params, json={"text": text}
            )
            if response.status_code == 200:
                stats.latencies.append(time.perf_counter() - started)
            else:
                stats.errors[f"HTTP {response.status_code}"] += 1
    return stats


async def sequential_turns(side: Side, scripts: list[list[str]], rounds: int) -> Stats:
    stats = Stats(started=time.monotonic())
    async with httpx.AsyncClient(timeout=60.0) as client:
        for n in range(rounds):
            for script in scripts:
                await conversation(client, side, new_sender(side, n), script, stats)
    stats.finished = time.monotonic()
    return stats


def profile(running: Running, scripts: list[list[str]], rounds: int, rate: int) -> dict:
    texts = [text for script in scripts for text in script]
    nlu = asyncio.run(parse_latency(running, texts))
    raw = asyncio.run(
        sequential_turns(Side("raw", f"{running.rasa_urls[0]}/webhooks/rest/webhook"), scripts, 1)
    )
    gateway = Side("gateway", f"{running.gateway_url}/webhooks/rest/webhook")
    spy = py_spy()
    samplers: list[tuple[str, Path, subprocess.Popen[bytes]]] = []
    out = Path(tempfile.mkdtemp(prefix="complaintbot-profile-"))
    if spy is not None:
        for service in running.stack.services:
            assert service.process is not None
            target = out / f"{service.name.replace(' ', '-')}.raw"
            command = [spy, "record", "--pid", str(service.process.pid), "--rate", str(rate),
                       "--format", "raw", "--output", str(target), "--subprocesses", "--nonblocking"]  # fmt: skip
            samplers.append((service.name, target, subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))  # fmt: skip
        time.sleep(2.0)
    through = asyncio.run(sequential_turns(gateway, scripts, rounds))
    for _name, _target, sampler in samplers:
        sampler.send_signal(2)  # SIGINT: py-spy writes what it has and exits
        sampler.wait(timeout=60)
    result: dict = {
        "nlu_parse": nlu.summary(),
        "raw_turn": raw.summary(),
        "gateway_turn": through.summary(),
        "cpu_ms_per_turn": {},
    }
    print(f"NLU alone (/model/parse) p50 {nlu.quantile(0.5):.1f} ms; whole turn on raw Rasa "
          f"p50 {raw.quantile(0.5):.1f} ms; through the gateway p50 {through.quantile(0.5):.1f} ms "
          f"({through.turns} turns)")  # fmt: skip
    if spy is None:
        print("py-spy not found: `.venv/bin/pip install py-spy==0.4.3` for the CPU breakdown")
        return result
    print(f"\nCPU per turn by process (py-spy at {rate} Hz, non-idle samples):")
    for name, target, _sampler in samplers:
        if not target.exists():
            print(f"  {name}: no samples (py-spy could not attach)")
            continue
        busy, counts = categorise(target, name)
        per_turn = busy / rate / max(through.turns, 1) * 1000.0
        result["cpu_ms_per_turn"][name] = {
            "total": round(per_turn, 2),
            **{label: round(n / rate / max(through.turns, 1) * 1000.0, 2) for label, n in counts.most_common()},
        }  # fmt: skip
        print(f"  {name}: {per_turn:.1f} ms")
        for label, n in counts.most_common():
            print(f"      {n / max(busy, 1) * 100:5.1f}%  {label}")
    print(f"\npy-spy's raw samples (flame graph input): {out}")
    return result
