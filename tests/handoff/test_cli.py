"""`complaintbot queue list` and `complaintbot queue rebuild` end to end."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot import cli
from bot.clock import utcnow
from bot.handoff.queue import DEFAULT_REDIS_PREFIX, DatabaseQueue, RedisQueue, connect_redis
from bot.stack import free_port


@pytest.fixture
def environment(db_url, engine, tmp_path, monkeypatch) -> None:
    """The CLI pointed at the test database (migrated) and a temporary var/."""
    for name in list(os.environ):
        if name.startswith("COMPLAINTBOT_") and not name.startswith("COMPLAINTBOT_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COMPLAINTBOT_DATABASE_URL", db_url)
    monkeypatch.setenv("COMPLAINTBOT_VAR_DIR", str(tmp_path / "var"))


@pytest.fixture
def default_keys(redis_url) -> Iterator[None]:
    """The CLI uses the default key prefix: start without its keys, leave none behind."""
    client = connect_redis(redis_url)

    def clear() -> None:
        keys = list(client.scan_iter(match=f"{DEFAULT_REDIS_PREFIX}:*"))
        if keys:
            client.delete(*keys)

    clear()
    yield
    clear()
    client.close()


def _queued(sessions, make_tickets) -> list[str]:
    """Three waiting tickets, queued 2 h, 5 min and 30 s ago; returns them in queue order."""
    old, recent, urgent = make_tickets(3)
    queue = DatabaseQueue(sessions)
    now = utcnow()
    queue.enqueue(old, None, "general", now=now - timedelta(hours=2))
    queue.enqueue(recent, None, "general", team="billing", now=now - timedelta(minutes=5))
    queue.enqueue(urgent, None, "urgent", now=now - timedelta(seconds=30))
    queue.set_presence("alice", "on_duty", now=now)
    return [urgent, old, recent]


def test_list_shows_position_ticket_severity_and_waiting_time(
    environment, sessions, make_tickets, capsys
):
    urgent, old, recent = _queued(sessions, make_tickets)
    assert cli.main(["queue", "list"]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if re.match(r"^\s+\d+\s+CP-", line)]
    assert [row[:3] for row in rows] == [
        ["1", urgent, "urgent"],
        ["2", old, "general"],
        ["3", recent, "general"],
    ]
    assert rows[2][4] == "billing"
    assert re.search(rf"{old}.*\b2h 00m$", out, re.MULTILINE)
    assert re.search(rf"{recent}.*\b5m 0\ds$", out, re.MULTILINE)
    assert re.search(rf"{urgent}.*\b3\ds$", out, re.MULTILINE)
    assert "3 waiting (database queue); 1 agent(s) on duty" in out


def test_list_of_an_empty_queue(environment, capsys):
    assert cli.main(["queue", "list"]) == 0
    assert "0 waiting (database queue)" in capsys.readouterr().out


def test_rebuild_restores_the_redis_queue_from_the_database(
    environment, default_keys, redis_url, monkeypatch, sessions, make_tickets, capsys
):
    order = _queued(sessions, make_tickets)
    monkeypatch.setenv("COMPLAINTBOT_REDIS_URL", redis_url)
    assert cli.main(["queue", "rebuild"]) == 0
    assert "Redis queue rebuilt from the database: 3 item(s)" in capsys.readouterr().out

    client = connect_redis(redis_url)
    try:
        assert client.zrange(f"{DEFAULT_REDIS_PREFIX}:queue", 0, -1) == order
        assert RedisQueue(client, sessions).items() == DatabaseQueue(sessions).items()
    finally:
        client.close()
    assert cli.main(["queue", "list"]) == 0
    assert "3 waiting (redis queue)" in capsys.readouterr().out


def test_rebuild_without_redis_has_nothing_to_do(environment, sessions, make_tickets, capsys):
    _queued(sessions, make_tickets)
    assert cli.main(["queue", "rebuild"]) == 0
    assert "the queue is the database, 3 item(s); nothing to rebuild" in capsys.readouterr().out


def test_rebuild_with_redis_unreachable_fails_clearly(environment, monkeypatch, capsys):
    monkeypatch.setenv("COMPLAINTBOT_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    assert cli.main(["queue", "rebuild"]) == 1
    assert "Redis not reachable (ConnectionError" in capsys.readouterr().err
