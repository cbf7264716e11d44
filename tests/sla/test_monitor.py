"""Warnings, breaches, escalation and closing unrated tickets, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import transaction
from bot.handoff.queue import DatabaseQueue
from bot.sla.alerts import MAX_ATTEMPTS
from bot.sla.models import AlertDelivery, SlaAlert
from bot.tickets import lifecycle
from bot.tickets.audit import Actor
from bot.tickets.models import Ticket
from bot.tickets.service import lock_ticket

from .conftest import DESCRIPTION, EMAIL, NOW, PHONE, POLICY

FIRST_RESPONSE_DUE = NOW + timedelta(hours=24)
FIRST_RESPONSE_WARNING = NOW + timedelta(hours=24) * 0.8  # 19 h 12 min after opening
RESOLUTION_DUE = NOW + timedelta(hours=72)


def trail(sessions: sessionmaker[Session], ticket_id: str) -> list[tuple[str, str, Any]]:
    """(who, what, data) of every event on the ticket."""
    with sessions() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        return [(event.actor, event.action, event.data) for event in ticket.events]


def deliveries(sessions: sessionmaker[Session]) -> list[AlertDelivery]:
    with sessions() as session:
        return list(session.execute(select(AlertDelivery)).scalars())


def alert_count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return len(session.execute(select(SlaAlert.id)).all())


async def test_warning_at_80_percent_is_delivered_once_without_personal_data(
    monitor, make_ticket, webhook, sessions
):
    ticket_id = make_ticket()

    early = await monitor.tick(FIRST_RESPONSE_WARNING - timedelta(minutes=1))
    assert early.ran and early.warnings == [] and webhook.requests == []

    report = await monitor.tick(FIRST_RESPONSE_WARNING)
    assert [(a.ticket_id, a.kind, a.deadline) for a in report.warnings] == [
        (ticket_id, "warning", "first_response")
    ]
    assert (report.breaches, report.sent, report.failed) == ([], 1, 0)
    [request] = webhook.requests
    assert request.json == {
        "alert_id": report.warnings[0].id,
        "ticket_id": ticket_id,
        "kind": "warning",
        "deadline": "first_response",
        "due": "2026-11-23T09:30:00Z",
        "severity": "general",
        "category": "delivery",
        "link": f"/console#ticket={ticket_id}",
        "raised_at": "2026-11-23T04:42:00Z",
    }
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Idempotency-Key"] == f"sla-alert-{report.warnings[0].id}"
    for personal in (PHONE, EMAIL, DESCRIPTION, "cust-1"):
        assert personal not in request.body.decode()

    for later in (FIRST_RESPONSE_WARNING + timedelta(minutes=1), NOW + timedelta(hours=23)):
        again = await monitor.tick(later)
        assert (again.warnings, again.breaches, again.sent) == ([], [], 0)
    assert len(webhook.requests) == 1
    warned = [data for _who, what, data in trail(sessions, ticket_id) if what == "sla_warning"]
    assert warned == [
        {
            "deadline": "first_response",
            "due": "2026-11-23T09:30:00Z",
            "alert_id": report.warnings[0].id,
        }
    ]


async def test_resolution_warning_counts_from_the_last_reopening(monitor, make_ticket, sessions):
    ticket_id = make_ticket()
    resolved_at, reopened_at = NOW + timedelta(hours=2), NOW + timedelta(hours=50)
    agent = Actor.agent("alice")
    with transaction(sessions) as session:
        ticket = lock_ticket(session, ticket_id)
        lifecycle.change_status(ticket, "resolved", actor=agent, now=resolved_at, policy=POLICY)
    with transaction(sessions) as session:
        ticket = lock_ticket(session, ticket_id)
        lifecycle.change_status(ticket, "reopened", actor=agent, now=reopened_at, policy=POLICY)
    # 80 % of 72 h from creation would be NOW + 57.6 h; from the reopening it is 57.6 h later.
    assert (await monitor.tick(NOW + timedelta(hours=60))).warnings == []
    report = await monitor.tick(reopened_at + timedelta(hours=72) * 0.8)
    assert [(a.deadline, a.due) for a in report.warnings] == [
        ("resolution", reopened_at + timedelta(hours=72))
    ]


async def test_breach_alerts_once_per_deadline_and_escalates_within_the_queue(
    open_monitor, make_ticket, webhook, sessions
):
    late = make_ticket("late")
    # Opened two hours later: at the first ticket's breach it is only at 92 %.
    newer = make_ticket("newer", now=NOW + timedelta(hours=2))
    queue = DatabaseQueue(sessions)
    # Queued as major by an agent's call: the breach must not lower that to the ticket's general.
    queue.enqueue(late, None, "major", now=NOW)
    queue.enqueue(newer, None, "major", boost=1, now=NOW - timedelta(minutes=5))
    assert [item.ticket_id for item in queue.items()] == [newer, late]
    monitor = open_monitor(queue=queue)

    report = await monitor.tick(FIRST_RESPONSE_DUE + timedelta(minutes=1))
    assert [(a.ticket_id, a.deadline) for a in report.breaches] == [(late, "first_response")]
    assert [(a.ticket_id, a.deadline) for a in report.warnings] == [(newer, "first_response")]
    assert report.flagged == [late] and report.requeued == [late]
    breach_body = next(body for body in webhook.delivered if body["kind"] == "breach")
    assert (breach_body["ticket_id"], breach_body["deadline"]) == (late, "first_response")

    # Up within its severity (boost 2 beats 1), severity and waiting time kept.
    items = queue.items()
    assert [(i.ticket_id, i.severity, i.boost) for i in items] == [
        (late, "major", 2),
        (newer, "major", 1),
    ]
    assert items[0].enqueued_at == NOW
    with sessions() as session:
        assert session.get(Ticket, late).sla_breached is True  # type: ignore[union-attr]
        assert session.get(Ticket, newer).sla_breached is False  # type: ignore[union-attr]
    events = [(who, what) for who, what, _data in trail(sessions, late)]
    assert events.count(("system", "sla_breached")) == 1
    assert events.count(("system", "escalated_to_supervisors")) == 1

    for later in (NOW + timedelta(hours=25), NOW + timedelta(hours=30)):
        again = await monitor.tick(later)
        assert late not in [a.ticket_id for a in again.breaches]
    assert [b["ticket_id"] for b in webhook.delivered if b["kind"] == "breach"] == [late, newer]

    final = await monitor.tick(RESOLUTION_DUE + timedelta(minutes=1))
    assert (late, "resolution") in [(a.ticket_id, a.deadline) for a in final.breaches]
    escalations = [d for _w, what, d in trail(sessions, late) if what == "escalated_to_supervisors"]
    assert [d["deadline"] for d in escalations] == ["first_response", "resolution"]
    assert (await monitor.tick(RESOLUTION_DUE + timedelta(hours=1))).breaches == []
    sent = [(b["ticket_id"], b["kind"], b["deadline"]) for b in webhook.delivered]
    assert len(sent) == len(set(sent))  # never the same alert twice


async def test_a_ticket_answered_in_time_is_neither_warned_nor_breached(
    monitor, make_ticket, sessions, webhook
):
    ticket_id = make_ticket()
    with transaction(sessions) as session:
        ticket = lock_ticket(session, ticket_id)
        lifecycle.change_status(
            ticket, "in_progress", actor=Actor.agent("alice"), now=NOW + timedelta(hours=1),
            policy=POLICY,
        )  # fmt: skip
    report = await monitor.tick(FIRST_RESPONSE_DUE + timedelta(hours=1))
    assert (report.warnings, report.breaches) == ([], [])
    assert webhook.requests == []


async def test_resolved_tickets_without_a_rating_are_closed_after_the_follow_up_days(
    monitor, make_ticket, sessions
):
    unrated, rated = make_ticket("quiet"), make_ticket("happy")
    resolved_at = NOW + timedelta(hours=1)
    for ticket_id in (unrated, rated):
        with transaction(sessions) as session:
            ticket = lock_ticket(session, ticket_id)
            lifecycle.change_status(
                ticket, "resolved", actor=Actor.agent("alice"), now=resolved_at, policy=POLICY
            )
            if ticket_id == rated:
                ticket.csat = 4
    assert monitor._followup == timedelta(days=3)  # COMPLAINTBOT_FOLLOWUP_DAYS default

    assert (await monitor.tick(resolved_at + timedelta(days=3, minutes=-1))).closed == []
    report = await monitor.tick(resolved_at + timedelta(days=3))
    assert report.closed == [unrated]
    with sessions() as session:
        closed = session.get(Ticket, unrated)
        assert closed is not None and closed.status == "closed"
        assert closed.closed_at == resolved_at + timedelta(days=3)
        assert session.get(Ticket, rated).status == "resolved"  # type: ignore[union-attr]
    last = trail(sessions, unrated)[-1]
    assert last == (
        "system",
        "status_changed",
        {"from": "resolved", "to": "closed", "note": "closed without a rating"},
    )
    assert (await monitor.tick(resolved_at + timedelta(days=4))).closed == []


async def test_a_failed_webhook_is_retried_later_and_sent_once(
    monitor, make_ticket, webhook, sessions
):
    make_ticket()
    webhook.failures = [500]
    first = await monitor.tick(FIRST_RESPONSE_WARNING)
    assert (len(first.warnings), first.sent, first.failed) == (1, 0, 1)
    [delivery] = deliveries(sessions)
    assert (delivery.attempts, delivery.sent_at, delivery.last_error) == (
        1,
        None,
        "DeliveryFailed: HTTP 500",
    )

    # Not before the retry delay (30 s), then once.
    assert (await monitor.tick(FIRST_RESPONSE_WARNING + timedelta(seconds=10))).sent == 0
    retried = await monitor.tick(FIRST_RESPONSE_WARNING + timedelta(seconds=31))
    assert (retried.sent, retried.failed) == (1, 0)
    assert (await monitor.tick(FIRST_RESPONSE_WARNING + timedelta(hours=2))).sent == 0

    assert [r.status for r in webhook.requests] == [500, 200]
    assert len({r.json["alert_id"] for r in webhook.requests}) == 1
    [delivery] = deliveries(sessions)
    assert delivery.attempts == 2 and delivery.last_error is None
    assert delivery.sent_at == FIRST_RESPONSE_WARNING + timedelta(seconds=31)


async def test_an_unreachable_webhook_is_given_up_after_the_attempt_cap(
    monitor, make_ticket, webhook, sessions
):
    make_ticket()
    webhook.always_fail = True
    # Every 30 min (the longest retry delay), still before the deadline: no breach alert.
    for tick in range(MAX_ATTEMPTS + 2):
        await monitor.tick(FIRST_RESPONSE_WARNING + timedelta(minutes=30) * tick)
    assert len(webhook.requests) == MAX_ATTEMPTS
    [delivery] = deliveries(sessions)
    assert delivery.attempts == MAX_ATTEMPTS and delivery.sent_at is None
    assert alert_count(sessions) == 1
