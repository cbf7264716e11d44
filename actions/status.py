"""Complaint status in chat: the customer's own tickets only."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.services import conversation_identity, get_services
from bot import i18n
from bot.tickets.models import Ticket
from bot.tickets.numbering import normalise_ticket_id
from bot.tickets.service import OPEN_STATUSES, get_ticket, list_tickets

MAX_LISTED = 3


def _next_step(ticket: Ticket, lang: str | None, zone: object) -> str:
    due = ticket.first_response_due if ticket.first_responded_at is None else ticket.resolution_due
    if ticket.status not in OPEN_STATUSES or due is None:
        return ""
    when = i18n.format_deadline(due, zone, lang)  # type: ignore[arg-type]
    if lang == "zh":
        who = f"专员 {ticket.assigned_agent}" if ticket.assigned_agent else "专员"
        return f"{who}会在 {when} 前跟进。"
    who = ticket.assigned_agent or "A specialist"
    return f"{who} will follow up by {when}."


class ActionCheckStatus(Action):
    def name(self) -> str:
        return "action_check_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        services = get_services()
        channel, sender_id = conversation_identity(tracker)
        lang = tracker.get_slot("lang")
        wanted = normalise_ticket_id(tracker.get_slot("ticket_id") or "")
        with services.sessions() as session:
            if wanted:
                ticket = get_ticket(session, wanted)
                mine = ticket is not None and (ticket.channel, ticket.sender_id) == (
                    channel,
                    sender_id,
                )
                tickets = [ticket] if mine and ticket is not None else []
                if not tickets:
                    dispatcher.utter_message(response="utter_ticket_not_found", ticket_id=wanted)
                    return [SlotSet("ticket_id", None)]
            else:
                everything, _total = list_tickets(session, sender_id=sender_id, channel=channel)
                open_ones = [t for t in everything if t.status in OPEN_STATUSES]
                tickets = (open_ones or everything)[:MAX_LISTED]
            if not tickets:
                dispatcher.utter_message(response="utter_no_tickets")
            for ticket in tickets:
                dispatcher.utter_message(
                    response="utter_ticket_status",
                    ticket_id=ticket.id,
                    category_label=i18n.category_label(ticket.category, lang),
                    status_label=i18n.status_label(ticket.status, lang),
                    next_step=_next_step(ticket, lang, services.policy.timezone),
                )
        return [SlotSet("ticket_id", None)]
