"""Complaint status in chat: the customer's own tickets only."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.services import conversation_identity, get_services
from bot import i18n
from bot.nlu.categories import UNSURE_BELOW
from bot.tickets.numbering import normalise_ticket_id
from bot.tickets.status import StatusAnswer, StatusLine, customer_status

logger = logging.getLogger(__name__)

# Asked for in the report to the domain owner; until it exists the generic apology is used.
UNAVAILABLE_RESPONSE = "utter_status_unavailable"


def _asked_ticket_id(tracker: Tracker) -> str | None:
    """The ticket number the customer gave: the slot, else an entity of this message."""
    candidates = [tracker.get_slot("ticket_id"), *tracker.get_latest_entity_values("ticket_id")]
    for value in candidates:
        found = normalise_ticket_id(str(value or ""))
        if found:
            return found
    return None


def _next_step(line: StatusLine, lang: str | None, zone: ZoneInfo) -> str:
    when = i18n.format_deadline(line.due, zone, lang) if line.due is not None else ""
    who = i18n.who_label(line.agent_name, line.status, lang)
    return i18n.next_step_label(line.next_step, who, when, lang)


def _say(
    dispatcher: CollectingDispatcher, answer: StatusAnswer, lang: str | None, zone: ZoneInfo
) -> None:
    for index, line in enumerate(answer.lines):
        next_step = _next_step(line, lang, zone)
        if index == len(answer.lines) - 1 and answer.more:
            next_step = " ".join(
                p for p in (next_step, i18n.more_tickets_label(answer.more, lang)) if p
            )
        dispatcher.utter_message(
            response="utter_ticket_status",
            ticket_id=line.ticket_id,
            category_label=i18n.category_label(line.category, lang),
            status_label=i18n.status_label(line.status, lang),
            next_step=next_step,
        )


class ActionCheckStatus(Action):
    """Answers "where is my complaint?" from the ticket store, in the customer's language."""

    def name(self) -> str:
        return "action_check_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        services = get_services()
        channel, sender_id = conversation_identity(tracker)
        lang = tracker.get_slot("lang")
        wanted = _asked_ticket_id(tracker)
        try:
            with services.sessions() as session:
                answer = customer_status(
                    session,
                    channel=channel,
                    sender_id=sender_id,
                    ticket_id=wanted,
                    now=services.clock(),
                )
        except SQLAlchemyError:
            logger.exception("status lookup failed for %s:%s", channel, sender_id)
            known = (domain or {}).get("responses") or {}
            response = UNAVAILABLE_RESPONSE if UNAVAILABLE_RESPONSE in known else "utter_default"
            dispatcher.utter_message(response=response)
            return [SlotSet("ticket_id", None)]
        if answer.not_found:
            dispatcher.utter_message(response="utter_ticket_not_found", ticket_id=wanted)
        elif not answer.lines:
            # "Where is my refund?!" from someone with no complaint on file is a complaint
            # to take, not a "nothing found" (issue 15).
            from actions.triage import start_intake

            # A sure status check's ranking says little; an unsure one's complaint runners-up
            # ("我的 iPhone case 到货就是坏的" read as a status check at 0.42) say complaint.
            confidence = float((tracker.latest_message.get("intent") or {}).get("confidence") or 0)
            intake = start_intake(dispatcher, tracker, domain, ranking=confidence < UNSURE_BELOW)
            if intake is not None:
                return [SlotSet("ticket_id", None), *intake]
            dispatcher.utter_message(response="utter_no_tickets")
        else:
            _say(dispatcher, answer, lang, services.policy.timezone)
        return [SlotSet("ticket_id", None)]
