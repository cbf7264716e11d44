"""The lifecycle table: every allowed transition works, every other one is refused."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from bot.paths import DEFAULT_SLA_POLICY
from bot.tickets.audit import BOT, SERVICE, Actor
from bot.tickets.lifecycle import TRANSITIONS, InvalidTransition, change_status
from bot.tickets.models import STATUSES, Ticket
from bot.tickets.sla import load_policy

POLICY = load_policy(DEFAULT_SLA_POLICY)
CREATED = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
LATER = CREATED + timedelta(hours=1)
ALICE = Actor.agent("alice")

# Written out by hand on purpose: a change to the table must be a change to this test.
ALLOWED = {
    ("open", "escalated"), ("open", "in_progress"), ("open", "resolved"), ("open", "withdrawn"),
    ("escalated", "in_progress"), ("escalated", "resolved"), ("escalated", "withdrawn"),
    ("in_progress", "escalated"), ("in_progress", "resolved"), ("in_progress", "withdrawn"),
    ("reopened", "escalated"), ("reopened", "in_progress"), ("reopened", "resolved"),
    ("reopened", "withdrawn"),
    ("resolved", "closed"), ("resolved", "reopened"),
}  # fmt: skip
FORBIDDEN = sorted(set(itertools.product(STATUSES, STATUSES)) - ALLOWED)


def _ticket(status: str = "open", severity: str = "general") -> Ticket:
    ticket = Ticket(
        id="CP-20261122-0001",
        status=status,
        category="delivery",
        severity=severity,
        channel="rest",
        sender_id="cust-1",
        language="en",
        reopen_count=0,
        created_at=CREATED,
        updated_at=CREATED,
        sla_breached=False,
    )
    ticket.first_response_due, ticket.resolution_due = POLICY.deadlines(severity, CREATED)
    return ticket


def test_the_table_is_exactly_the_documented_one():
    table = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert table == ALLOWED
    assert set(TRANSITIONS) == set(STATUSES)


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_every_allowed_transition(current, target):
    ticket = _ticket(current)
    event = change_status(ticket, target, actor=ALICE, now=LATER, policy=POLICY)
    assert ticket.status == target
    assert ticket.updated_at == LATER
    assert (event.action, event.actor, event.at) == ("status_changed", "agent:alice", LATER)
    assert event.data["from"] == current and event.data["to"] == target
    assert ticket.events[0] is event


@pytest.mark.parametrize(("current", "target"), FORBIDDEN)
def test_every_other_transition_is_refused_and_writes_nothing(current, target):
    ticket = _ticket(current)
    with pytest.raises(InvalidTransition) as raised:
        change_status(ticket, target, actor=ALICE, now=LATER, policy=POLICY)
    assert ticket.status == current
    assert ticket.updated_at == CREATED
    assert ticket.events == []
    assert ticket.resolved_at is None and ticket.closed_at is None
    assert (raised.value.current, raised.value.target) == (current, target)


@pytest.mark.parametrize(
    ("current", "target", "message"),
    [
        ("closed", "reopened", "cannot go from closed to reopened; from closed: none"),
        ("open", "closed", "from open: escalated, in_progress, resolved, withdrawn"),
        ("resolved", "resolved", "already resolved"),
        ("open", "archived", "unknown status 'archived'"),
    ],
)
def test_refusals_say_what_is_allowed(current, target, message):
    with pytest.raises(InvalidTransition, match=message):
        change_status(_ticket(current), target, actor=ALICE, now=LATER, policy=POLICY)


def test_resolving_and_closing_stamp_their_times():
    ticket = _ticket("in_progress")
    change_status(ticket, "resolved", actor=ALICE, now=LATER, policy=POLICY)
    assert ticket.resolved_at == LATER
    assert ticket.closed_at is None
    closing = LATER + timedelta(days=1)
    change_status(ticket, "closed", actor=BOT, now=closing, policy=POLICY)
    assert (ticket.resolved_at, ticket.closed_at) == (LATER, closing)


def test_reopening_counts_and_restarts_the_resolution_clock():
    ticket = _ticket("in_progress", severity="major")
    change_status(ticket, "resolved", actor=ALICE, now=LATER, policy=POLICY)
    reopened_at = CREATED + timedelta(days=3)
    event = change_status(ticket, "reopened", actor=BOT, now=reopened_at, policy=POLICY)
    assert ticket.reopen_count == 1
    assert ticket.resolved_at is None
    assert ticket.resolution_due == reopened_at + timedelta(hours=24)
    assert event.data["resolution_due"] == "2026-11-26T09:30:00Z"
    change_status(ticket, "resolved", actor=ALICE, now=reopened_at, policy=POLICY)
    change_status(ticket, "reopened", actor=BOT, now=reopened_at, policy=POLICY)
    assert ticket.reopen_count == 2


@pytest.mark.parametrize("target", ["in_progress", "resolved"])
def test_an_agent_working_the_ticket_is_the_first_response(target):
    ticket = _ticket("open")
    change_status(ticket, target, actor=ALICE, now=LATER, policy=POLICY)
    assert ticket.first_responded_at == LATER
    assert [e.action for e in ticket.events] == ["status_changed", "first_response"]
    assert ticket.sla_breached is False


@pytest.mark.parametrize("actor", [BOT, SERVICE])
def test_machines_changing_status_are_not_a_response(actor):
    ticket = _ticket("open")
    change_status(ticket, "in_progress", actor=actor, now=LATER, policy=POLICY)
    assert ticket.first_responded_at is None


def test_escalating_is_not_a_response():
    ticket = _ticket("open")
    change_status(ticket, "escalated", actor=ALICE, now=LATER, policy=POLICY)
    assert ticket.first_responded_at is None


def test_a_later_response_keeps_the_first_stamp():
    ticket = _ticket("open")
    change_status(ticket, "in_progress", actor=ALICE, now=LATER, policy=POLICY)
    change_status(
        ticket, "resolved", actor=Actor.agent("bob"), now=LATER + timedelta(hours=2), policy=POLICY
    )
    assert ticket.first_responded_at == LATER


def test_late_first_response_and_late_resolution_breach_the_sla():
    ticket = _ticket("open", severity="major")  # 2h / 24h
    change_status(
        ticket, "in_progress", actor=ALICE, now=CREATED + timedelta(hours=3), policy=POLICY
    )
    assert ticket.sla_breached is True
    assert [e.action for e in ticket.events][-1] == "sla_breached"
    assert ticket.events[-1].data["which"] == "first_response"

    other = _ticket("in_progress", severity="major")
    other.first_responded_at = CREATED
    change_status(other, "resolved", actor=ALICE, now=CREATED + timedelta(hours=25), policy=POLICY)
    assert other.sla_breached is True
    assert other.events[-1].data == {"which": "resolution", "due": "2026-11-23T09:30:00Z"}


def test_resolving_in_time_is_no_breach():
    ticket = _ticket("in_progress", severity="major")
    ticket.first_responded_at = CREATED
    change_status(ticket, "resolved", actor=ALICE, now=CREATED + timedelta(hours=23), policy=POLICY)
    assert ticket.sla_breached is False
