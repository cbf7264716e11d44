"""Private servers the fault tests may kill and restart without touching the shared ones:
redis-server, a PostgreSQL cluster, a TCP "Rasa" that accepts and never answers, and the
gateway as a subprocess (the real uvicorn command the stack runs)."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis

from bot.config import Settings, child_environment
from bot.paths import PROJECT_ROOT
from bot.stack import Service, free_port

REQUIRE_SERVICES = os.environ.get("COMPLAINTBOT_REQUIRE_SERVICES") == "1"


def unavailable(reason: str) -> None:
    """Skips locally when a server cannot be staged; fails in CI, where it must be."""
    if REQUIRE_SERVICES:
        pytest.fail(reason)
    pytest.skip(reason)


def wait_until(predicate: Callable[[], Any], *, timeout: float, what: str) -> Any:
    """Polls `predicate` until it returns something truthy; fails the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)


class RedisServer:
    """A private redis-server without persistence: a restart comes back empty."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.binary, self.directory = binary, directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        try:
            wait_until(lambda: _pings(client), timeout=10, what="the private redis-server")
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL: the server dies with everything in memory."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def start_private_redis(directory: Path) -> RedisServer:
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server not installed: cannot stage a Redis outage")
    assert binary is not None
    server = RedisServer(binary, directory)
    server.start()
    return server


class PostgresServer:
    """A private PostgreSQL cluster in a temporary directory, on a port of its own.

    PostgreSQL refuses to run as root: as root, every command runs as the `postgres` user
    (runuser), in a directory that user owns."""

    def __init__(self, bindir: Path, directory: Path, as_user: str | None) -> None:
        self.bindir, self.directory, self.as_user = bindir, directory, as_user
        self.data = directory / "data"
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        prefix = ["runuser", "-u", self.as_user, "--"] if self.as_user else []
        result = subprocess.run(
            [*prefix, str(self.bindir / program), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed:\n{result.stdout}\n{result.stderr}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8")  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} "
            "-c fsync=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.directory / "log"),
                  "-o", options, "-w", "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "immediate") -> None:
        """`immediate`: like a crash, no checkpoint and no goodbye to the clients (the next
        start recovers from the WAL)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")


def _postgres_bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def start_private_postgres() -> tuple[PostgresServer, Callable[[], None]]:
    """Starts the cluster; returns it and the clean-up (stop, remove the directory)."""
    bindir = _postgres_bindir()
    if bindir is None:
        unavailable("PostgreSQL server binaries (pg_ctl, initdb) not found")
    assert bindir is not None
    as_user = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            unavailable("running as root and there is no `postgres` user to run PostgreSQL as")
        as_user = "postgres"
    directory = Path(tempfile.mkdtemp(prefix="cb-faults-pg-"))
    if as_user is not None:
        shutil.chown(directory, user=as_user)
    server = PostgresServer(bindir, directory, as_user)

    def clean_up() -> None:
        with contextlib.suppress(RuntimeError):  # already stopped
            server.stop("immediate")
        shutil.rmtree(directory, ignore_errors=True)

    try:
        server.init()
        server.start()
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        clean_up()
        unavailable(f"could not start a private PostgreSQL: {exc}")
    return server, clean_up


class BlackHole:
    """A TCP server that accepts connections and reads requests but never answers: a Rasa
    stuck in the middle of a turn (Rasa itself is a third-party process)."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)  # accept() wakes up to notice close()
        self.port = int(self._listener.getsockname()[1])
        self.accepted = 0
        self._connections: list[socket.socket] = []
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._connections.append(connection)  # kept open, never written to
            self.accepted += 1

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
        for connection in self._connections:
            connection.close()
        self._thread.join(timeout=5)


def gateway_service(settings: Settings, log_path: Path) -> Service:
    """The gateway exactly as `complaintbot run` starts it (bot.stack), for these settings."""
    return Service(
        name="gateway",
        command=[
            *(sys.executable, "-m", "uvicorn", "--factory", "bot.web.app:app_from_environment"),
            *("--host", "127.0.0.1", "--port", str(settings.port), "--no-access-log"),
        ],
        env={**os.environ, **child_environment(settings)},
        # Up once it serves; /healthz would wait on a Rasa that never answers.
        health_url=f"http://127.0.0.1:{settings.port}/openapi.json",
        log_path=log_path,
        timeout=60,
    )


def start_gateway(settings: Settings, log_path: Path) -> Service:
    service = gateway_service(settings, log_path)
    service.start(PROJECT_ROOT)
    try:
        service.wait_healthy()
    except BaseException:
        service.stop()
        raise
    return service


def kill_gateway(service: Service) -> None:
    """SIGKILL to the gateway's process group: no shutdown hook runs, nothing is flushed."""
    assert service.process is not None
    os.killpg(service.process.pid, signal.SIGKILL)
    service.process.wait(timeout=10)
    service.stop()  # closes the log
