"""The follow-up actions: the rating request, and closing or reopening on the answer."""

from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.followup import ActionFollowUp, ActionRecordRating
from bot.db import transaction
from bot.tickets import lifecycle
from bot.tickets.audit import SYSTEM
from bot.tickets.service import NewTicket, create_ticket, get_ticket

from .conftest import entity, make_tracker


def _resolved(services, note: str = "A replacement was sent") -> str:
    with transaction(services.sessions) as session:
        ticket = create_ticket(
            session,
            new=NewTicket(channel="rest", sender_id="cust-1", language="en",
                          category="product_quality", description="kettle leaks"),
            policy=services.policy,
            now=services.clock(),
        )  # fmt: skip
        lifecycle.change_status(
            ticket, "resolved", actor=SYSTEM, now=services.clock(), policy=services.policy
        )
        ticket.resolution_note = note
        return ticket.id


def _responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages if m.get("response")]


async def test_follow_up_asks_for_a_rating_on_a_resolved_ticket(services):
    ticket_id = _resolved(services)
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(intent="EXTERNAL_follow_up", entities=[entity("ticket_id", ticket_id)])
    events = await ActionFollowUp().run(dispatcher, tracker, {})
    assert events == [SlotSet("followup_ticket", ticket_id)]
    [message] = dispatcher.messages
    assert message["response"] == "utter_follow_up"
    assert (
        message["ticket_id"] == ticket_id and message["resolution_note"] == "A replacement was sent"
    )
    with services.sessions() as session:
        assert [e.action for e in get_ticket(session, ticket_id).events][-1] == "follow_up_sent"


async def test_no_follow_up_for_a_ticket_that_is_not_resolved(services):
    with transaction(services.sessions) as session:
        open_id = create_ticket(
            session,
            new=NewTicket(channel="rest", sender_id="cust-1", language="en", category="billing"),
            policy=services.policy,
            now=services.clock(),
        ).id
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(intent="EXTERNAL_follow_up", entities=[entity("ticket_id", open_id)])
    assert await ActionFollowUp().run(dispatcher, tracker, {}) == []
    assert dispatcher.messages == []


async def test_a_rating_without_a_follow_up_is_only_thanked(services):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="5", intent="rate_service", entities=[entity("rating", "5")])
    assert await ActionRecordRating().run(dispatcher, tracker, {}) == []
    assert _responses(dispatcher) == ["utter_rating_thanks"]


@pytest.mark.parametrize(
    ("text", "entities", "status", "csat"),
    [
        ('/rate_service{"rating": "5"}', [entity("rating", "5")], "closed", 5),
        ("4 stars, quick and polite", [], "closed", 4),
        ("非常满意", [], "closed", 5),
        ('/rate_service{"rating": "2"}', [entity("rating", "2")], "reopened", 2),
        ("3 stars but honestly it is still not fixed", [], "reopened", 3),
        ("问题还没解决", [], "reopened", 2),
    ],
)
async def test_the_answer_closes_or_reopens(services, text, entities, status, csat):
    ticket_id = _resolved(services)
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text=text, intent="rate_service", entities=entities,
        slots={"followup_ticket": ticket_id, "lang": "en"},
    )  # fmt: skip
    events = await ActionRecordRating().run(dispatcher, tracker, {})
    assert events == [SlotSet("followup_ticket", None)]
    with services.sessions() as session:
        ticket = get_ticket(session, ticket_id)
        assert (ticket.status, ticket.csat) == (status, csat)
        rated = [e.data for e in ticket.events if e.action == "rated"]
    comment = None if text.startswith("/") else text
    assert rated == [{"rating": csat, "comment": comment}]
    handoffs = [m["custom"]["handoff"] for m in dispatcher.messages if m.get("custom")]
    if status == "reopened":
        assert _responses(dispatcher) == ["utter_follow_up_reopened"]
        assert handoffs == [
            {"ticket_id": ticket_id, "severity": ticket.severity, "reason": "reopened"}
        ]
        assert ticket.reopen_count == 1 and ticket.assigned_agent is None
    else:
        assert _responses(dispatcher) == ["utter_follow_up_closed"] and handoffs == []


async def test_an_answer_without_a_score_is_asked_again(services):
    ticket_id = _resolved(services)
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="hmm", intent="rate_service", slots={"followup_ticket": ticket_id})
    assert await ActionRecordRating().run(dispatcher, tracker, {}) == []
    assert _responses(dispatcher) == ["utter_follow_up_reask"]
    with services.sessions() as session:
        assert get_ticket(session, ticket_id).status == "resolved"
