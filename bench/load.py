"""Simulated customers: full intake conversations sent as fast as the bot answers.

The same scripts go to raw Rasa's REST channel and to the gateway's, so the two sides do
the same work: NLU, policies, the action server and its ticket database.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from bot.paths import PROJECT_ROOT

CONVERSATIONS = PROJECT_ROOT / "tests" / "e2e" / "conversations.yml"
# Conversations that end with a person taking over: through the gateway the bot then goes
# quiet (as it should), so the two sides would no longer do the same work.
HANDED_OVER = re.compile(r"person|furious|urgent|safety|fallbacks", re.IGNORECASE)


def intake_scripts(path: Path = CONVERSATIONS) -> list[list[str]]:
    """The customer turns of the zh and en intake conversations of the end-to-end tests."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        [str(turn) for turn in item["turns"]]
        for item in data["conversations"]
        if not HANDED_OVER.search(item["name"])
    ]


@dataclass
class Stats:
    """Latencies (seconds) of the turns that were answered, and what went wrong."""

    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    silent: int = 0  # answered 200 with no message at all
    started: float = 0.0
    finished: float = 0.0
    duration: float = 0.0  # the summed lengths of the phases merged with merge_phase

    def merge(self, other: Stats) -> None:
        """Adds another's turns (a conversation's to its phase's)."""
        self.latencies.extend(other.latencies)
        self.errors.update(other.errors)
        self.silent += other.silent

    def merge_phase(self, other: Stats) -> None:
        """Adds a whole phase (a round, a conversation): its time counts, gaps do not."""
        self.merge(other)
        self.duration += other.seconds

    @property
    def turns(self) -> int:
        return len(self.latencies)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def seconds(self) -> float:
        if self.duration:
            return self.duration
        return max(self.finished - self.started, 1e-9)

    @property
    def turns_per_second(self) -> float:
        return self.turns / self.seconds

    def mean_ms(self) -> float:
        return sum(self.latencies) / len(self.latencies) * 1000.0 if self.latencies else math.nan

    def quantile(self, q: float) -> float:
        """The q-quantile in milliseconds (nearest rank); NaN without data."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))
        return ordered[rank] * 1000.0

    def summary(self) -> dict[str, Any]:
        return {
            "turns": self.turns,
            "seconds": round(self.seconds, 2),
            "turns_per_second": round(self.turns_per_second, 2),
            "mean_ms": round(self.mean_ms(), 1),
            "p50_ms": round(self.quantile(0.50), 1),
            "p95_ms": round(self.quantile(0.95), 1),
            "max_ms": round(self.quantile(1.0), 1),
            "errors": self.error_count,
            "error_kinds": dict(self.errors),
            "silent_turns": self.silent,
        }


class Side:
    """Where turns are sent: raw Rasa's REST webhook or the gateway's."""

    def __init__(self, name: str, webhook_url: str) -> None:
        self.name = name
        self.webhook_url = webhook_url


async def send_turn(
    client: httpx.AsyncClient, side: Side, sender: str, text: str, stats: Stats
) -> None:
    started = time.perf_counter()
    try:
        response = await client.post(side.webhook_url, json={"sender": sender, "message": text})
    except httpx.HTTPError as exc:
        stats.errors[type(exc).__name__] += 1
        return
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        stats.errors[f"HTTP {response.status_code}"] += 1
        return
    try:
        replies = response.json()
    except ValueError:
        stats.errors["invalid JSON"] += 1
        return
    if not isinstance(replies, list):
        stats.errors["not a list"] += 1
        return
    if not replies:
        stats.silent += 1
    stats.latencies.append(elapsed)


def new_sender(side: Side, worker: int) -> str:
    return f"bench-{side.name}-{worker}-{uuid.uuid4().hex[:10]}"


async def conversation(
    client: httpx.AsyncClient, side: Side, sender: str, script: list[str], stats: Stats
) -> None:
    for text in script:
        await send_turn(client, side, sender, text, stats)


async def customers(
    side: Side,
    scripts: list[list[str]],
    *,
    count: int,
    seconds: float,
    on_turn: Any = None,
) -> Stats:
    """`count` customers, each running one conversation after another without pauses, for
    `seconds`; a conversation under way when time is up is finished first."""
    stats = Stats()
    limits = httpx.Limits(max_connections=count + 4, max_keepalive_connections=count + 4)
    async with httpx.AsyncClient(timeout=60.0, limits=limits) as client:
        deadline = time.monotonic() + seconds

        async def customer(worker: int) -> None:
            n = 0
            while time.monotonic() < deadline:
                script = scripts[(worker + n) % len(scripts)]
                mine = Stats()
                await conversation(client, side, new_sender(side, worker), script, mine)
                stats.merge(mine)
                if on_turn is not None:
                    on_turn(mine)
                n += 1

        stats.started = time.monotonic()
        await asyncio.gather(*(customer(worker) for worker in range(count)))
        stats.finished = time.monotonic()
    return stats


async def sequential(
    sides: list[Side], scripts: list[list[str]], conversations: int
) -> dict[str, Stats]:
    """One customer at a time: `conversations` per side, the sides taking turns
    conversation by conversation, so a slow patch of the machine hits both."""
    results = {side.name: Stats() for side in sides}
    async with httpx.AsyncClient(timeout=60.0) as client:
        for n in range(conversations):
            for side in sides:
                stats = Stats(started=time.monotonic())
                await conversation(
                    client, side, new_sender(side, 0), scripts[n % len(scripts)], stats
                )
                stats.finished = time.monotonic()
                results[side.name].merge_phase(stats)
    return results
