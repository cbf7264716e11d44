"""Raising a waiting ticket's priority (the SLA monitor's escalation of a breached ticket),
on every backend: never lower, never back in the queue once claimed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def test_prioritise_raises_severity_and_boost_and_keeps_the_waiting_time(queue, make_tickets):
    breached, ahead, urgent = make_tickets(3)
    queue.enqueue(breached, None, "general", now=NOW)
    queue.enqueue(ahead, None, "major", boost=1, now=NOW - timedelta(minutes=5))
    queue.enqueue(urgent, None, "urgent", now=NOW + timedelta(minutes=5))

    item = queue.prioritise(breached, severity="major", boost=2)
    assert item is not None
    assert (item.severity, item.boost, item.enqueued_at) == ("major", 2, NOW)
    assert [i.ticket_id for i in queue.items()] == [urgent, breached, ahead]
    assert queue.position(breached) == 2


def test_prioritise_never_lowers_severity_or_boost(queue, make_tickets):
    (ticket,) = make_tickets(1)
    queue.enqueue(ticket, None, "urgent", boost=3, now=NOW)
    item = queue.prioritise(ticket, severity="general", boost=2)
    assert item is not None and (item.severity, item.boost) == ("urgent", 3)
    assert queue.get(ticket) == item


def test_prioritise_does_not_put_a_claimed_ticket_back(queue, make_tickets):
    claimed, waiting = make_tickets(2)
    queue.enqueue(claimed, None, "general", now=NOW)
    queue.enqueue(waiting, None, "general", now=NOW + timedelta(seconds=1))
    assert queue.claim(claimed, "alice", now=NOW + timedelta(minutes=1)) is not None

    assert queue.prioritise(claimed, severity="major", boost=2) is None
    assert [i.ticket_id for i in queue.items()] == [waiting]
    assert queue.length() == 1


def test_a_severity_change_moves_a_waiting_ticket_up_or_down(queue, make_tickets):
    """A person's new severity (the console's severity form) re-orders the queue both ways;
    the boost and the waiting time stay."""
    lowered, general, major = make_tickets(3)
    queue.enqueue(lowered, None, "urgent", boost=1, now=NOW + timedelta(minutes=9))
    queue.enqueue(general, None, "general", now=NOW)
    queue.enqueue(major, None, "major", now=NOW + timedelta(minutes=1))
    assert [i.ticket_id for i in queue.items()] == [lowered, major, general]

    item = queue.set_severity(lowered, "general")
    assert item is not None
    assert (item.severity, item.boost, item.enqueued_at) == (
        "general",
        1,
        NOW + timedelta(minutes=9),
    )
    # Down to general, yet its boost keeps it ahead of the general ticket that waited longer.
    assert [i.ticket_id for i in queue.items()] == [major, lowered, general]
    assert queue.position(lowered) == 2

    assert queue.set_severity(lowered, "urgent") is not None
    assert [i.ticket_id for i in queue.items()] == [lowered, major, general]
    assert queue.set_severity(major, "general") is not None
    assert [i.ticket_id for i in queue.items()] == [lowered, general, major]
    assert queue.get(major).severity == "general"


def test_a_severity_change_does_not_put_a_claimed_ticket_back(queue, make_tickets):
    (claimed,) = make_tickets(1)
    queue.enqueue(claimed, None, "urgent", now=NOW)
    assert queue.claim(claimed, "alice", now=NOW + timedelta(minutes=1)) is not None
    assert queue.set_severity(claimed, "general") is None
    assert queue.items() == []
