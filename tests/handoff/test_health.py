"""/healthz reports the queue's backend and length, and a Redis problem without failing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from bot.config import load_settings
from bot.handoff.queue import DatabaseQueue
from bot.stack import free_port
from bot.web.app import create_app

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


@pytest.fixture
def health(db_url, engine, tmp_path, make_tickets) -> Callable[[str | None], dict]:
    """GET /healthz of a gateway on the test database (one ticket queued), no Rasa."""
    (ticket,) = make_tickets(1)

    def get(redis_url: str | None) -> dict:
        port = free_port()
        settings = load_settings(
            _env_file=None,
            env="development",
            var_dir=tmp_path / "var",
            database_url=db_url,
            redis_url=redis_url,
            api_token="service-token-for-tests-0123456789",
            rasa_url=f"http://127.0.0.1:{port}",
            actions_url=f"http://127.0.0.1:{port}",
        )
        with TestClient(create_app(settings)) as client:
            DatabaseQueue(client.app.state.sessions).enqueue(ticket, None, "major", now=NOW)
            response = client.get("/healthz")
        assert response.status_code == 200
        return response.json()

    return get


def test_database_queue(health):
    assert health(None)["queue"] == {"ok": True, "backend": "database", "length": 1}


def test_redis_queue(health, redis_url):
    queue = health(redis_url)["queue"]
    assert (queue["ok"], queue["backend"]) == (True, "redis")
    assert isinstance(queue["length"], int)


def test_redis_down_is_reported_not_raised(health):
    body = health(f"redis://127.0.0.1:{free_port()}/0")
    assert body["status"] == "degraded"
    assert body["queue"] == {
        "ok": False,
        "backend": "redis",
        "error": "ConnectionError",
        "fallback": "database",
        "length": 1,
    }
