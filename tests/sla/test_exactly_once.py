"""Several monitors at once (separate engines, as separate gateways): one alert, one send.
The lease lets one monitor tick at a time; without it the unique alert key and the claimed
delivery attempts still keep every alert single."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import select

from bot.handoff.queue import connect_redis
from bot.sla.lease import DatabaseLease, RedisLease
from bot.sla.models import SlaAlert
from bot.sla.monitor import LEASE_NAME

from .conftest import NOW

T = TypeVar("T")
WARNING_TIME = NOW + timedelta(hours=24) * 0.8
TTL = timedelta(minutes=2)


def at_once(*calls: Callable[[], T]) -> list[T]:
    """Runs the calls in threads released together; returns their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], T]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except BaseException as exc:  # surfaced below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def alert_keys(sessions) -> list[tuple[str, str, str]]:
    with sessions() as session:
        rows = session.execute(select(SlaAlert.ticket_id, SlaAlert.kind, SlaAlert.deadline))
        return [tuple(row) for row in rows]


@pytest.fixture
def redis_lease(redis_url, sessions) -> Iterator[Callable[[], RedisLease]]:
    """Redis leases under a key prefix of this test's own (deleted afterwards)."""
    prefix = f"cbtest:{uuid.uuid4().hex[:12]}:lease"
    opened: list[RedisLease] = []

    def open_one() -> RedisLease:
        lease = RedisLease(
            connect_redis(redis_url),
            LEASE_NAME,
            ttl=TTL,
            fallback=DatabaseLease(sessions, LEASE_NAME, ttl=TTL),
            prefix=prefix,
        )
        opened.append(lease)
        return lease

    yield open_one
    client = connect_redis(redis_url)
    client.delete(f"{prefix}:{LEASE_NAME}")
    client.close()
    for lease in opened:
        lease.close()


@pytest.mark.parametrize("lock", ["database", "redis"])
def test_two_monitors_ticking_at_the_same_moment_raise_and_send_one_alert(
    request, lock, open_monitor, make_ticket, webhook, sessions
):
    ticket_id = make_ticket()
    if lock == "redis":
        open_lease = request.getfixturevalue("redis_lease")
        monitors = [open_monitor(lease=open_lease()) for _ in range(2)]
    else:
        monitors = [open_monitor() for _ in range(2)]

    reports = at_once(*(lambda m=m: asyncio.run(m.tick(WARNING_TIME)) for m in monitors))

    assert sum(len(r.warnings) for r in reports) == 1
    assert alert_keys(sessions) == [(ticket_id, "warning", "first_response")]
    assert [body["ticket_id"] for body in webhook.delivered] == [ticket_id]
    assert len(webhook.requests) == 1


def test_without_the_lease_the_alert_key_and_claimed_attempts_still_keep_alerts_single(
    open_monitor, make_ticket, webhook, sessions
):
    tickets = [make_ticket(f"cust-{n}") for n in range(12)]
    monitors = [open_monitor() for _ in range(3)]

    scans = at_once(*(lambda m=m: m.scan(WARNING_TIME) for m in monitors))
    raised = [alert.ticket_id for report in scans for alert in report.warnings]
    assert sorted(raised) == sorted(tickets)
    assert Counter(alert_keys(sessions)) == Counter(
        (ticket_id, "warning", "first_response") for ticket_id in tickets
    )

    sends = at_once(*(lambda m=m: asyncio.run(m.deliver(WARNING_TIME)) for m in monitors))
    assert sum(sent for sent, _failed in sends) == len(tickets)
    delivered = [body["alert_id"] for body in webhook.delivered]
    assert len(delivered) == len(set(delivered)) == len(tickets)


def test_database_lease_one_holder_until_released_or_expired(sessions):
    first = DatabaseLease(sessions, "job", ttl=TTL, holder="gateway-1")
    second = DatabaseLease(sessions, "job", ttl=TTL, holder="gateway-2")
    assert first.acquire(NOW) is True
    assert second.acquire(NOW + timedelta(minutes=1)) is False
    assert first.acquire(NOW + timedelta(minutes=1)) is True  # renewed by its holder
    second.release()  # not the holder: changes nothing
    assert second.acquire(NOW + timedelta(minutes=2)) is False

    # A holder that died: its lease lapses at expiry and another takes it.
    assert second.acquire(NOW + timedelta(minutes=3)) is True
    assert first.acquire(NOW + timedelta(minutes=3)) is False
    second.release()
    assert first.acquire(NOW + timedelta(minutes=3)) is True
    # Other names are other jobs.
    assert DatabaseLease(sessions, "other", ttl=TTL).acquire(NOW) is True


def test_database_lease_taken_by_one_of_many_at_once(sessions):
    leases = [DatabaseLease(sessions, "job", ttl=TTL, holder=f"gateway-{n}") for n in range(4)]
    assert sorted(at_once(*(lambda lease=lease: lease.acquire(NOW) for lease in leases))) == [
        False,
        False,
        False,
        True,
    ]


def test_redis_lease_expires_and_falls_back_to_the_database_when_redis_is_down(
    redis_lease, redis_url, sessions
):
    first, second = redis_lease(), redis_lease()
    assert first.acquire(NOW) is True
    assert second.acquire(NOW) is False
    client = connect_redis(redis_url)
    key = first.key
    assert 0 < client.pttl(key) <= TTL.total_seconds() * 1000  # Redis expires it
    second.release()
    assert client.get(key) == first.holder
    first.release()
    assert client.exists(key) == 0
    client.close()

    down = RedisLease(
        connect_redis("redis://127.0.0.1:1/0", timeout=0.5),
        LEASE_NAME,
        ttl=TTL,
        fallback=DatabaseLease(sessions, LEASE_NAME, ttl=TTL),
    )
    assert down.acquire(NOW) is True
    assert DatabaseLease(sessions, LEASE_NAME, ttl=TTL).acquire(NOW) is False
    down.release()
    assert DatabaseLease(sessions, LEASE_NAME, ttl=TTL).acquire(NOW) is True
    down.close()
