"""Changing tickets: severity and deadlines, first response, breaches, audited updates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.db import transaction
from bot.paths import DEFAULT_SLA_POLICY
from bot.tickets.audit import BOT, SERVICE, Actor
from bot.tickets.lifecycle import InvalidTransition, change_status
from bot.tickets.models import Ticket, TicketEvent
from bot.tickets.service import (
    InvalidChange,
    apply_changes,
    change_severity,
    get_ticket,
    lock_ticket,
    mark_breaches,
    record_first_response,
)
from bot.tickets.sla import load_policy

POLICY = load_policy(DEFAULT_SLA_POLICY)
NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)  # the tickets fixtures' creation time

ALICE = Actor.agent("alice")


def _apply(sessions, ticket_id, changes, actor=ALICE, now=NOW + timedelta(minutes=30)):
    with transaction(sessions) as session:
        ticket = lock_ticket(session, ticket_id)
        apply_changes(session, ticket=ticket, changes=changes, actor=actor, now=now, policy=POLICY)


def _events(sessions, ticket_id):
    with sessions() as session:
        return [(e.actor, e.action, e.data) for e in get_ticket(session, ticket_id).events]


def test_severity_change_recomputes_deadlines_from_creation(sessions, make_ticket):
    ticket_id = make_ticket()
    with transaction(sessions) as session:
        ticket = lock_ticket(session, ticket_id)
        assert ticket.severity == "general"
        changed = change_severity(
            ticket, "major", actor=ALICE, now=NOW + timedelta(hours=5), policy=POLICY
        )
        assert changed is True
    with sessions() as session:
        ticket = get_ticket(session, ticket_id)
        assert ticket.first_response_due == NOW + timedelta(hours=2)
        assert ticket.resolution_due == NOW + timedelta(hours=24)
        event = ticket.events[-1]
    assert (event.actor, event.action) == ("agent:alice", "field_changed")
    assert event.data["field"] == "severity"
    assert (event.data["before"], event.data["after"]) == ("general", "major")
    assert event.data["resolution_due"] == {
        "before": "2026-11-25T09:30:00Z",
        "after": "2026-11-23T09:30:00Z",
    }


def test_same_severity_is_no_change(sessions, make_ticket):
    ticket_id = make_ticket()
    with transaction(sessions) as session:
        ticket = lock_ticket(session, ticket_id)
        assert change_severity(ticket, "general", actor=ALICE, now=NOW, policy=POLICY) is False
    assert [action for _, action, _ in _events(sessions, ticket_id)] == ["created"]


def test_severity_change_after_reopening_counts_resolution_from_the_reopening(
    sessions, make_ticket
):
    ticket_id = make_ticket()
    reopened_at = NOW + timedelta(days=2)
    with transaction(sessions) as session:
        ticket = lock_ticket(session, ticket_id)
        change_status(ticket, "resolved", actor=ALICE, now=NOW + timedelta(hours=1), policy=POLICY)
        change_status(ticket, "reopened", actor=BOT, now=reopened_at, policy=POLICY)
    with transaction(sessions) as session:
        ticket = lock_ticket(session, ticket_id)
        change_severity(ticket, "major", actor=ALICE, now=reopened_at, policy=POLICY)
    with sessions() as session:
        ticket = get_ticket(session, ticket_id)
        assert ticket.first_response_due == NOW + timedelta(hours=2)
        assert ticket.resolution_due == reopened_at + timedelta(hours=24)
        assert ticket.reopen_count == 1


def test_record_first_response_stamps_only_the_first(sessions, make_ticket):
    ticket_id = make_ticket()
    first, second = NOW + timedelta(hours=1), NOW + timedelta(hours=2)
    with transaction(sessions) as session:
        assert record_first_response(session, ticket_id=ticket_id, agent="alice", now=first)
    with transaction(sessions) as session:
        assert not record_first_response(session, ticket_id=ticket_id, agent="bob", now=second)
    with sessions() as session:
        ticket = get_ticket(session, ticket_id)
        assert ticket.first_responded_at == first
        assert ticket.sla_breached is False
    assert _events(sessions, ticket_id)[-1] == (
        "agent:alice",
        "first_response",
        {"due": "2026-11-23T09:30:00Z", "late": False},
    )


def test_a_late_first_response_breaches(sessions, make_ticket):
    ticket_id = make_ticket()
    with transaction(sessions) as session:
        record_first_response(
            session, ticket_id=ticket_id, agent="alice", now=NOW + timedelta(hours=30)
        )
    with sessions() as session:
        assert get_ticket(session, ticket_id).sla_breached is True
    assert _events(sessions, ticket_id)[-1][:2] == ("system", "sla_breached")


def test_a_note_is_not_a_response_but_working_the_ticket_is(sessions, make_ticket):
    ticket_id = make_ticket()
    _apply(sessions, ticket_id, {"note": "called the courier"})
    with sessions() as session:
        assert get_ticket(session, ticket_id).first_responded_at is None
    _apply(sessions, ticket_id, {"status": "in_progress"}, now=NOW + timedelta(hours=1))
    with sessions() as session:
        ticket = get_ticket(session, ticket_id)
        assert ticket.first_responded_at == NOW + timedelta(hours=1)
        assert ticket.assigned_agent == "alice"  # starting an unassigned ticket takes it
    actions = [(who, what) for who, what, _ in _events(sessions, ticket_id)]
    assert actions == [
        ("bot", "created"),
        ("agent:alice", "note"),
        ("agent:alice", "field_changed"),
        ("agent:alice", "status_changed"),
        ("agent:alice", "first_response"),
    ]
    assert _events(sessions, ticket_id)[1][2] == {"text": "called the courier"}
    assert _events(sessions, ticket_id)[2][2] == {
        "field": "assigned_agent",
        "before": None,
        "after": "alice",
    }


def test_an_invalid_update_writes_nothing(sessions, make_ticket, make_agent):
    make_agent("bob")
    ticket_id = make_ticket()
    with pytest.raises(InvalidTransition, match="cannot go from open to closed"):
        _apply(
            sessions,
            ticket_id,
            {"assigned_agent": "bob", "severity": "major", "note": "x", "status": "closed"},
            actor=SERVICE,
        )
    with sessions() as session:
        ticket = get_ticket(session, ticket_id)
        assert (ticket.status, ticket.severity, ticket.assigned_agent) == ("open", "general", None)
        assert session.execute(select(TicketEvent.action)).scalars().all() == ["created"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"assigned_agent": "nobody"}, "no active agent named 'nobody'"),
        ({"assigned_agent": "carol"}, "no active agent named 'carol'"),  # deactivated
        ({"severity": "critical"}, "unknown severity"),
        ({"validity": "maybe"}, "validity must be one of"),
        ({"csat": 5}, "cannot change csat"),
    ],
)
def test_invalid_values_are_refused(sessions, make_ticket, make_agent, changes, message):
    from bot.agents.service import deactivate_agent

    make_agent("carol")
    with transaction(sessions) as session:
        deactivate_agent(session, username="carol")
    ticket_id = make_ticket()
    with pytest.raises(InvalidChange, match=message):
        _apply(sessions, ticket_id, changes, actor=SERVICE)


def test_every_change_is_audited_before_and_after(sessions, make_ticket, make_agent):
    make_agent("bob")
    ticket_id = make_ticket()
    _apply(
        sessions,
        ticket_id,
        {"assigned_agent": "bob", "validity": "valid", "resolution_note": "refunded"},
        actor=SERVICE,
    )
    _apply(sessions, ticket_id, {"assigned_agent": None}, actor=SERVICE)
    changes = [
        (data["field"], data["before"], data["after"])
        for who, what, data in _events(sessions, ticket_id)
        if what == "field_changed"
    ]
    assert changes == [
        ("assigned_agent", None, "bob"),
        ("validity", None, "valid"),
        ("resolution_note", None, "refunded"),
        ("assigned_agent", "bob", None),
    ]
    assert {who for who, what, _ in _events(sessions, ticket_id) if what != "created"} == {
        "service"
    }


def _ticket_at(sessions, make_ticket, sender, status="open", responded=None, resolved=None):
    ticket_id = make_ticket(sender)
    with transaction(sessions) as session:
        ticket = lock_ticket(session, ticket_id)
        ticket.status = status
        ticket.first_responded_at = responded
        ticket.resolved_at = resolved
    return ticket_id


def test_mark_breaches_flags_missed_deadlines_and_never_clears(sessions, make_ticket):
    # general: first response 24 h, resolution 72 h
    unanswered = _ticket_at(sessions, make_ticket, "a")
    answered_late = _ticket_at(
        sessions, make_ticket, "b", "in_progress", responded=NOW + timedelta(hours=25)
    )
    on_track = _ticket_at(sessions, make_ticket, "c", "in_progress", responded=NOW)
    resolved_in_time = _ticket_at(
        sessions, make_ticket, "d", "resolved", NOW, NOW + timedelta(hours=2)
    )
    withdrawn = _ticket_at(sessions, make_ticket, "e", "withdrawn")

    with transaction(sessions) as session:
        first = mark_breaches(session, NOW + timedelta(hours=26))
    assert sorted(first) == sorted([unanswered, answered_late])
    with transaction(sessions) as session:
        later = mark_breaches(session, NOW + timedelta(hours=73))
    assert later == [on_track]  # its resolution is now overdue
    with transaction(sessions) as session:
        assert mark_breaches(session, NOW + timedelta(days=30)) == []

    with transaction(sessions) as session:  # a fix afterwards does not undo the breach
        ticket = lock_ticket(session, on_track)
        change_status(ticket, "resolved", actor=ALICE, now=NOW + timedelta(days=4), policy=POLICY)
    with sessions() as session:
        flags = dict(session.execute(select(Ticket.id, Ticket.sla_breached)).all())
    assert flags == {
        unanswered: True,
        answered_late: True,
        on_track: True,
        resolved_in_time: False,
        withdrawn: False,
    }
    kinds = {
        ticket_id: data["which"]
        for ticket_id in (unanswered, answered_late, on_track)
        for who, what, data in _events(sessions, ticket_id)
        if what == "sla_breached"
    }
    assert kinds == {
        unanswered: "first_response",
        answered_late: "first_response",
        on_track: "resolution",
    }


def test_nothing_is_breached_before_the_deadline(sessions, make_ticket):
    make_ticket()
    with transaction(sessions) as session:
        assert mark_breaches(session, NOW + timedelta(hours=23, minutes=59)) == []
