"""The follow-up after resolution (回访): ask for a rating, then close or reopen.

The gateway starts it with a Rasa external event (trigger_intent EXTERNAL_follow_up with
the ticket id) when an agent resolves a ticket. The customer's answer, a button or free
text understood as `rate_service`, is stored on the ticket: 1–2 or "not solved" reopens it
and queues it again above its old priority (the customer hears the new deadline); 3–5
closes it with thanks.
"""

from __future__ import annotations

import logging
import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.handoff import announce
from actions.services import get_services
from bot import i18n
from bot.db import transaction
from bot.handoff.escalation import Handoff
from bot.nlu import entities as rules
from bot.tickets import lifecycle
from bot.tickets.audit import Actor, record
from bot.tickets.service import TicketNotFound, get_ticket, lock_ticket

logger = logging.getLogger(__name__)

CUSTOMER = Actor("customer")
NOT_SOLVED = re.compile(
    r"没解决|没有解决|未解决|还没好|不满意|not (?:yet )?(?:solved|resolved|fixed|sorted)|"
    r"still (?:broken|not|no)|unsolved|unresolved",
    re.IGNORECASE,
)
REOPEN_AT_OR_BELOW = 2


def rating_of(tracker: Tracker) -> int | None:
    """The 1–5 score in the latest message: an entity, or read from the words."""
    text = (tracker.latest_message.get("text") or "").strip()
    for value in (
        next(tracker.get_latest_entity_values("rating"), None),
        (rules.extract_rating(text) or {}).get("value"),
        rules.rating_from_words(text),
    ):
        if value is not None and str(value).isdigit() and 1 <= int(value) <= 5:
            return int(value)
    if NOT_SOLVED.search(text):
        return REOPEN_AT_OR_BELOW
    return None


class ActionFollowUp(Action):
    """Runs on the external event: a short summary of the resolution and the rating request."""

    def name(self) -> str:
        return "action_follow_up"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        ticket_id = next(tracker.get_latest_entity_values("ticket_id"), None)
        services = get_services()
        with transaction(services.sessions) as session:
            ticket = get_ticket(session, ticket_id) if ticket_id else None
            if ticket is None or ticket.status != "resolved":
                logger.info("no follow-up for %s: not a resolved ticket", ticket_id)
                return []
            record(ticket, actor=Actor("bot"), action="follow_up_sent", now=services.clock())
            note = i18n.shorten(ticket.resolution_note, 160) or "—"
        dispatcher.utter_message(
            response="utter_follow_up", ticket_id=ticket_id, resolution_note=note
        )
        return [SlotSet("followup_ticket", ticket_id)]


class ActionRecordRating(Action):
    """A rating: on the ticket being followed up, or just thanked when there is none."""

    def name(self) -> str:
        return "action_record_rating"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        ticket_id = tracker.get_slot("followup_ticket")
        if not ticket_id:
            dispatcher.utter_message(response="utter_rating_thanks")
            return []
        rating = rating_of(tracker)
        if rating is None:
            dispatcher.utter_message(response="utter_follow_up_reask")
            return []
        text = (tracker.latest_message.get("text") or "").strip()
        comment = None if text.startswith("/") or text.isdigit() else text[:1000]
        services = get_services()
        now = services.clock()
        try:
            with transaction(services.sessions) as session:
                ticket = lock_ticket(session, ticket_id)
                if ticket.status != "resolved":  # closed meanwhile (no answer in time)
                    dispatcher.utter_message(response="utter_rating_thanks")
                    return [SlotSet("followup_ticket", None)]
                ticket.csat = rating
                record(
                    ticket, actor=CUSTOMER, action="rated", now=now,
                    data={"rating": rating, "comment": comment},
                )  # fmt: skip
                reopen = rating <= REOPEN_AT_OR_BELOW or bool(NOT_SOLVED.search(text))
                target = "reopened" if reopen else "closed"
                lifecycle.change_status(
                    ticket, target, actor=CUSTOMER, now=now, policy=services.policy,
                    note=f"rating {rating}",
                )  # fmt: skip
                if reopen:  # back in the queue, above its old place, for any agent to take
                    ticket.assigned_agent = None
                due = ticket.resolution_due
                handoff = Handoff(ticket.id, ticket.severity, "reopened") if reopen else None
        except (SQLAlchemyError, TicketNotFound):
            logger.exception("could not record the rating on %s", ticket_id)
            dispatcher.utter_message(response="utter_ticket_failed")
            return []
        if handoff is not None:
            dispatcher.utter_message(
                response="utter_follow_up_reopened",
                ticket_id=ticket_id,
                resolution_due=i18n.format_deadline(
                    due, services.policy.timezone, tracker.get_slot("lang")
                )
                if due
                else "—",
            )
            announce(dispatcher, handoff)
        else:
            dispatcher.utter_message(response="utter_follow_up_closed")
        return [SlotSet("followup_ticket", None)]
