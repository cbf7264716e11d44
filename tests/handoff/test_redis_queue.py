"""The Redis queue is an index of the database: rebuilt from it, overruled by it, and
replaced by it while Redis is down."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis
from faults.servers import RedisServer, start_private_redis

from bot.handoff.queue import DatabaseQueue, RedisQueue, connect_redis
from bot.stack import free_port

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def _flush(client: redis.Redis, prefix: str) -> None:
    """What a Redis restart without persistence does to the queue's keys."""
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    assert keys
    client.delete(*keys)


@pytest.fixture
def redis_queue(redis_url, redis_prefix, sessions) -> Iterator[RedisQueue]:
    queue = RedisQueue(connect_redis(redis_url), sessions, prefix=redis_prefix)
    yield queue
    queue.close()


def _fill(queue, make_tickets) -> list[str]:
    general, major, urgent, reopened, billing = make_tickets(5)
    queue.enqueue(general, None, "general", now=NOW)
    queue.enqueue(major, None, "major", now=NOW + timedelta(seconds=1))
    queue.enqueue(urgent, None, "urgent", now=NOW + timedelta(seconds=2))
    queue.enqueue(reopened, None, "general", boost=1, now=NOW + timedelta(seconds=3))
    queue.enqueue(billing, None, "major", team="billing", now=NOW + timedelta(seconds=4))
    queue.set_presence("alice", "on_duty", now=NOW)
    queue.set_presence("bob", "on_duty", teams=["billing"], now=NOW)
    return [urgent, major, billing, reopened, general]


def test_rebuild_restores_the_same_queue_from_the_database(redis_queue, make_tickets):
    order = _fill(redis_queue, make_tickets)
    before = redis_queue.items()
    assert [item.ticket_id for item in before] == order
    client = redis_queue._redis

    _flush(client, redis_queue.keys.prefix)
    assert redis_queue.rebuild() == 5
    assert client.zcard(redis_queue.keys.queue) == 5
    assert redis_queue.items() == before
    assert [redis_queue.position(ticket) for ticket in order] == [1, 2, 3, 4, 5]
    assert redis_queue.on_duty(now=NOW, team="safety") == ["alice"]
    assert redis_queue.on_duty(now=NOW + timedelta(seconds=91)) == []
    assert redis_queue.claim_next("bob", teams=["billing"], now=NOW).ticket_id == order[0]


def test_a_process_finding_the_keys_gone_rebuilds_before_answering(
    redis_url, redis_prefix, sessions, redis_queue, make_tickets
):
    order = _fill(redis_queue, make_tickets)
    _flush(redis_queue._redis, redis_queue.keys.prefix)
    # Another gateway process, which saw no outage: the missing marker tells it.
    other = RedisQueue(connect_redis(redis_url), sessions, prefix=redis_prefix)
    try:
        assert other.health()["rebuild_pending"] is True
        assert other.position(order[0]) == 1
        assert [item.ticket_id for item in other.items()] == order
        assert "rebuild_pending" not in other.health()
    finally:
        other.close()


def test_the_database_overrules_a_stale_redis_entry(redis_queue, sessions, make_tickets):
    first, second = make_tickets(2)
    redis_queue.enqueue(first, None, "urgent", now=NOW)
    redis_queue.enqueue(second, None, "general", now=NOW)
    # Taken off the queue by a process that could only reach the database.
    assert DatabaseQueue(sessions).claim(first, "bob", now=NOW) is not None
    assert redis_queue.position(first) == 1  # Redis does not know yet ...

    taken = redis_queue.claim_next("alice", now=NOW)  # ... but a claim asks the database
    assert taken is not None and taken.ticket_id == second
    assert redis_queue.length() == 0
    assert redis_queue.claim(first, "carol", now=NOW) is None


def test_redis_unreachable_the_queue_runs_on_the_database(sessions, make_tickets):
    first, second = make_tickets(2)
    dead = connect_redis(f"redis://127.0.0.1:{free_port()}/0", timeout=1)
    queue = RedisQueue(dead, sessions, prefix="cbtest:dead")
    try:
        queue.enqueue(first, None, "general", now=NOW)
        queue.enqueue(second, None, "major", now=NOW + timedelta(seconds=1))
        queue.set_presence("alice", "on_duty", now=NOW)
        assert [item.ticket_id for item in DatabaseQueue(sessions).items()] == [second, first]
        assert queue.position(first) == 2
        assert queue.on_duty(now=NOW) == ["alice"]
        assert queue.heartbeat("alice", now=NOW + timedelta(seconds=30)) is True

        health = queue.health()
        assert health["ok"] is False
        assert (health["backend"], health["fallback"], health["length"]) == (
            "redis",
            "database",
            2,
        )
        assert health["error"] == "ConnectionError"
        assert queue.claim_next("alice", now=NOW).ticket_id == second
        assert queue.claim(first, "alice", now=NOW) is not None
        assert queue.length() == 0
    finally:
        queue.close()


@pytest.fixture
def private_redis(tmp_path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, which it may kill and start again (a real outage)."""
    server = start_private_redis(tmp_path)
    yield server
    server.kill()


def test_after_an_outage_the_queue_is_rebuilt_when_redis_is_back(
    private_redis, sessions, make_tickets
):
    first, second, third = make_tickets(3)
    client = connect_redis(f"redis://127.0.0.1:{private_redis.port}/0", timeout=1)
    queue = RedisQueue(client, sessions, prefix="cb:handoff", retry_after=0)
    try:
        queue.enqueue(first, None, "general", now=NOW)
        queue.set_presence("alice", "on_duty", now=NOW)
        private_redis.kill()

        queue.enqueue(second, None, "major", now=NOW + timedelta(seconds=1))
        queue.enqueue(third, None, "general", now=NOW + timedelta(seconds=2))
        assert queue.claim_next("alice", now=NOW + timedelta(seconds=3)).ticket_id == second
        assert queue.health()["ok"] is False

        private_redis.start()  # back, and empty: no persistence
        assert [item.ticket_id for item in queue.items()] == [first, third]
        assert client.zcard(queue.keys.queue) == 2
        assert queue.on_duty(now=NOW + timedelta(seconds=3)) == ["alice"]
        assert queue.health() == {"ok": True, "backend": "redis", "length": 2}
    finally:
        queue.close()
