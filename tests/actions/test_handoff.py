"""action_handoff and the forced handoff of urgent tickets, on real trackers and a real DB."""

from __future__ import annotations

from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionHandoff, recent_customer_text
from actions.intake import ActionAcknowledgeComplaint
from bot.db import transaction
from bot.tickets.service import NewTicket, create_ticket, get_ticket

from .conftest import make_tracker


def _handoffs(dispatcher: CollectingDispatcher) -> list[dict]:
    return [m["custom"]["handoff"] for m in dispatcher.messages if m.get("custom")]


def _user(text: str) -> dict:
    return {"event": "user", "text": text, "parse_data": {}}


def test_recent_customer_text_skips_button_presses():
    events = [_user("my heater sparks"), _user("/affirm"), _user("it smells of smoke"), _user("")]
    assert recent_customer_text(events) == "my heater sparks / it smells of smoke"
    assert recent_customer_text([]) is None


async def test_request_mid_form_opens_a_ticket_from_what_we_have_and_leaves_the_form(services):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text="I want to talk to a real person",
        intent="request_human",
        slots={"category": "delivery", "order_id": "JD0098812", "lang": "en"},
        events=[_user("my parcel is three weeks late")],
        active_loop="complaint_form",
    )
    events = await ActionHandoff().run(dispatcher, tracker, {})
    [handoff] = _handoffs(dispatcher)
    assert handoff["reason"] == "customer asked for a person"
    assert events[0] == SlotSet("last_ticket_id", handoff["ticket_id"])
    assert ActiveLoop(None) in events and SlotSet("requested_slot", None) in events
    with services.sessions() as session:
        ticket = get_ticket(session, handoff["ticket_id"])
        assert ticket.status == "escalated"
        assert ticket.category == "delivery" and ticket.order_id == "JD0098812"
        assert "three weeks late" in ticket.description
        assert "I want to talk to a real person" in ticket.description


async def test_request_after_the_ticket_escalates_that_ticket(services):
    with transaction(services.sessions) as session:
        existing = create_ticket(
            session,
            new=NewTicket(channel="rest", sender_id="cust-1", language="zh", category="billing",
                          description="扣了两次钱"),
            policy=services.policy,
            now=services.clock(),
        ).id  # fmt: skip
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text="转人工", intent="request_human", slots={"last_ticket_id": existing, "lang": "zh"}
    )
    events = await ActionHandoff().run(dispatcher, tracker, {})
    assert _handoffs(dispatcher)[0]["ticket_id"] == existing
    assert not any(isinstance(e, dict) and e.get("event") == "active_loop" for e in events)
    with services.sessions() as session:
        assert get_ticket(session, existing).status == "escalated"


async def test_urgent_ticket_goes_to_the_queue_without_being_asked(services):
    with transaction(services.sessions) as session:
        ticket = create_ticket(
            session,
            new=NewTicket(channel="rest", sender_id="cust-1", language="en", category="safety",
                          description="the charger caught fire and my hand is burnt",
                          emotion_peak="furious"),
            policy=services.policy,
            now=services.clock(),
        )  # fmt: skip
        ticket_id = ticket.id
        assert ticket.severity == "urgent"  # an injury under the shipped rules
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="/affirm", intent="affirm", slots={"last_ticket_id": ticket_id})
    await ActionAcknowledgeComplaint().run(dispatcher, tracker, {})
    responses = [m.get("response") for m in dispatcher.messages if m.get("response")]
    assert responses == ["utter_fep_fact", "utter_fep_empathy", "utter_fep_plan"]
    assert _handoffs(dispatcher) == [
        {"ticket_id": ticket_id, "severity": "urgent", "reason": "urgent"}
    ]
    with services.sessions() as session:
        assert get_ticket(session, ticket_id).status == "escalated"
