"""What the customer says about our answer: objections to the plan, and suggestions."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.services import conversation_identity, get_services
from bot.db import transaction
from bot.tickets.audit import BOT, record
from bot.tickets.service import NewTicket, create_ticket, get_ticket

logger = logging.getLogger(__name__)


class ActionRecordObjection(Action):
    """异议处理: the plan was rejected; note it on the ticket and offer a person."""

    def name(self) -> str:
        return "action_record_objection"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        services = get_services()
        ticket_id = tracker.get_slot("last_ticket_id")
        channel, sender_id = conversation_identity(tracker)
        text = (tracker.latest_message.get("text") or "").strip()
        try:
            with transaction(services.sessions) as session:
                ticket = get_ticket(session, ticket_id) if ticket_id else None
                if ticket is None or (ticket.channel, ticket.sender_id) != (channel, sender_id):
                    ticket_id = None
                else:
                    record(
                        ticket,
                        actor=BOT,
                        action="objection",
                        now=services.clock(),
                        data={"text": text[:2000]},
                    )
        except SQLAlchemyError:
            logger.exception("could not record an objection on %s", ticket_id)
        dispatcher.utter_message(
            response="utter_objection_acknowledged", ticket_id=ticket_id or "-"
        )
        return []


class ActionRecordSuggestion(Action):
    """A suggestion is kept (motive `suggestion`, never a complaint) and thanked."""

    def name(self) -> str:
        return "action_record_suggestion"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        services = get_services()
        channel, sender_id = conversation_identity(tracker)
        new = NewTicket(
            channel=channel,
            sender_id=sender_id,
            language=tracker.get_slot("lang") or "en",
            category="other",
            description=(tracker.latest_message.get("text") or "").strip()[:2000],
            suggestion=True,
        )
        try:
            with transaction(services.sessions) as session:
                create_ticket(session, new=new, policy=services.policy, now=services.clock())
        except SQLAlchemyError:
            logger.exception("could not record a suggestion from %s:%s", channel, sender_id)
        dispatcher.utter_message(response="utter_suggestion_thanks")
        return []
