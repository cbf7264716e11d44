"""Handing the conversation to a person: on request, or forced when a ticket is urgent.

The ticket (the one just opened, the customer's open one, or a new one from what the bot
has gathered so far) is escalated here; the gateway, told by a `handoff` custom message,
queues it, takes the conversation from the bot and tells the customer their place.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.services import Services, conversation_identity, get_services
from bot.db import transaction
from bot.handoff.escalation import Handoff, escalate_for_human
from bot.tickets.audit import BOT
from bot.tickets.service import NewTicket

logger = logging.getLogger(__name__)

RECENT_TEXTS = 3
MAX_DESCRIPTION = 2000


def recent_customer_text(events: list[dict[str, Any]]) -> str | None:
    """The customer's last few typed messages (not button presses), oldest first."""
    texts: list[str] = []
    for event in reversed(events):
        if event.get("event") != "user":
            continue
        text = (event.get("text") or "").strip()
        if text and not text.startswith("/"):
            texts.append(text)
        if len(texts) == RECENT_TEXTS:
            break
    joined = " / ".join(reversed(texts))
    return joined[:MAX_DESCRIPTION] or None


def hand_over(
    services: Services,
    tracker: Tracker,
    *,
    reason: str,
    ticket_id: str | None,
) -> Handoff:
    channel, sender_id = conversation_identity(tracker)
    order_id = tracker.get_slot("order_id")
    resolution = tracker.get_slot("desired_resolution")
    new = NewTicket(
        channel=channel,
        sender_id=sender_id,
        language=tracker.get_slot("lang") or "en",
        category=tracker.get_slot("category") or "other",
        description=tracker.get_slot("description") or recent_customer_text(tracker.events),
        order_id=None if order_id in (None, "none") else order_id,
        product=tracker.get_slot("product"),
        desired_resolution=None if resolution in (None, "none") else resolution,
        contact_phone=tracker.get_slot("contact_phone"),
        contact_email=tracker.get_slot("contact_email"),
        emotion_peak=tracker.get_slot("emotion_peak"),
        escalation_threat=tracker.get_slot("escalation_threat"),
    )
    with transaction(services.sessions) as session:
        return escalate_for_human(
            session,
            new=new,
            reason=reason,
            actor=BOT,
            policy=services.policy,
            now=services.clock(),
            ticket_id=ticket_id,
        )


def announce(dispatcher: CollectingDispatcher, handoff: Handoff) -> None:
    """The message the gateway acts on (it never reaches the customer)."""
    dispatcher.utter_message(json_message={"handoff": handoff.as_payload()})


class ActionHandoff(Action):
    """The customer wants a person: hand over now, with whatever the intake has so far."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            handoff = hand_over(
                get_services(),
                tracker,
                reason="customer asked for a person",
                ticket_id=tracker.get_slot("last_ticket_id"),
            )
        except SQLAlchemyError:
            logger.exception("handoff failed for %s", tracker.sender_id)
            dispatcher.utter_message(response="utter_ticket_failed")
            return []
        announce(dispatcher, handoff)
        events: list[EventType] = [SlotSet("last_ticket_id", handoff.ticket_id)]
        if tracker.active_loop.get("name"):
            events += [ActiveLoop(None), SlotSet("requested_slot", None)]
        return events
