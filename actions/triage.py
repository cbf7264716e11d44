"""Low confidence is not a decision (issue 15): a message the NLU did not take for a complaint
(unsure, or a detail with nothing asked) but that carries complaint cues is treated as one.

The customer hears the empathy line first, what they wrote becomes the description, and the
intake asks the category with the buttons ordered by the NLU's ranking, unless the ranking
clearly points at one.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import say_safety_first
from actions.fallback import FALLBACK_INTENT
from actions.intake import is_substantive, the_story
from actions.responses import variant
from bot.nlu.categories import COMPLAINT_INTENTS, category_for_intent
from bot.tickets.rules import is_safety_concern

UPSET_OR_WORSE = frozenset({"upset", "angry", "furious"})
CUE_ENTITIES = frozenset({"product", "order_id"})
# A complaint intent this far down the ranking still says "complaint".
TOP = 3
# A category the ranking clearly points at is taken without asking (dominant_category).
MIN_CATEGORY_CONFIDENCE = 0.05
DOMINANCE = 3.0


def complaint_cues(message: dict[str, Any], *, ranking: bool = True) -> list[str]:
    """Why a message reads as a complaint whatever its top intent (nothing when it does not).

    Only messages with content count: a substantive text, or a product or order number.
    Nonsense sent to nlu_fallback by the unknown-words guard (confidence 1.0) never does.
    `ranking=False` ignores the runners-up of the intent ranking (for a confident other
    intent, such as a status check, the ranking's tail says little).
    """
    text = (message.get("text") or "").strip()
    intent = message.get("intent") or {}
    if not text or text.startswith("/"):
        return []
    if intent.get("name") == FALLBACK_INTENT and float(intent.get("confidence") or 0) >= 1.0:
        return []
    entities = {e.get("entity") for e in message.get("entities") or []}
    if not (is_substantive(text) or entities & CUE_ENTITIES):
        return []
    cues = []
    ranked = [r.get("name") for r in (message.get("intent_ranking") or [])[: TOP + 1]]
    ranked = [name for name in ranked if name != FALLBACK_INTENT][:TOP]
    if ranking and any(name in COMPLAINT_INTENTS for name in ranked):
        cues.append("complaint intent in the top 3")
    if (message.get("emotion") or {}).get("level") in UPSET_OR_WORSE:
        cues.append("upset or worse")
    if entities & CUE_ENTITIES:
        cues.append("product or order number")
    if is_safety_concern(text):
        cues.append("safety concern")
    return cues


def ranked_categories(message: dict[str, Any]) -> list[str]:
    """The complaint categories in the order of the message's intent ranking."""
    order = []
    for entry in message.get("intent_ranking") or []:
        category = category_for_intent(entry.get("name"))
        if category and category not in order:
            order.append(category)
    return order


def dominant_category(message: dict[str, Any]) -> str | None:
    """The complaint category the ranking clearly points at, even when the top intent is not
    a complaint (an all-in-one message with an order number, a remedy and a contact reads as
    `inform`): at least MIN_CATEGORY_CONFIDENCE and DOMINANCE times the next category."""
    scores: dict[str, float] = {}
    for entry in message.get("intent_ranking") or []:
        category = category_for_intent(entry.get("name"))
        if category:
            scores[category] = max(scores.get(category, 0.0), float(entry.get("confidence") or 0))
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    if not ranked or ranked[0][1] < MIN_CATEGORY_CONFIDENCE:
        return None
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    return ranked[0][0] if ranked[0][1] >= DOMINANCE * runner_up else None


def start_intake(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: DomainDict,
    *,
    ranking: bool = True,
) -> list[EventType] | None:
    """Outside the intake, a message with complaint cues starts it: the empathy line, the
    text as the description, then the form (which asks the category, ranked). None when the
    message is no complaint, or the intake is already running."""
    message = tracker.latest_message
    if tracker.active_loop.get("name") or not complaint_cues(message, ranking=ranking):
        return None
    text = (message.get("text") or "").strip()
    dispatcher.utter_message(response="utter_acknowledge_feeling")
    events: list[EventType] = []
    if tracker.get_slot("description") is None and is_substantive(text):
        events.append(SlotSet("description", the_story(text)))
    category = "safety" if is_safety_concern(text) else dominant_category(message)
    if category == "safety" and tracker.get_slot("category") != "safety":
        say_safety_first(dispatcher, tracker, domain)
    events.append(SlotSet("category", category))
    return [*events, FollowupAction("complaint_form")]


class ActionAskCategory(Action):
    """The category question, its buttons ordered by what the NLU made of the customer's
    latest message (the likeliest first); wording and titles from domain.yml."""

    def name(self) -> str:
        return "action_ask_category"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        chosen = variant(domain, "utter_ask_category", tracker.get_slot("lang") or "en")
        if not chosen or not chosen.get("text"):
            dispatcher.utter_message(response="utter_ask_category")
            return []
        order = ranked_categories(tracker.latest_message)
        buttons = list(chosen.get("buttons") or [])

        def rank(button: dict[str, Any]) -> int:
            category = category_for_intent(str(button.get("payload", "")).lstrip("/"))
            return order.index(category) if category in order else len(order)

        dispatcher.utter_message(text=chosen["text"], buttons=sorted(buttons, key=rank))
        return []
