"""The queue contract, on every backend: DatabaseQueue and RedisQueue, each over SQLite and
PostgreSQL. Times come from the tests (no sleeping)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.conversations.store import get_or_create_conversation
from bot.db import transaction
from bot.handoff.models import QueueClaim
from bot.handoff.queue import estimate_wait

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)  # when the tickets were created


def _ids(items) -> list[str]:
    return [item.ticket_id for item in items]


def _drain(queue, agent: str, **kwargs) -> list[str]:
    claimed = []
    while (item := queue.claim_next(agent, now=NOW + timedelta(hours=1), **kwargs)) is not None:
        claimed.append(item.ticket_id)
    return claimed


def test_order_is_severity_then_boost_then_waiting_time(queue, make_tickets):
    old, new, major, urgent, reopened, major_reopened = make_tickets(6)
    queue.enqueue(old, None, "general", now=NOW)
    queue.enqueue(new, None, "general", now=NOW + timedelta(seconds=1))
    queue.enqueue(major, None, "major", now=NOW + timedelta(seconds=2))
    queue.enqueue(urgent, None, "urgent", now=NOW + timedelta(seconds=3))
    queue.enqueue(reopened, None, "general", boost=1, now=NOW + timedelta(seconds=4))
    queue.enqueue(major_reopened, None, "major", boost=1, now=NOW + timedelta(seconds=5))

    # A boost lifts a ticket above its own severity, never above a more severe one.
    expected = [urgent, major_reopened, major, reopened, old, new]
    assert _ids(queue.items()) == expected
    assert [queue.position(ticket) for ticket in expected] == [1, 2, 3, 4, 5, 6]
    assert queue.length() == 6
    assert _drain(queue, "alice") == expected
    assert queue.length() == 0
    assert queue.items() == []


def test_order_by_waiting_time_to_the_millisecond(queue, make_tickets):
    first, second = make_tickets(2)
    queue.enqueue(second, None, "general", now=NOW + timedelta(milliseconds=2))
    queue.enqueue(first, None, "general", now=NOW + timedelta(milliseconds=1))
    assert _ids(queue.items()) == [first, second]


def test_enqueue_again_updates_the_item_and_never_duplicates(queue, make_tickets, sessions):
    first, second = make_tickets(2)
    with transaction(sessions) as session:
        conversation = get_or_create_conversation(
            session, channel="rest", sender_id="cust-0", now=NOW
        ).id
    queue.enqueue(first, conversation, "general", boost=1, now=NOW)
    queue.enqueue(second, None, "major", now=NOW + timedelta(seconds=1))
    assert _ids(queue.items()) == [second, first]

    again = queue.enqueue(first, None, "urgent", team="safety", now=NOW + timedelta(minutes=5))
    assert queue.length() == 2
    assert _ids(queue.items()) == [first, second]
    # The waiting time is kept, the boost never drops, a missing conversation keeps the old.
    assert again.enqueued_at == NOW
    assert (again.severity, again.boost, again.team) == ("urgent", 1, "safety")
    assert again.conversation_id == conversation
    assert queue.get(first) == again

    lowered = queue.enqueue(first, conversation, "general", now=NOW + timedelta(minutes=6))
    assert (lowered.severity, lowered.boost, lowered.team) == ("general", 1, None)
    assert _ids(queue.items()) == [second, first]


def test_bad_input_is_refused_and_nothing_queued(queue, make_tickets):
    (ticket,) = make_tickets(1)
    with pytest.raises(ValueError, match="severity"):
        queue.enqueue(ticket, None, "critical", now=NOW)
    with pytest.raises(ValueError, match="boost"):
        queue.enqueue(ticket, None, "general", boost=-1, now=NOW)
    with pytest.raises(ValueError, match="team"):
        queue.enqueue(ticket, None, "general", team="x" * 41, now=NOW)
    with pytest.raises(ValueError, match="naive"):
        queue.enqueue(ticket, None, "general", now=NOW.replace(tzinfo=None))
    with pytest.raises(ValueError, match="presence"):
        queue.set_presence("alice", "busy", now=NOW)
    assert queue.length() == 0


def test_claim_next_keeps_to_the_agents_teams(queue, make_tickets):
    billing, anyone, safety = make_tickets(3)
    queue.enqueue(billing, None, "general", team="billing", now=NOW)
    queue.enqueue(anyone, None, "general", now=NOW + timedelta(seconds=1))
    queue.enqueue(safety, None, "urgent", team="safety", now=NOW + timedelta(seconds=2))

    assert queue.claim_next("bob", teams=["billing"], now=NOW).ticket_id == billing
    # No teams at all: only items that anyone may take.
    assert queue.claim_next("carol", teams=[], now=NOW).ticket_id == anyone
    assert queue.claim_next("bob", teams=["billing"], now=NOW) is None
    assert queue.length() == 1
    assert queue.claim_next("alice", now=NOW).ticket_id == safety


def test_a_chosen_ticket_is_claimed_once_and_logged(queue, make_tickets, sessions):
    first, second = make_tickets(2)
    queue.enqueue(first, None, "general", now=NOW)
    queue.enqueue(second, None, "general", now=NOW + timedelta(seconds=1))

    taken = queue.claim(second, "alice", now=NOW + timedelta(minutes=3))
    assert taken is not None and taken.ticket_id == second
    assert queue.claim(second, "bob", now=NOW + timedelta(minutes=4)) is None
    assert queue.position(second) is None
    assert queue.position(first) == 1

    assert queue.remove(first) is True
    assert queue.remove(first) is False
    assert queue.claim(first, "bob", now=NOW) is None
    assert queue.length() == 0
    with sessions() as session:
        claims = session.execute(select(QueueClaim.ticket_id, QueueClaim.agent)).all()
    assert [tuple(row) for row in claims] == [(second, "alice")]


def test_a_claimed_ticket_can_be_queued_again(queue, make_tickets):
    first, second = make_tickets(2)
    queue.enqueue(first, None, "general", now=NOW)
    queue.enqueue(second, None, "general", now=NOW + timedelta(seconds=1))
    queue.claim(first, "alice", now=NOW + timedelta(minutes=1))
    # Reopened later: back above the normal tickets, with a new waiting time.
    reopened = queue.enqueue(first, None, "general", boost=1, now=NOW + timedelta(hours=2))
    assert reopened.enqueued_at == NOW + timedelta(hours=2)
    assert _ids(queue.items()) == [first, second]


def test_presence_heartbeats_and_expiry(queue):
    queue.set_presence("alice", "on_duty", now=NOW)
    queue.set_presence("bob", "on_duty", teams=["billing", " billing "], now=NOW)
    queue.set_presence("carol", "away", now=NOW)
    assert queue.on_duty(now=NOW) == ["alice", "bob"]
    assert queue.on_duty(now=NOW, team="safety") == ["alice"]
    assert queue.on_duty(now=NOW, team="billing") == ["alice", "bob"]
    assert queue.heartbeat("carol", now=NOW) is False

    assert queue.heartbeat("alice", now=NOW + timedelta(seconds=60)) is True
    # The TTL is 90 s: bob's last heartbeat still counts at 90 s, not after.
    assert queue.on_duty(now=NOW + timedelta(seconds=90)) == ["alice", "bob"]
    assert queue.on_duty(now=NOW + timedelta(seconds=91)) == ["alice"]
    # A heartbeat after expiry does not bring an agent back; setting them on duty does.
    assert queue.heartbeat("bob", now=NOW + timedelta(seconds=100)) is False
    assert queue.on_duty(now=NOW + timedelta(seconds=100)) == ["alice"]
    queue.set_presence("bob", "on_duty", teams=["billing"], now=NOW + timedelta(seconds=101))
    assert queue.on_duty(now=NOW + timedelta(seconds=101), team="safety") == ["alice"]
    assert queue.on_duty(now=NOW + timedelta(seconds=101)) == ["alice", "bob"]

    queue.set_presence("alice", "away", now=NOW + timedelta(seconds=102))
    assert queue.heartbeat("alice", now=NOW + timedelta(seconds=103)) is False
    assert queue.on_duty(now=NOW + timedelta(seconds=103)) == ["bob"]


def test_estimate_wait_formula():
    waits = [timedelta(seconds=s) for s in (60, 600, 120)]
    assert estimate_wait(waits, position=3, agents=2) == timedelta(seconds=180)
    assert estimate_wait(waits, position=1, agents=4) == timedelta(seconds=30)
    assert estimate_wait([], position=1, agents=1) is None
    assert estimate_wait(waits, position=1, agents=0) is None


def test_position_and_estimated_wait_from_recent_claims(queue, make_tickets):
    done_1, done_2, done_3, first, second, third, safety = make_tickets(7)
    assert queue.estimated_wait(first, now=NOW) is None  # not queued
    for ticket in (done_1, done_2, done_3):
        queue.enqueue(ticket, None, "general", now=NOW)
    queue.enqueue(first, None, "general", now=NOW + timedelta(seconds=1))
    queue.set_presence("alice", "on_duty", now=NOW)
    assert queue.estimated_wait(first, now=NOW) is None  # no history yet

    # History: 60 s, 120 s and 600 s from enqueue to claim; the median is 120 s.
    for ticket, waited in ((done_1, 60), (done_2, 600), (done_3, 120)):
        assert queue.claim(ticket, "alice", now=NOW + timedelta(seconds=waited)) is not None
    queue.enqueue(second, None, "general", now=NOW + timedelta(seconds=2))
    queue.enqueue(third, None, "general", now=NOW + timedelta(seconds=3))
    queue.enqueue(safety, None, "general", team="safety", now=NOW + timedelta(seconds=4))
    later = NOW + timedelta(minutes=10)
    queue.set_presence("alice", "on_duty", now=later)
    queue.set_presence("bob", "on_duty", teams=["billing"], now=later)

    assert queue.position(third) == 3
    assert queue.estimated_wait(first, now=later) == timedelta(seconds=60)  # 120 × 1 / 2
    assert queue.estimated_wait(third, now=later) == timedelta(seconds=180)  # 120 × 3 / 2
    # Only alice may take a safety item: 120 × 4 / 1.
    assert queue.estimated_wait(safety, now=later) == timedelta(seconds=480)
    queue.set_presence("alice", "away", now=later)
    assert queue.estimated_wait(safety, now=later) is None  # nobody on duty for it
    assert queue.estimated_wait(first, now=later) == timedelta(seconds=120)  # bob alone


def test_twenty_agents_racing_claim_each_item_exactly_once(
    open_queue, make_tickets, sessions, time_limit
):
    tickets = make_tickets(100)
    queue = open_queue()
    for number, ticket in enumerate(tickets):
        severity = ("general", "major", "urgent")[number % 3]
        queue.enqueue(ticket, None, severity, now=NOW + timedelta(milliseconds=number))
    agents = [open_queue() for _ in range(20)]  # each with connections of its own
    start = threading.Barrier(len(agents))
    claimed: dict[str, list[str]] = {}
    errors: list[BaseException] = []

    def work(name: str, agent_queue) -> None:
        try:
            start.wait()
            claimed[name] = _drain(agent_queue, name)
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(f"agent{number:02d}", agent_queue))
        for number, agent_queue in enumerate(agents)
    ]
    with time_limit(40):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    counts = Counter(ticket for taken in claimed.values() for ticket in taken)
    assert sorted(counts) == sorted(tickets)
    assert set(counts.values()) == {1}
    assert queue.length() == 0
    with sessions() as session:
        logged = session.execute(
            select(QueueClaim.ticket_id, func.count()).group_by(QueueClaim.ticket_id)
        ).all()
    assert len(logged) == 100 and all(count == 1 for _ticket, count in logged)
    # Each agent's own claims come out in queue order: most severe first.
    rank = {"urgent": 0, "major": 1, "general": 2}
    severity = {ticket: ("general", "major", "urgent")[n % 3] for n, ticket in enumerate(tickets)}
    for taken in claimed.values():
        ranks = [rank[severity[ticket]] for ticket in taken]
        assert ranks == sorted(ranks)
