"""Shared fixtures: databases (SQLite and PostgreSQL), settings, the running stack."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from argon2 import PasswordHasher
from db_copies import (
    POSTGRES_URL,
    ReusedPostgresDatabases,
    copy_sqlite_file,
    sqlite_path,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings, load_settings
from bot.db import make_engine, make_session_factory, temporary_postgres_database, upgrade
from bot.model import ensure_model
from bot.paths import PROJECT_ROOT
from bot.stack import Stack, free_port, local_settings

# Under pytest-xdist (`make test-fast` runs -n 2) each worker has Redis databases of its own:
# tests that use the default key names (the CLI's queue, two gateways sharing a queue) run
# at the same moment on different workers. Worker n gets db D - 2n, where D is the database
# of COMPLAINTBOT_TEST_REDIS_URL (15 by default), and D - 2n - 1 as its spare
# (`spare_redis_url`).
XDIST_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
_REDIS_BASE, _, _REDIS_DB = os.environ.get(
    "COMPLAINTBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"
).rpartition("/")
_WORKER_DB = int(_REDIS_DB or 0) - 2 * XDIST_WORKER
if _WORKER_DB < 1:
    raise RuntimeError(
        f"too many pytest-xdist workers for COMPLAINTBOT_TEST_REDIS_URL's database {_REDIS_DB}"
    )
REDIS_URL = f"{_REDIS_BASE}/{_WORKER_DB}"
REQUIRE_SERVICES = os.environ.get("COMPLAINTBOT_REQUIRE_SERVICES") == "1"
STACK_RATE_LIMIT_PER_IP = 100_000
# Gateways without a Rasa behind them (offline_settings and the like) take the outage path at
# once instead of waiting up to 90 s for a Rasa that never comes; the start-up grace tests
# (tests/ops) set COMPLAINTBOT_RASA_STARTUP_GRACE themselves.
os.environ.setdefault("COMPLAINTBOT_RASA_STARTUP_GRACE", "0")


def _unavailable(what: str, exc: Exception) -> None:
    """Skips locally when a service is missing; fails in CI, where it must be there."""
    message = f"{what} not reachable ({type(exc).__name__}: {exc})"
    if REQUIRE_SERVICES:
        pytest.fail(message)
    pytest.skip(message)


BROWSER_TESTS = PROJECT_ROOT / "tests" / "browser"
FAULT_TESTS = PROJECT_ROOT / "tests" / "faults"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks what `make test-fast` leaves out: `stack` on every test that uses the stack
    fixture (directly or through another fixture), `browser` on everything in tests/browser,
    `slow` on everything in tests/faults (gateway subprocesses killed and restarted, Redis
    and PostgreSQL restarted: 5-15 s each). Tests that start Rasa themselves (tests/e2e,
    tests/scaleout) carry `stack` explicitly, and the few other slow ones `slow`."""
    for item in items:
        if "stack" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.stack)
        if BROWSER_TESTS in item.path.parents:
            item.add_marker(pytest.mark.browser)
        if FAULT_TESTS in item.path.parents:
            item.add_marker(pytest.mark.slow)


# argon2id as the console uses it, with the cost cut to a millisecond: the production
# parameters (RFC 9106's low-memory profile, 64 MiB and 3 passes) take 0.2-0.3 s of CPU for
# each password set or sign-in, minutes over the suite. Only this test process uses it
# (the stack's gateway subprocess keeps the production hasher); test_passwords checks the
# production parameters.
TEST_PASSWORD_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[PasswordHasher]:
    """Swaps the console's argon2 hasher for TEST_PASSWORD_HASHER; yields the production one."""
    from bot.agents import passwords

    production = passwords._hasher
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", TEST_PASSWORD_HASHER)
        patch.setattr(
            passwords, "_DUMMY_HASH", TEST_PASSWORD_HASHER.hash("not-a-password-of-anyone")
        )
        yield production


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    with ExitStack() as cleanup:
        try:
            url = cleanup.enter_context(temporary_postgres_database(POSTGRES_URL, "cbtest"))
        except Exception as exc:  # any connection problem means "no PostgreSQL here"
            _unavailable("PostgreSQL", exc)
        yield url


@pytest.fixture
def redis_url() -> str:
    """The test Redis (db 15). Tests share it: each keeps to key names of its own."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        _unavailable("Redis", exc)
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def spare_redis_url(redis_url) -> str:
    """A second Redis database of this worker's, for a test whose gateways use the default key
    names and must not meet the keys of the tests on `redis_url`."""
    base, _, db = redis_url.rpartition("/")
    return f"{base}/{int(db) - 1}"


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory) -> Path:
    """An SQLite database migrated to the head revision once per session; tests get copies."""
    path = tmp_path_factory.mktemp("migrated-sqlite") / "template.db"
    upgrade(f"sqlite:///{path}")
    assert not path.with_name(f"{path.name}-wal").exists()  # all of it is in the one file
    return path


@pytest.fixture(scope="session")
def migrated_postgres_template() -> Iterator[str]:
    """The name of a PostgreSQL database migrated to the head revision once per session, the
    template of each test's database (copying it takes a fraction of the 1-2 s the migrations
    take). Nothing stays connected to it: alembic disposes of its engine."""
    with ExitStack() as cleanup:
        try:
            url = cleanup.enter_context(temporary_postgres_database(POSTGRES_URL, "cbtemplate"))
        except Exception as exc:  # any connection problem means "no PostgreSQL here"
            _unavailable("PostgreSQL", exc)
        upgrade(url)
        database = make_url(url).database
        assert database is not None
        yield database


@pytest.fixture(scope="session")
def reused_postgres_databases(migrated_postgres_template: str) -> Iterator[ReusedPostgresDatabases]:
    """Copies of the migrated template, each emptied after a test for the next one."""
    databases = ReusedPostgresDatabases(POSTGRES_URL, migrated_postgres_template, "cbtest")
    try:
        yield databases
    finally:
        databases.drop_all()


@pytest.fixture
def migrated_postgres_url(reused_postgres_databases: ReusedPostgresDatabases) -> Iterator[str]:
    """A PostgreSQL database of this test's own, empty at the head revision: a copy of the
    template no other test is using, emptied (or dropped) afterwards."""
    url = reused_postgres_databases.take()
    try:
        yield url
    finally:
        reused_postgres_databases.give_back(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request) -> str:
    """Runs a test once on SQLite and once on PostgreSQL, each time on a database of its own
    already migrated to the head revision (a copy of one migrated once per session)."""
    if request.param == "postgresql":
        return request.getfixturevalue("migrated_postgres_url")
    url = request.getfixturevalue("sqlite_url")
    copy_sqlite_file(request.getfixturevalue("migrated_sqlite_file"), sqlite_path(url))
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request) -> str:
    """Like db_url, on an empty database: for the tests of the migrations themselves."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return request.getfixturevalue(fixture)


@pytest.fixture
def engine(db_url) -> Iterator[Engine]:
    upgrade(db_url)
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def time_limit():
    """A guard against pathological slowness (runaway regexes), not a speed target:
    `with time_limit(10): ...` fails the test if the block runs longer."""
    import signal
    from contextlib import contextmanager

    @contextmanager
    def limit(seconds: float) -> Iterator[None]:
        def expired(signum: int, frame: object) -> None:
            raise TimeoutError(f"took longer than {seconds}s")

        previous = signal.signal(signal.SIGALRM, expired)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    return limit


@pytest.fixture(scope="session")
def offline_settings(tmp_path_factory, migrated_sqlite_file) -> Callable[..., Settings]:
    """`offline_settings(**overrides)`: development settings on an SQLite file of their own
    in a temporary directory (a copy of the migrated one: the gateway's start-up then has no
    migration to run, 0.4 s saved on each of the many gateways the tests start), with no
    Rasa behind them (nothing listens on their Rasa port, so the router apologises and keeps
    each message for a human: the real path when Rasa is down)."""

    def make(**overrides: object) -> Settings:
        directory = tmp_path_factory.mktemp("offline-gateway")
        if "database_url" not in overrides:
            copy_sqlite_file(migrated_sqlite_file, directory / "gateway.db")
        nowhere = f"http://127.0.0.1:{free_port()}"
        values: dict[str, object] = {
            "_env_file": None,
            "env": "development",
            "var_dir": directory / "var",
            "database_url": f"sqlite:///{directory / 'gateway.db'}",
            "redis_url": None,
            "api_token": "service-token-for-tests-0123456789",
            "rasa_url": nowhere,
            "actions_url": nowhere,
            "sla_monitor_interval": 0,
        }
        return load_settings(**{**values, **overrides})

    return make


@dataclass
class RunningStack:
    """Rasa + action server + gateway as subprocesses, on free ports and a temporary var/."""

    settings: Settings
    base_url: str
    processes: Stack

    @property
    def api_headers(self) -> dict[str, str]:
        assert self.settings.api_token is not None
        return {"Authorization": f"Bearer {self.settings.api_token.get_secret_value()}"}

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=60.0)


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[RunningStack]:
    var_dir = tmp_path_factory.mktemp("stack-var")
    settings = local_settings(
        var_dir,
        # Every test of the session talks to this gateway from 127.0.0.1: the address cap
        # would count the whole suite as one office. The per-sender cap stays on.
        rate_limit_per_ip=STACK_RATE_LIMIT_PER_IP,
    )
    model = ensure_model(PROJECT_ROOT)
    running = Stack(settings, model, PROJECT_ROOT)
    # Started once per test session (Rasa takes ~45 s); tests that stop a service restart it.
    running.start(say=lambda _msg: None)
    try:
        yield RunningStack(
            settings=settings,
            base_url=f"http://127.0.0.1:{settings.port}",
            processes=running,
        )
    finally:
        running.stop()


@pytest.fixture
def serve_app() -> Iterator[Callable[[object, int], str]]:
    """Runs ASGI apps (lifespan on) with uvicorn in threads for one test; returns their URL."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: object, port: int) -> str:
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")  # type: ignore[arg-type]
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=20)
