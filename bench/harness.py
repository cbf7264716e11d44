"""The processes a benchmark runs against, started the way `make run` starts them.

Each run gets a temporary var/ (SQLite database, logs) and free ports. With shared stores
(several Rasa replicas), the Rasa replicas use endpoints.prod.yml with a fresh PostgreSQL
database as their tracker store and a Redis database as their lock store.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.db import temporary_postgres_database
from bot.model import ensure_model
from bot.paths import PROJECT_ROOT
from bot.stack import Service, Stack, local_settings, rasa_ports, shared_stores_environment

POSTGRES_URL = os.environ.get(
    "COMPLAINTBOT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("COMPLAINTBOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


@dataclass
class Running:
    settings: Settings
    stack: Stack
    rasa_urls: list[str]

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.port}"

    def memory(self) -> dict[str, float]:
        """Resident memory (MiB) of each service, its child processes included."""
        return {service.name: rss_mib(service) for service in self.stack.services}


def rss_mib(service: Service) -> float:
    """The resident set size of a service's process group (its own session), in MiB."""
    if service.process is None:
        return 0.0
    group = service.process.pid
    total_kib = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != group:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
        except (OSError, ValueError):
            continue  # the process ended while we looked
    return total_kib / 1024.0


def self_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return 0.0


def unlimited() -> dict[str, int]:
    """Rate limits off: the benchmark is one client sending for many customers."""
    return {name: 0 for name in Settings.model_fields if name.startswith("rate_limit")}


@contextmanager
def running_stack(
    *, replicas: int = 1, shared_stores: bool = False, keep: bool = False, say=print
) -> Iterator[Running]:
    """Actions, `replicas` Rasa servers and the gateway; stopped (and var/ removed) after."""
    var_dir = Path(tempfile.mkdtemp(prefix="complaintbot-bench-"))
    if replicas > 1 and not shared_stores:
        raise ValueError("several replicas need shared stores (endpoints.prod.yml)")
    settings = local_settings(
        var_dir,
        rasa_replicas=replicas,
        rasa_balance="turn" if shared_stores else "conversation",
        **unlimited(),
    )
    model = ensure_model(PROJECT_ROOT)
    try:
        with _shared(shared_stores) as rasa_env:
            stack = Stack(
                settings,
                model,
                PROJECT_ROOT,
                rasa_ports=rasa_ports(settings),
                endpoints="endpoints.prod.yml" if shared_stores else "endpoints.yml",
                rasa_env=rasa_env,
            )
            stack.start(say=say)
            try:
                yield Running(settings=settings, stack=stack, rasa_urls=settings.rasa_urls)
            finally:
                stack.stop()
    finally:
        if keep:
            say(f"kept {var_dir} (logs in logs/)")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


@contextmanager
def _shared(enabled: bool) -> Iterator[dict[str, str]]:
    if not enabled:
        yield {}
        return
    with temporary_postgres_database(POSTGRES_URL, "cbbench") as tracker_url:
        yield shared_stores_environment(tracker_url, REDIS_URL)
