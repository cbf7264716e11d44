"""Starts and stops the three processes: Rasa server, action server, gateway.

Used by `complaintbot run` and by the integration tests (one stack per test session).
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlparse

import httpx
from sqlalchemy.engine import make_url

from bot.config import Settings, child_environment, ensure_secrets, load_settings
from bot.model import rasa_environment
from bot.owner_only import UMASK, open_private, secure_tree

# Ports free_port() has handed out in this process: none is handed out twice.
_PORTS_GIVEN: set[int] = set()
_PORTS_LOCK = threading.Lock()
_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST_PORT = 20000


def _ephemeral_low() -> int:
    """The lowest port of the kernel's ephemeral range (outgoing connections' local ports)."""
    try:
        return int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 49152  # IANA's dynamic range, the default of the BSDs, macOS and Windows


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now, for a server to bind soon.

    Not one the kernel picks for bind(("127.0.0.1", 0)): in the seconds before the server
    binds it (Rasa takes ~40 s), the kernel could hand the same port to a second free_port()
    call or to the local end of an outgoing connection, and the server would fail with
    "address already in use". The port is drawn at random below the kernel's ephemeral
    range, where neither happens, and never twice in one process."""
    low = _ephemeral_low()
    with _PORTS_LOCK:
        if low - _LOWEST_PORT >= 1000:
            for _ in range(200):
                port = random.randrange(_LOWEST_PORT, low)
                if port not in _PORTS_GIVEN and _bindable(port):
                    _PORTS_GIVEN.add(port)
                    return port
        while True:  # a narrow or unreadable range: the kernel's choice, still never twice
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = int(sock.getsockname()[1])
            if port not in _PORTS_GIVEN:
                _PORTS_GIVEN.add(port)
                return port


def local_settings(var_dir: Path, *, rasa_replicas: int = 1, **overrides: object) -> Settings:
    """Development settings for a stack of its own on loopback: free ports (one per Rasa
    replica), a SQLite database and generated tokens in `var_dir`, nothing read from .env.
    Used by the test stack, the end-to-end recorder and the benchmarks."""
    rasa_ports = [free_port() for _ in range(rasa_replicas)]
    actions_port, gateway_port = free_port(), free_port()
    values: dict[str, object] = {
        "env": "development",
        "var_dir": var_dir,
        "database_url": f"sqlite:///{var_dir / 'complaintbot.db'}",
        "redis_url": None,
        "port": gateway_port,
        "rasa_port": rasa_ports[0],
        "actions_port": actions_port,
        "rasa_url": ",".join(f"http://127.0.0.1:{port}" for port in rasa_ports),
        "actions_url": f"http://127.0.0.1:{actions_port}",
        "rasa_token": None,
        "api_token": None,
        **overrides,
    }
    settings, _sources = ensure_secrets(load_settings(_env_file=None, **values))
    return settings


def rasa_ports(settings: Settings) -> list[int]:
    """The ports of the Rasa replicas a local stack's settings point at."""
    return [int(url.rsplit(":", 1)[1]) for url in settings.rasa_urls]


def shared_stores_environment(postgres_url: str, redis_url: str) -> dict[str, str]:
    """The variables endpoints.prod.yml reads, for Rasa replicas sharing a tracker store in
    the PostgreSQL database of `postgres_url` and a lock store in the Redis of `redis_url`."""
    database = make_url(postgres_url)
    redis = urlparse(redis_url)
    return {
        "REDIS_HOST": redis.hostname or "127.0.0.1",
        "REDIS_PORT": str(redis.port or 6379),
        "REDIS_PASSWORD": redis.password or "",
        "RASA_LOCK_STORE_DB": redis.path.lstrip("/") or "0",
        "RASA_TRACKER_DB_HOST": database.host or "127.0.0.1",
        "RASA_TRACKER_DB_PORT": str(database.port or 5432),
        "RASA_TRACKER_DB_NAME": database.database or "rasa",
        "RASA_TRACKER_DB_USER": database.username or "postgres",
        "RASA_TRACKER_DB_PASSWORD": database.password or "",
    }


class StackError(RuntimeError):
    """A process failed to start or died; the message includes the end of its log."""


@dataclass
class Service:
    name: str
    command: list[str]
    env: dict[str, str]
    health_url: str
    log_path: Path
    timeout: float
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    def start(self, cwd: Path) -> None:
        self._log = open_private(self.log_path)  # closed in stop()
        self.process = subprocess.Popen(
            self.command,
            # Logs, databases, tokens and evidence the process writes are owner-only.
            umask=UMASK,
            cwd=cwd,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            # Own process group: Ctrl-C reaches only us, and we stop children in order.
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 25) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_healthy(self, should_stop: Callable[[], bool] = lambda: False) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if should_stop():
                raise StackError("interrupted")
            if not self.alive():
                raise StackError(f"{self.name} exited during start-up:\n{self.log_tail()}")
            try:
                if httpx.get(self.health_url, timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1.0)
        raise StackError(f"{self.name} not healthy after {self.timeout:.0f}s:\n{self.log_tail()}")

    def stop(self, grace: float = 15.0) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
            except ProcessLookupError:
                pass
        if self._log is not None:
            self._log.close()
            self._log = None


class Stack:
    """Rasa + actions + gateway for one set of settings and one model.

    `rasa_ports`: one Rasa replica per port (default: settings.rasa_port alone); the
    gateway reaches them through settings.rasa_url. Replicas beyond one need shared stores:
    pass endpoints="endpoints.prod.yml" and its variables in `rasa_env`.
    """

    def __init__(
        self,
        settings: Settings,
        model: Path,
        root: Path,
        *,
        rasa_ports: list[int] | None = None,
        endpoints: str = "endpoints.yml",
        rasa_env: dict[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.root = root
        token = settings.rasa_token.get_secret_value() if settings.rasa_token else ""
        logs = settings.var_dir / "logs"
        base_env = {**os.environ, **child_environment(settings)}
        replica_env = {
            **rasa_environment(root),
            **child_environment(settings),
            "COMPLAINTBOT_RASA_TRACKER_DB": str(settings.var_dir / "rasa_tracker.db"),
            **(rasa_env or {}),
        }
        ports = rasa_ports or [settings.rasa_port]
        python = sys.executable
        actions = Service(
            name="action server",
            command=[
                python,
                "-m",
                "rasa_sdk",
                "--actions",
                "actions",
                "-p",
                str(settings.actions_port),
            ],  # fmt: skip
            env={**base_env, "SANIC_HOST": "127.0.0.1"},
            health_url=f"http://127.0.0.1:{settings.actions_port}/health",
            log_path=logs / "actions.log",
            timeout=90,
        )
        replicas = [
            Service(
                name="Rasa server" if len(ports) == 1 else f"Rasa replica {n}",
                # `rasa run`, its API token given in the environment (COMPLAINTBOT_RASA_TOKEN
                # of replica_env): a command line is readable by every local user.
                command=[
                    str(root / ".venv-rasa" / "bin" / "python"),
                    "-m",
                    "bot.rasa_launch",
                    "run",
                    "--enable-api",
                    "--interface",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--model",
                    str(model),
                    "--endpoints",
                    endpoints,
                    "--credentials",
                    "credentials.yml",
                ],  # fmt: skip
                env=replica_env,
                health_url=f"http://127.0.0.1:{port}/status?token={token}",
                log_path=logs / ("rasa.log" if len(ports) == 1 else f"rasa-{n}.log"),
                # Replicas load their models at the same time, sharing the CPUs.
                timeout=300 * len(ports),
            )
            for n, port in enumerate(ports, start=1)
        ]
        gateway = Service(
            name="gateway",
            command=[
                python,
                "-m",
                "uvicorn",
                "--factory",
                "bot.web.app:app_from_environment",
                "--host",
                settings.host,
                "--port",
                str(settings.port),
                "--no-access-log",
                "--ws-max-size",
                "1048576",  # 1 MiB; the web chat refuses frames over 64 KiB itself
            ],  # fmt: skip
            env=base_env,
            health_url=f"http://127.0.0.1:{settings.port}/healthz",
            log_path=logs / "gateway.log",
            timeout=60,
        )
        self.services = [actions, *replicas, gateway]

    def start(
        self, say: Callable[[str], None] = print, should_stop: Callable[[], bool] = lambda: False
    ) -> None:
        try:
            secure_tree(self.settings.var_dir)
            for service in self.services:
                service.start(self.root)
            for service in self.services:
                started = time.monotonic()
                say(f"waiting for the {service.name} ...")
                service.wait_healthy(should_stop)
                say(f"{service.name} healthy after {time.monotonic() - started:.0f}s")
        except BaseException:
            self.stop()
            raise

    def dead(self) -> list[Service]:
        return [s for s in self.services if not s.alive()]

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()
