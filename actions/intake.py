"""The complaint intake: form validation, read-back, ticket creation, cancel."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions import duplicates
from actions.handoff import announce, hand_over
from actions.services import conversation_identity, get_services
from bot import i18n
from bot.db import transaction
from bot.nlu import entities as rules
from bot.nlu.categories import COMPLAINT_INTENTS, category_for_intent
from bot.tickets.service import NewTicket, create_ticket, get_ticket

logger = logging.getLogger(__name__)

INTAKE_SLOTS = ("category", "description", "order_id", "desired_resolution", "contact",
                "product", "escalation_threat", "ticket_id", "severity", "duplicate_of")  # fmt: skip
MAX_DESCRIPTION = 2000
# Intents whose text, typed at the category question, is the story of the problem. Not a
# cancel, a request for a person, a status check or a side question: those have their rules.
DETAIL_INTENTS = COMPLAINT_INTENTS | {"file_complaint", "inform", "nlu_fallback"}
# Intents of an attempt to answer the question asked (see _answer_to_reask).
ANSWER_INTENTS = DETAIL_INTENTS | {"affirm", "deny"}
# The category question is asked at most this often; then the ranking decides.
MAX_CATEGORY_ASKS = 2
# Entities a customer may correct at the read-back, and the slot each one fills.
CORRECTABLE_ENTITIES = {
    "order_id": "order_id",
    "desired_resolution": "desired_resolution",
    "phone": "contact_phone",
    "email": "contact_email",
    "product": "product",
}
NO_ORDER = re.compile(
    r"没有|无订单|没订单|不记得|忘了|找不到|不知道|没单号|无|\bno\b|\bnone\b|don'?t have|do not have|"
    r"not sure|can'?t find|no order|n/?a|skip|isn'?t one|is no(?:ne| such)|there'?s none|"
    r"haven'?t got one|not got one|never (?:got|had) one",
    re.IGNORECASE,
)
NO_REMEDY = re.compile(
    r"不需要|不用|没什么|无所谓|随便|只是反映|就是反映|说一下|nothing|no need|just (?:letting|wanted|telling)|"
    r"don'?t need|whatever",
    re.IGNORECASE,
)
SKIP_CONTACT = re.compile(
    r"跳过|不留|不方便|就这里|这里联系|skip|here is fine|contact me here", re.I
)
# Opening phrases that carry no facts ("I want to complain about ...").
_BOILERPLATE = re.compile(
    r"我要投诉|我想投诉|投诉一下|我要反映|我想反映|我要举报|关于|你们的?|有个?问题|有个事|"
    r"投诉|反映|举报|一下|帮我|麻烦|你好|您好|在吗|请问|我要|我想|"
    r"\b(?:i (?:want|would like|wanna|need) to (?:make a |file a |lodge a )?complain(?:t)?(?: about)?|"
    r"i have a complaint(?: about)?|complaint about|about|your|the|my|a)\b",
    re.IGNORECASE,
)
_MEANINGFUL = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


def _text(tracker: Tracker) -> str:
    return (tracker.latest_message.get("text") or "").strip()


def _intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def _should_reask(tracker: Tracker, own_entity: str) -> bool:
    """Whether an unusable answer deserves the "that didn't work" message.

    Not when the customer asked for something else (cancel, a person, status) or corrected
    another detail instead ("sorry, the order number is actually ..."): the form then goes
    on by itself.
    """
    if _intent(tracker) in ("cancel", "request_human", "check_status", "bot_challenge"):
        return False
    others = set(CORRECTABLE_ENTITIES) - {own_entity}
    return not any(e.get("entity") in others for e in tracker.latest_message.get("entities", []))


def _category_asks(events: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    """Since the intake started: how often the category was asked, and the parse data of the
    customer's first message (the complaint whose ranking ordered the buttons)."""
    asked, started = 0, False
    story: dict[str, Any] = {}
    for event in reversed(events):
        kind = event.get("event")
        if kind == "active_loop" and event.get("name") == "complaint_form":
            started = True  # the message that started the intake comes just before
        elif kind == "slot" and event.get("name") == "requested_slot" and not started:
            asked += event.get("value") == "category"
        elif kind == "user" and (event.get("text") or "")[:1] != "/":
            story = event.get("parse_data") or {}
            if started:
                break
    return asked, story


def _answer_to_reask(tracker: Tracker, own_entity: str) -> bool:
    """Whether an unusable answer to the question asked keeps the form on that question
    (the form asks again, with a word on what it needs) instead of letting the rules answer:
    the customer tried to answer (a detail, free text, a yes or no, more about the problem)
    rather than asking for something else, and did not correct another detail instead."""
    return _intent(tracker) in ANSWER_INTENTS and _should_reask(tracker, own_entity)


def the_story(text: str) -> str:
    """What happened, as the description keeps it: an all-in-one message without its order
    number, remedy and contact ("买的菜少了一半，订单号GR…，退款，电话138…" → "买的菜少了一半"),
    which the other slots hold; the text as written when nothing else would be left."""
    story = rules.without_details(text)  # the text itself when it holds no detail
    return story if story != text and rules.tells_a_story(story) else text


def is_substantive(text: str) -> bool:
    """Whether a message describes a problem rather than only announcing a complaint or
    giving a detail ("order no. JD0098812", "email me at …")."""
    rest = _BOILERPLATE.sub(" ", rules.without_details(text))
    cjk = len(re.findall(r"[\u4e00-\u9fff]", rest))
    words = re.findall(r"[A-Za-z]{2,}", rest)
    return cjk >= 4 or len(words) >= 3 or (cjk >= 3 and len(words) >= 1)


class ValidateComplaintForm(FormValidationAction):
    def name(self) -> str:
        return "validate_complaint_form"

    async def extract_description(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # A message that already says what happened is the description: a good complaint
        # handler does not make the customer repeat it. That is the first message, and free
        # text typed at the category question instead of pressing a button (it gives the
        # category too: actions/context.py).
        text = _text(tracker)
        if (
            tracker.get_slot("description") is None
            and tracker.get_slot("requested_slot") in (None, "category")
            and not text.startswith("/")
            and (
                _intent(tracker) in COMPLAINT_INTENTS
                or (tracker.get_slot("requested_slot") and _intent(tracker) in DETAIL_INTENTS)
            )
            and is_substantive(text)
        ):
            return {"description": the_story(text)}
        return {}

    async def extract_order_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "order_id":
            return {}
        text = _text(tracker)
        found = rules.first(text, "order_id")
        if found:
            return {"order_id": found}
        if _intent(tracker) == "deny" or NO_ORDER.search(text):
            return {"order_id": "none"}
        if _answer_to_reask(tracker, "order_id"):
            return {"order_id": None}  # validate_order_id says what it needs; asked again
        return {}

    async def extract_desired_resolution(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "desired_resolution":
            return {}
        text = _text(tracker)
        if tracker.get_slot("desired_resolution") or text.startswith("/"):
            return {}
        found = rules.first(text, "desired_resolution")
        if found:
            return {"desired_resolution": found}
        if _intent(tracker) == "deny" or NO_REMEDY.search(text):
            return {"desired_resolution": "none"}
        if _answer_to_reask(tracker, "desired_resolution"):
            return {"desired_resolution": None}  # validate_desired_resolution re-asks
        return {}

    async def extract_contact(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        phone, email = tracker.get_slot("contact_phone"), tracker.get_slot("contact_email")
        if tracker.get_slot("contact"):
            return {}
        if phone or email:
            return {"contact": phone or email}
        if tracker.get_slot("requested_slot") != "contact":
            return {}
        text = _text(tracker)
        if conversation_identity(tracker)[0] == "telegram" and SKIP_CONTACT.search(text):
            return {"contact": "telegram"}
        if _answer_to_reask(tracker, "phone") and _should_reask(tracker, "email"):
            return {"contact": None}  # validate_contact re-asks
        return {}

    async def extract_category(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # The category comes from the intent or a button (actions/context.py). A "yes", an
        # "ok" or an unclear word at the category question keeps the question, its buttons
        # ranked again, rather than the "didn't understand" answer.
        if tracker.get_slot("requested_slot") != "category" or tracker.get_slot("category"):
            return {}
        if _intent(tracker) not in {"affirm", "deny", "inform", "nlu_fallback"}:
            return {}
        asked, story = _category_asks(tracker.events)
        if asked >= MAX_CATEGORY_ASKS:
            # Never the same question a third time: the customer answered around the buttons
            # twice, so the complaint is filed where its own words ranked it first.
            from actions.triage import ranked_categories

            ranked = ranked_categories(story)
            return {"category": ranked[0] if ranked else "other"}
        return {"category": None}

    def validate_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        if len(_MEANINGFUL.findall(text)) < 2 or text.startswith("/"):
            dispatcher.utter_message(response="utter_invalid_description")
            return {"description": None}
        return {"description": the_story(text)[:MAX_DESCRIPTION]}

    def validate_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not value:
            dispatcher.utter_message(response="utter_invalid_contact")
            return {"contact": None}
        return {"contact": value}

    def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == "none":
            return {"order_id": "none"}
        found = rules.first(str(value), "order_id")
        if not found:
            dispatcher.utter_message(response="utter_invalid_order_id")
            return {"order_id": None}
        return {"order_id": found}

    def validate_desired_resolution(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value in i18n.RESOLUTION_LABELS:
            return {"desired_resolution": value}
        dispatcher.utter_message(response="utter_invalid_desired_resolution")
        return {"desired_resolution": None}


def _summary_kwargs(slots: dict[str, Any]) -> dict[str, str]:
    """The read-back placeholders, in the conversation's language."""
    lang = slots.get("lang")
    return {
        "category_label": i18n.category_label(slots.get("category"), lang),
        "order_part": i18n.order_part(slots.get("order_id"), lang),
        "description": i18n.shorten(slots.get("description")),
        "resolution_label": i18n.resolution_label(slots.get("desired_resolution"), lang),
    }


class ActionConfirmComplaint(Action):
    """Reads the complaint back in one line before the ticket is opened (需求确认)."""

    def name(self) -> str:
        return "action_confirm_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        # One complaint, one ticket: the same order or problem as an open ticket is offered
        # to that ticket first (actions/duplicates.py).
        offer = duplicates.offer_existing(dispatcher, tracker)
        if offer is not None:
            return offer
        dispatcher.utter_message(
            response="utter_confirm_complaint", **_summary_kwargs(tracker.slots)
        )
        return []


class ActionSubmitComplaint(Action):
    """Opens the ticket from what the form gathered (the acknowledgement follows)."""

    def name(self) -> str:
        return "action_submit_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            added = duplicates.add_to_existing(tracker)
        except SQLAlchemyError:
            logger.exception("could not add to the open ticket")
            dispatcher.utter_message(response="utter_ticket_failed")
            return [SlotSet("last_ticket_id", None)]
        if added is not None:
            return added
        services = get_services()
        channel, sender_id = conversation_identity(tracker)
        order_id = tracker.get_slot("order_id")
        resolution = tracker.get_slot("desired_resolution")
        contact = tracker.get_slot("contact")
        new = NewTicket(
            channel=channel,
            sender_id=sender_id,
            language=tracker.get_slot("lang") or "en",
            category=tracker.get_slot("category") or "other",
            description=tracker.get_slot("description"),
            order_id=None if order_id in (None, "none") else order_id,
            product=tracker.get_slot("product"),
            desired_resolution=None if resolution in (None, "none") else resolution,
            contact_phone=tracker.get_slot("contact_phone") or rules.first(contact or "", "phone"),
            contact_email=tracker.get_slot("contact_email") or rules.first(contact or "", "email"),
            emotion_peak=tracker.get_slot("emotion_peak"),
            escalation_threat=tracker.get_slot("escalation_threat"),
        )
        try:
            with transaction(services.sessions) as session:
                ticket = create_ticket(
                    session,
                    new=new,
                    policy=services.policy,
                    now=services.clock(),
                    teams=services.teams,
                )
                ticket_id, severity = ticket.id, ticket.severity
        except SQLAlchemyError:
            logger.exception("could not create a ticket for %s:%s", channel, sender_id)
            dispatcher.utter_message(response="utter_ticket_failed")
            return [SlotSet("last_ticket_id", None)]
        return [SlotSet("last_ticket_id", ticket_id), SlotSet("severity", severity)]


class ActionAcknowledgeComplaint(Action):
    """FEP: restates the facts, acknowledges the feeling, gives the plan and deadline.

    A separate action from the submission so that the response variations can depend on
    the severity the submission just decided (Rasa renders with the tracker as it was
    before an action's own events).
    """

    def name(self) -> str:
        return "action_acknowledge_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if duplicates.acknowledge_added(dispatcher, tracker):
            return _fresh_start(tracker)
        ticket_id = tracker.get_slot("last_ticket_id")
        services = get_services()
        with services.sessions() as session:
            ticket = get_ticket(session, ticket_id) if ticket_id else None
        if ticket is None or ticket.first_response_due is None or ticket.resolution_due is None:
            return []  # the submission failed and has already apologised
        lang = tracker.get_slot("lang")
        zone = services.policy.timezone
        dispatcher.utter_message(
            response="utter_fep_fact",
            order_ref=i18n.order_part(ticket.order_id, lang),
            description=i18n.shorten(ticket.description),
        )
        dispatcher.utter_message(response="utter_fep_empathy")
        dispatcher.utter_message(
            response="utter_fep_plan",
            ticket_id=ticket.id,
            first_response_due=i18n.format_deadline(ticket.first_response_due, zone, lang),
            resolution_due=i18n.format_deadline(ticket.resolution_due, zone, lang),
        )
        if ticket.severity == "urgent":  # straight to the top of the queue, not offered
            try:
                announce(
                    dispatcher, hand_over(services, tracker, reason="urgent", ticket_id=ticket.id)
                )
            except SQLAlchemyError:  # the ticket stands; the gateway's rebuild finds it later
                logger.exception("could not hand urgent ticket %s over", ticket.id)
        return _fresh_start(tracker)


def _fresh_start(tracker: Tracker) -> list[EventType]:
    """The next complaint starts afresh; the mood carries over only as the present one."""
    return [SlotSet(slot, None) for slot in INTAKE_SLOTS] + [
        SlotSet("emotion_peak", tracker.get_slot("emotion_level")),
        SlotSet("correcting", None),
    ]


class ActionCorrectComplaint(Action):
    """Applies a correction to the read-back; changes only what the customer corrected."""

    def name(self) -> str:
        return "action_correct_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if duplicates.decline_existing(tracker):
            # "No" to adding it to the open ticket: a new one, read back as usual.
            dispatcher.utter_message(
                response="utter_confirm_complaint", **_summary_kwargs(tracker.slots)
            )
            return [SlotSet(duplicates.SLOT, duplicates.NEW)]
        text = _text(tracker)
        updates: dict[str, Any] = {}
        for entity, slot in CORRECTABLE_ENTITIES.items():
            # Compared with nothing: the slot mapping may already have copied the value.
            value = next(tracker.get_latest_entity_values(entity), None)
            if value is not None:
                updates[slot] = value
        if "contact_phone" in updates or "contact_email" in updates:
            updates["contact"] = updates.get("contact_phone") or updates.get("contact_email")
        category = category_for_intent(_intent(tracker))
        if category is not None and not is_substantive(text):
            category = None  # "给个解释吧" is no new category, whatever the NLU made of it
        if category is not None and category != tracker.get_slot("category"):
            updates["category"] = category
        waiting = bool(tracker.get_slot("correcting"))
        if not updates and waiting and _intent(tracker) != "deny" and is_substantive(text):
            updates["description"] = text[:MAX_DESCRIPTION]
        if not updates:
            dispatcher.utter_message(response="utter_ask_correction")
            return [SlotSet("correcting", True)]
        dispatcher.utter_message(
            response="utter_confirm_complaint", **_summary_kwargs({**tracker.slots, **updates})
        )
        return [SlotSet(slot, value) for slot, value in updates.items()] + [
            SlotSet("correcting", None)
        ]


class ActionCancelComplaint(Action):
    """Stops the intake without opening a ticket."""

    def name(self) -> str:
        return "action_cancel_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_cancelled")
        events: list[EventType] = [SlotSet(slot, None) for slot in INTAKE_SLOTS]
        if tracker.active_loop_name:
            events = [ActiveLoop(None), SlotSet("requested_slot", None), *events]
        return events
