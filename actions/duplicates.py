"""One complaint, one ticket in the dialogue (issue 15, bot.tickets.duplicates).

Before the read-back, a complaint about the same order, or the same problem, as one of the
customer's open tickets is not filed again blindly: the bot names that ticket and asks
whether to add this to it ("yes" adds, "no" opens a new one). The slot `duplicate_of` holds
the ticket offered while the question is open, "new" once the customer chose a new ticket.
"""

from __future__ import annotations

import logging

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.services import conversation_identity, get_services
from bot import i18n
from bot.db import transaction
from bot.tickets.duplicates import add_to_ticket, find_open_duplicate
from bot.tickets.service import get_ticket

logger = logging.getLogger(__name__)

SLOT = "duplicate_of"
NEW = "new"


def _offered(tracker: Tracker) -> str | None:
    value = tracker.get_slot(SLOT)
    return value if value and value != NEW else None


def offer_existing(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
    """At the read-back: the open ticket this complaint repeats, named and offered; None
    when there is none (or the customer already chose a new ticket)."""
    if tracker.get_slot(SLOT):
        return None
    services = get_services()
    channel, sender_id = conversation_identity(tracker)
    try:
        with services.sessions() as session:
            ticket = find_open_duplicate(
                session,
                channel=channel,
                sender_id=sender_id,
                order_id=tracker.get_slot("order_id"),
                category=tracker.get_slot("category"),
                description=tracker.get_slot("description"),
                now=services.clock(),
            )
            if ticket is None:
                return None
            ticket_id, opened = ticket.id, ticket.created_at
            summary = i18n.shorten(ticket.description)
    except SQLAlchemyError:  # no lookup, no offer: the complaint is read back as usual
        logger.exception("duplicate lookup failed for %s:%s", channel, sender_id)
        return None
    lang = tracker.get_slot("lang")
    dispatcher.utter_message(
        response="utter_ask_add_to_ticket",
        ticket_id=ticket_id,
        opened=i18n.format_deadline(opened, services.policy.timezone, lang),
        summary=summary,
    )
    return [SlotSet(SLOT, ticket_id)]


def decline_existing(tracker: Tracker) -> bool:
    """ "No" to the offer: a new ticket it is. True when there was an offer to decline."""
    return _offered(tracker) is not None


def add_to_existing(tracker: Tracker) -> list[EventType] | None:
    """ "Yes" to the offer: this complaint goes on the offered ticket's trail, assessed again.
    None when nothing was offered (the submission opens a new ticket)."""
    ticket_id = _offered(tracker)
    if ticket_id is None:
        return None
    services = get_services()
    text = tracker.get_slot("description") or ""
    with transaction(services.sessions) as session:
        ticket = get_ticket(session, ticket_id)
        if ticket is None:
            return None
        add_to_ticket(
            ticket,
            text=text,
            emotion=tracker.get_slot("emotion_peak"),
            escalation_threat=tracker.get_slot("escalation_threat"),
            policy=services.policy,
            now=services.clock(),
        )
        severity = ticket.severity
    return [SlotSet("last_ticket_id", ticket_id), SlotSet("severity", severity)]


def acknowledge_added(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """After adding: the ticket named again with its deadline. True when this turn added."""
    ticket_id = _offered(tracker)
    if ticket_id is None or ticket_id != tracker.get_slot("last_ticket_id"):
        return False
    services = get_services()
    with services.sessions() as session:
        ticket = get_ticket(session, ticket_id)
        due = (ticket.first_response_due or ticket.resolution_due) if ticket else None
    if due is None:
        return False
    dispatcher.utter_message(
        response="utter_added_to_ticket",
        ticket_id=ticket_id,
        first_response_due=i18n.format_deadline(
            due, services.policy.timezone, tracker.get_slot("lang")
        ),
    )
    return True
