"""Per-turn context slots: language, emotion and channel (run by action_extract_slots)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from actions.responses import variant
from actions.services import conversation_identity
from bot.nlu.categories import COMPLAINT_INTENTS, category_for_intent
from bot.nlu.emotion import analyse, peak
from bot.nlu.language import detect_language
from bot.tickets.rules import is_safety_concern

# Rasa's text for an external event (the gateway's follow-up): no customer wrote it.
EXTERNAL_PREFIX = "EXTERNAL: "


def _user_text(tracker: Tracker) -> str:
    text = tracker.latest_message.get("text") or ""
    # Button payloads ("/affirm") and external events say nothing about language or feelings.
    return "" if text.startswith(("/", EXTERNAL_PREFIX)) else text


# Turns that already answer with empathy and a person: the complaint's own acknowledgement
# (furious variant offers a person), a request for a person, cancelling.
_ANSWERED_WITH_EMPATHY = COMPLAINT_INTENTS | {"file_complaint", "request_human", "cancel"}


def _feelings_first(tracker: Tracker, level: str) -> bool:
    """Feelings before forms (倾听 → 理解, issue 15): a furious turn, or one carrying an
    escalation threat, hears the empathy line and the offer of a person first, whatever the
    intent; then the turn goes on (the form resumes, the complaint is taken)."""
    threat = any(
        e.get("entity") == "escalation_threat" for e in tracker.latest_message.get("entities", [])
    )
    if level != "furious" and not threat:
        return False
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    in_intake = tracker.active_loop.get("name") == "complaint_form"
    # Outside the intake a complaint intent is acknowledged by its own empathy line, which
    # offers a person only at `furious`: a threat told calmly ("please, or I'll post this
    # everywhere") still hears the empathy line and the offer first.
    return in_intake or intent not in _ANSWERED_WITH_EMPATHY or (threat and level != "furious")


def say_safety_first(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
) -> None:
    """The safety line (issue 15): said once, when a complaint is first read as a danger or an
    injury: sorry, get help first, stop using the product and keep it, logged with priority."""
    _say_now(dispatcher, tracker, domain, "utter_safety_first")


def _say_now(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, response: str
) -> None:
    """`response` in the language of the message being read: the `lang` slot is only set
    after this turn's slot extraction, so its conditional variation is picked here."""
    lang = detect_language(_user_text(tracker), tracker.get_slot("lang")) or tracker.get_slot(
        "lang"
    )
    chosen = variant(domain, response, lang or "en")
    if chosen:
        dispatcher.utter_message(text=chosen["text"], buttons=chosen.get("buttons") or [])
    else:
        dispatcher.utter_message(response=response)


def _picked_by_button(tracker: Tracker) -> bool:
    """Whether the customer chose a complaint category with a button in this conversation."""
    return any(
        event.get("event") == "user"
        and (event.get("text") or "").startswith("/")
        and (event.get("parse_data") or {}).get("intent", {}).get("name") in COMPLAINT_INTENTS
        for event in tracker.events
    )


class ValidateSlotMappings(ValidationAction):
    """Fills the custom-mapped context slots after every user message."""

    def extract_lang(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        previous = tracker.get_slot("lang")
        detected = detect_language(_user_text(tracker), previous)
        return {"lang": detected or previous or "en"}

    def extract_emotion_level(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = _user_text(tracker)
        if not text:
            return {}
        emotion = tracker.latest_message.get("emotion") or analyse(text).as_dict()
        level = str(emotion.get("level") or "calm")
        if _feelings_first(tracker, level):
            _say_now(dispatcher, tracker, domain, "utter_empathy_first")
        return {
            "emotion_level": level,
            "emotion_peak": peak([tracker.get_slot("emotion_peak") or "calm", level]),
        }

    def extract_category(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        category = category_for_intent(intent)
        current = tracker.get_slot("category")
        being_asked = current is None or tracker.get_slot("requested_slot") == "category"
        text = _user_text(tracker)
        # Safety first, whatever the category (issue 15): a danger, an injury or another safety
        # problem told in the customer's words files the complaint as `safety`, unless the
        # customer picked another category with a button.
        if current != "safety" and is_safety_concern(text) and not _picked_by_button(tracker):
            intake = tracker.active_loop.get("name") == "complaint_form"
            if intake or (being_asked and (category or intent == "file_complaint")):
                say_safety_first(dispatcher, tracker, domain)
                return {"category": "safety"}
        if category is None:
            return {}
        if being_asked:
            return {"category": category}
        return {}

    def extract_channel(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        channel, _sender = conversation_identity(tracker)
        return {} if tracker.get_slot("channel") == channel else {"channel": channel}
