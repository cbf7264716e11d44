"""The SLA monitor on real databases (SQLite and PostgreSQL), with a real HTTP server in a
thread as the alert webhook. Time is the tests' own: ticks are given their `now`."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings, load_settings
from bot.db import make_engine, make_session_factory, transaction
from bot.paths import DEFAULT_SLA_POLICY
from bot.sla.monitor import SlaMonitor
from bot.sla.notify import configured_notifiers
from bot.tickets.service import NewTicket, create_ticket
from bot.tickets.sla import load_policy

POLICY = load_policy(DEFAULT_SLA_POLICY)
# A general ticket opened now: first response due in 24 h, resolution in 72 h.
NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
PHONE = "13812345678"
EMAIL = "li.wei@example.com"
DESCRIPTION = "the parcel never arrived and nobody answers"


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]
    status: int

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """A local HTTP server recording every POST; answers 200 unless told to fail."""

    requests: list[Received] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)  # statuses for the next requests
    always_fail: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/sla"

    @property
    def delivered(self) -> list[dict[str, Any]]:
        """Bodies of the requests answered with success."""
        with self._lock:
            return [r.json for r in self.requests if r.status < 300]

    def _answer(self, body: bytes, headers: dict[str, str]) -> int:
        with self._lock:
            status = 500 if self.always_fail else (self.failures.pop(0) if self.failures else 200)
            self.requests.append(Received(body, headers, status))
        return status

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver._answer(body, dict(self.headers.items()))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the tests read `requests` instead."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A short poll interval: shutdown() waits for the loop's next poll (0.5 s by default,
        # paid by every test's teardown).
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def settings(db_url, tmp_path, webhook) -> Settings:
    return load_settings(
        _env_file=None,
        env="development",
        var_dir=tmp_path / "var",
        database_url=db_url,
        redis_url=None,
        alert_webhook=webhook.url,
    )


@pytest.fixture
def make_ticket(sessions) -> Callable[..., str]:
    """Opens a ticket (general delivery complaint unless told otherwise); returns its id."""

    def make(sender: str = "cust-1", now: datetime = NOW, **fields: Any) -> str:
        values: dict[str, Any] = {
            "channel": "rest",
            "sender_id": sender,
            "language": "en",
            "category": "delivery",
            "description": DESCRIPTION,
            "contact_phone": PHONE,
            "contact_email": EMAIL,
        }
        values.update(fields)
        with transaction(sessions) as session:
            return create_ticket(session, new=NewTicket(**values), policy=POLICY, now=now).id

    return make


@pytest.fixture
def open_monitor(db_url, engine, settings) -> Iterator[Callable[..., SlaMonitor]]:
    """Opens monitors on the test's database, each with an engine of its own (as separate
    gateways would have); keyword arguments go to SlaMonitor."""
    opened: list[tuple[SlaMonitor, Engine]] = []

    def open_one(**kwargs: Any) -> SlaMonitor:
        own_engine = make_engine(db_url)
        sessions: sessionmaker[Session] = make_session_factory(own_engine)
        kwargs.setdefault("notifiers", configured_notifiers(settings, zone=POLICY.timezone))
        monitor = SlaMonitor(sessions, settings, policy=POLICY, **kwargs)
        opened.append((monitor, own_engine))
        return monitor

    yield open_one
    for monitor, own_engine in opened:
        monitor.close()
        own_engine.dispose()


@pytest.fixture
def monitor(open_monitor) -> SlaMonitor:
    return open_monitor()
