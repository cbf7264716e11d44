"""Queues on real backends: the database queue on SQLite and PostgreSQL, and the Redis queue
(on Redis db 15, under a key prefix of its own per test) over each of those databases."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.db import make_engine, make_session_factory, transaction
from bot.handoff.queue import DatabaseQueue, HandoffQueue, RedisQueue, connect_redis
from bot.paths import DEFAULT_SLA_POLICY
from bot.tickets.service import NewTicket, create_ticket
from bot.tickets.sla import load_policy

POLICY = load_policy(DEFAULT_SLA_POLICY)
NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


@pytest.fixture
def redis_prefix(redis_url) -> Iterator[str]:
    """A key prefix no other test uses; its keys are deleted afterwards."""
    client = connect_redis(redis_url)
    prefix = f"cbtest:{uuid.uuid4().hex[:12]}:handoff"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture(params=["database", "redis"])
def open_queue(request, db_url, engine) -> Iterator[Callable[[], HandoffQueue]]:
    """Opens queues of one kind on the test's database, each with connections of its own
    (as separate gateway processes would have); all are closed afterwards."""
    on_redis = request.param == "redis"
    redis_url = request.getfixturevalue("redis_url") if on_redis else ""
    prefix = request.getfixturevalue("redis_prefix") if on_redis else ""
    opened: list[tuple[HandoffQueue, Engine]] = []

    def open_one() -> HandoffQueue:
        own_engine = make_engine(db_url)
        sessions = make_session_factory(own_engine)
        queue: HandoffQueue
        if on_redis:
            queue = RedisQueue(connect_redis(redis_url), sessions, prefix=prefix)
        else:
            queue = DatabaseQueue(sessions)
        opened.append((queue, own_engine))
        return queue

    yield open_one
    for queue, own_engine in opened:
        queue.close()
        own_engine.dispose()


@pytest.fixture
def queue(open_queue) -> HandoffQueue:
    return open_queue()


@pytest.fixture
def make_tickets(sessions: sessionmaker[Session]) -> Callable[[int], list[str]]:
    """Creates `count` tickets in one transaction; returns their ids in creation order."""

    def make(count: int) -> list[str]:
        with transaction(sessions) as session:
            return [
                create_ticket(
                    session,
                    new=NewTicket(
                        channel="rest",
                        sender_id=f"cust-{number}",
                        language="en",
                        category="delivery",
                        description="the parcel never arrived",
                    ),
                    policy=POLICY,
                    now=NOW,
                ).id
                for number in range(count)
            ]

    return make
