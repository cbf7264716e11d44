"""Low-confidence turns, and details given with nothing asked: a complaint when the message
carries complaint cues (actions/triage.py); otherwise ask to rephrase once, offer a person the
second time in a row."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

FALLBACK_INTENT = "nlu_fallback"
FALLBACKS_BEFORE_HUMAN = 2


def consecutive_fallbacks(events: list[dict]) -> int:
    """How many of the latest user messages in a row were not understood."""
    count = 0
    for event in reversed(events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent != FALLBACK_INTENT:
            break
        count += 1
    return count


class ActionHandleFallback(Action):
    def name(self) -> str:
        return "action_handle_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        from actions.triage import start_intake

        intake = start_intake(dispatcher, tracker, domain)
        if intake is not None:
            return intake
        if consecutive_fallbacks(tracker.events) >= FALLBACKS_BEFORE_HUMAN:
            dispatcher.utter_message(response="utter_offer_human")
        else:
            dispatcher.utter_message(response="utter_please_rephrase")
        return []
