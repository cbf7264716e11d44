"""Teams (teams.yml): the file's rules, routing a new ticket to its owning team (product
before category, else the default team), hand-overs on the trail, and the per-team figures,
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import yaml

from bot.analytics.figures import Filters, by_team
from bot.db import transaction
from bot.paths import DEFAULT_SLA_POLICY
from bot.tickets.audit import Actor
from bot.tickets.service import NewTicket, create_ticket, get_ticket
from bot.tickets.sla import load_policy
from bot.tickets.teams import (
    HandOverError,
    TeamsError,
    hand_over,
    load_teams,
    parse_teams,
    team_policy,
)

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
POLICY = load_policy(DEFAULT_SLA_POLICY)
TEAMS_YAML = {
    "default": "coordination",
    "teams": [
        {"name": "coordination", "title": {"en": "Coordination", "zh-CN": "协调组"},
         "members": ["sue"]},
        {"name": "logistics", "members": ["alice"], "categories": ["delivery"]},
        {"name": "quality", "members": ["bob", "alice"],
         "categories": ["product_quality", "safety"], "products": ["Sofa"]},
        {"name": "furniture", "members": ["carol"], "products": ["sofa bed"]},
    ],
}  # fmt: skip
TEAMS = parse_teams(TEAMS_YAML)


@pytest.mark.parametrize(
    ("category", "product", "team", "why"),
    [
        ("delivery", None, "logistics", "category"),
        ("delivery", "grey SOFA, 3 seats", "quality", "product"),  # product before category
        ("billing", "sofa bed deluxe", "furniture", "product"),  # the longer name wins
        ("safety", "kettle", "quality", "category"),
        ("billing", "kettle", "coordination", "default"),
    ],
)
def test_routing_product_then_category_then_default(category, product, team, why):
    route = TEAMS.route(category, product)
    assert (route.team, route.why) == (team, why)


def test_without_a_default_unmatched_tickets_have_no_team():
    teams = parse_teams({"teams": TEAMS_YAML["teams"][1:]})
    assert (teams.route("billing", None).team, teams.route("billing", None).why) == (None, "none")
    assert teams.of_member("alice") == ["logistics", "quality"]
    assert teams.of_member("nobody") == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "non-empty 'teams' list"),
        ({"teams": [{"members": ["a"]}]}, r"teams\[0\]\.name: 1-40"),
        ({"teams": [{"name": "a", "categories": ["parcels"]}]}, "unknown parcels"),
        ({"teams": [{"name": "a"}, {"name": "a"}]}, "named twice"),
        ({"teams": [{"name": "a", "categories": ["delivery"]},
                    {"name": "b", "categories": ["delivery"]}]}, "owned by both a and b"),
        ({"default": "x", "teams": [{"name": "a"}]}, "default team 'x'"),
        ({"teams": [{"name": "a", "members": "alice"}]}, "members must be a list"),
        ({"teams": [{"name": "a" * 41}]}, "1-40 characters"),
    ],
)  # fmt: skip
def test_a_bad_teams_file_says_what_to_fix(raw, message):
    with pytest.raises(TeamsError, match=message):  # a regular expression
        parse_teams(raw)


def test_load_teams(tmp_path):
    assert load_teams(None) is None
    path = tmp_path / "teams.yml"
    path.write_text(yaml.safe_dump(TEAMS_YAML, allow_unicode=True), encoding="utf-8")
    assert load_teams(path) == TEAMS
    with pytest.raises(TeamsError, match="cannot read"):
        load_teams(tmp_path / "missing.yml")


def _new(sessions, teams, policy=POLICY, **fields) -> str:
    values = {"channel": "rest", "sender_id": "cust-1", "language": "en",
              "category": "delivery", "description": "parcel lost"}  # fmt: skip
    values.update(fields)
    with transaction(sessions) as session:
        return create_ticket(session, new=NewTicket(**values), policy=policy, now=NOW,
                             teams=teams).id  # fmt: skip


def test_a_new_ticket_goes_to_its_team_on_the_trail(sessions):
    ticket_id = _new(sessions, TEAMS, product="Sofa")
    with sessions() as session:
        ticket = get_ticket(session, ticket_id)
        assert ticket.team == "quality"
        assert [(e.action, e.data) for e in ticket.events][-1] == (
            "routed",
            {"team": "quality", "by": "product"},
        )


def test_without_teams_nothing_changes(sessions):
    ticket_id = _new(sessions, None)
    with sessions() as session:
        ticket = get_ticket(session, ticket_id)
        assert ticket.team is None
        assert [e.action for e in ticket.events] == ["created"]


def test_every_hop_is_on_the_trail(sessions):
    ticket_id = _new(sessions, TEAMS)
    alice, sue = Actor.agent("alice"), Actor.agent("sue", "supervisor")
    with transaction(sessions) as session:
        ticket = get_ticket(session, ticket_id)
        assert hand_over(ticket, "quality", "  damaged, not late  ", TEAMS, actor=alice,
                         now=NOW + timedelta(minutes=5)) == "logistics"  # fmt: skip
        hand_over(ticket, "coordination", "needs a refund decision", TEAMS, actor=sue,
                  now=NOW + timedelta(minutes=9))  # fmt: skip
        for to, reason, error in (
            ("coordination", "again", "already with coordination"),
            ("nowhere", "x", "no team named 'nowhere'"),
            ("quality", "   ", "say why"),
        ):
            with pytest.raises(HandOverError, match=error):
                hand_over(ticket, to, reason, TEAMS, actor=sue, now=NOW)
    with sessions() as session:
        ticket = get_ticket(session, ticket_id)
        assert ticket.team == "coordination"
        hops = [(e.actor, e.data["from"], e.data["to"], e.data["reason"])
                for e in ticket.events if e.action == "handed_over"]  # fmt: skip
        assert hops == [
            ("agent:alice", "logistics", "quality", "damaged, not late"),
            ("agent:sue", "quality", "coordination", "needs a refund decision"),
        ]


def test_figures_per_team(sessions):
    made = [
        _new(sessions, TEAMS, sender_id="a"),  # logistics
        _new(sessions, TEAMS, sender_id="b"),  # logistics
        _new(sessions, TEAMS, sender_id="c", category="safety"),  # quality
        _new(sessions, None, sender_id="d"),  # no team
    ]
    with transaction(sessions) as session:
        for number, ticket_id in enumerate(made[:3]):
            ticket = get_ticket(session, ticket_id)
            ticket.first_responded_at = NOW + timedelta(minutes=10 * (number + 1))
            ticket.resolved_at = NOW + timedelta(hours=number + 1)
            ticket.csat = 5 - number
        get_ticket(session, made[1]).sla_breached = True
    with sessions() as session:
        found = by_team(session, Filters.days(date(2026, 11, 1), date(2026, 11, 30)))
    assert found == [
        {
            "team": "logistics",
            "total": 2,
            "first_response_median_minutes": 15.0,
            "resolution_median_minutes": 90.0,
            "sla": {"breached": 1, "compliance_pct": 50.0},
            "csat": {"rated": 2, "average": 4.5},
        },
        {
            "team": "quality",
            "total": 1,
            "first_response_median_minutes": 30.0,
            "resolution_median_minutes": 180.0,
            "sla": {"breached": 0, "compliance_pct": 100.0},
            "csat": {"rated": 1, "average": 3.0},
        },
        {
            "team": "(none)",
            "total": 1,
            "first_response_median_minutes": None,
            "resolution_median_minutes": None,
            "sla": {"breached": 0, "compliance_pct": 100.0},
            "csat": {"rated": 0, "average": None},
        },
    ]


def test_a_team_with_its_own_sla_gets_its_deadlines(sessions):
    raw = {
        "teams": [
            {"name": "logistics", "categories": ["delivery"]},
            {"name": "safety", "categories": ["safety"],
             "sla": {"general": {"first_response": "30m"}, "major": {"resolution": "6h"}}},
        ]
    }  # fmt: skip
    teams = parse_teams(raw)
    policy = team_policy(POLICY, teams)
    assert team_policy(POLICY, None) is POLICY
    ticket_id = _new(sessions, teams, category="safety", policy=policy)
    plain = _new(sessions, teams, sender_id="c2", policy=policy)
    with sessions() as session:
        ticket, other = get_ticket(session, ticket_id), get_ticket(session, plain)
        assert ticket.team == "safety" and ticket.severity == "major"  # a safety concern
        # The team's 6 h to resolve a major one; the severity's 2 h for what it leaves out.
        assert ticket.resolution_due - NOW == timedelta(hours=6)
        assert ticket.first_response_due - NOW == timedelta(hours=2)
        assert other.severity == "general"
        assert (other.first_response_due - NOW, other.resolution_due - NOW) == (
            timedelta(hours=24), timedelta(hours=72)
        )  # fmt: skip
    # Handed to the safety team, the parcel gets its targets too, on the trail.
    with transaction(sessions) as session:
        moved = get_ticket(session, plain)
        hand_over(moved, "safety", "a sharp edge cut the customer", teams,
                  actor=Actor.agent("sue", "supervisor"), now=NOW, policy=policy)  # fmt: skip
        assert moved.first_response_due - NOW == timedelta(minutes=30)  # safety's, general
        assert moved.resolution_due - NOW == timedelta(hours=72)
        assert moved.events[-1].data["first_response_due"] == "2026-11-22T10:00:00Z"


@pytest.mark.parametrize(
    ("sla", "message"),
    [
        ({"urgentest": {"resolution": "1h"}}, "unknown severity"),
        ({"major": {"resolution": "soon"}}, "bad duration"),
        ({"major": {"respond": "1h"}}, "expected first_response, resolution or clock"),
        ({"major": {"resolution": "1h", "clock": "lunar"}}, "calendar or business"),
        ("fast", "must map severities"),
    ],
)
def test_a_bad_team_sla_says_what_to_fix(sla, message):
    with pytest.raises(TeamsError, match=message):
        parse_teams({"teams": [{"name": "a", "sla": sla}]})
    # A business clock needs business hours in the SLA policy (the shipped one has none).
    teams = parse_teams({"teams": [{"name": "a", "sla": {"major": {"clock": "business"}}}]})
    with pytest.raises(TeamsError, match="no business_hours"):
        team_policy(POLICY, teams)
