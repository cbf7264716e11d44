"""Low confidence is not a decision (issue 15): complaint cues start the intake."""

from __future__ import annotations

from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionHandleFallback
from actions.triage import ActionAskCategory, complaint_cues, dominant_category, ranked_categories

from .conftest import entity, make_tracker

DOMAIN_RESPONSES = {
    "responses": {
        "utter_ask_category": [
            {
                "condition": [{"type": "slot", "name": "lang", "value": "zh"}],
                "text": "请问主要是哪方面的问题？",
                "buttons": [
                    {"title": "商品质量", "payload": "/complain_product_quality"},
                    {"title": "物流配送", "payload": "/complain_delivery"},
                    {"title": "安全问题", "payload": "/complain_safety"},
                ],
            },
            {
                "text": "What is it mainly about?",
                "buttons": [
                    {"title": "Product quality", "payload": "/complain_product_quality"},
                    {"title": "Delivery", "payload": "/complain_delivery"},
                    {"title": "Safety", "payload": "/complain_safety"},
                ],
            },
        ]
    }
}


def _message(text, intent="inform", confidence=0.5, ranking=(), emotion="calm", entities=()):
    return {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
        "emotion": {"level": emotion, "score": 0.5},
        "entities": list(entities),
    }


def test_cues_need_content_and_a_complaint_sign():
    second_problem = _message(
        "上次买的空气炸锅又坏了，这次是按钮失灵",
        ranking=[("inform", 0.53), ("complain_product_quality", 0.38), ("complain_safety", 0.03)],
    )
    assert complaint_cues(second_problem) == ["complaint intent in the top 3"]
    angry = _message("I have been waiting for three weeks and nobody tells me anything", emotion="angry",
                     ranking=[("check_status", 0.5), ("greet", 0.2)])  # fmt: skip
    assert complaint_cues(angry) == ["upset or worse"]
    assert complaint_cues(_message("ok thanks", emotion="upset")) == []  # no content
    assert complaint_cues(_message("/affirm", ranking=[("complain_delivery", 1.0)])) == []
    nonsense = _message("blorf snarp wibble zonk", intent="nlu_fallback", confidence=1.0,
                        ranking=[("complain_delivery", 0.4)])  # fmt: skip
    assert complaint_cues(nonsense) == []
    plain = _message("my name is Wang Lei and I live in Shanghai", ranking=[("inform", 0.9)])
    assert complaint_cues(plain) == []


def test_ranked_categories_follow_the_nlu():
    message = _message("x", ranking=[("inform", 0.5), ("complain_safety", 0.3),
                                     ("complain_delivery", 0.1)])  # fmt: skip
    assert ranked_categories(message) == ["safety", "delivery"]


def _detail(text: str, *ranking: tuple[str, float]):
    """A Chinese message the NLU read as a detail (`inform`), with this intent ranking."""
    tracker = make_tracker(text=text, intent="inform", slots={"lang": "zh"})
    tracker.latest_message["intent_ranking"] = [{"name": n, "confidence": c} for n, c in ranking]
    return tracker


async def test_a_complaint_read_as_a_detail_starts_the_intake_with_empathy_first():
    text = "上次买的空气炸锅又坏了，这次是按钮失灵"
    tracker = _detail(text, ("inform", 0.53), ("complain_product_quality", 0.38))
    dispatcher = CollectingDispatcher()
    events = await ActionHandleFallback().run(dispatcher, tracker, {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_acknowledge_feeling"]
    # The ranking clearly points at one category: taken without asking.
    assert events == [
        SlotSet("description", text),
        SlotSet("category", "product_quality"),
        FollowupAction("complaint_form"),
    ]


async def test_an_unclear_ranking_leaves_the_category_to_the_buttons():
    tracker = _detail(
        "上次买的空气炸锅送来就是坏的，快递盒也压扁了",
        ("inform", 0.5), ("complain_product_quality", 0.26), ("complain_delivery", 0.2),
    )  # fmt: skip
    events = await ActionHandleFallback().run(CollectingDispatcher(), tracker, {})
    assert SlotSet("category", None) in events and FollowupAction("complaint_form") in events


def test_dominant_category_needs_a_clear_lead_and_some_confidence():
    def ranking(*pairs):
        return {"intent_ranking": [{"name": n, "confidence": c} for n, c in pairs]}

    assert dominant_category(ranking(("inform", 0.92), ("complain_billing", 0.077))) == "billing"
    assert dominant_category(ranking(("inform", 0.99), ("complain_billing", 0.01))) is None
    assert (
        dominant_category(
            ranking(("inform", 0.5), ("complain_delivery", 0.3), ("complain_billing", 0.12))
        )
        is None
    )
    assert dominant_category(ranking(("greet", 0.9), ("thank", 0.1))) is None


async def test_without_cues_or_inside_the_form_it_is_the_usual_fallback():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="hmm", intent="nlu_fallback")
    assert await ActionHandleFallback().run(dispatcher, tracker, {}) == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_please_rephrase"]
    dispatcher = CollectingDispatcher()
    inside = make_tracker(
        text="the order number is JD0098812 and the kettle broke",
        intent="nlu_fallback",
        entities=[entity("order_id", "JD0098812")],
        active_loop="complaint_form",
    )
    assert await ActionHandleFallback().run(dispatcher, inside, {}) == []


async def test_category_buttons_are_ordered_by_the_ranking_in_the_customers_language():
    tracker = make_tracker(text="the box arrived crushed", intent="inform", slots={"lang": "en"})
    tracker.latest_message["intent_ranking"] = [
        {"name": "inform", "confidence": 0.6},
        {"name": "complain_delivery", "confidence": 0.3},
        {"name": "complain_safety", "confidence": 0.05},
    ]
    dispatcher = CollectingDispatcher()
    assert await ActionAskCategory().run(dispatcher, tracker, DOMAIN_RESPONSES) == []
    [asked] = dispatcher.messages
    assert asked["text"] == "What is it mainly about?"
    assert [b["payload"] for b in asked["buttons"]] == [
        "/complain_delivery", "/complain_safety", "/complain_product_quality",
    ]  # fmt: skip
    zh = make_tracker(text="快递盒子压扁了", intent="inform", slots={"lang": "zh"})
    dispatcher = CollectingDispatcher()
    await ActionAskCategory().run(dispatcher, zh, DOMAIN_RESPONSES)
    assert dispatcher.messages[0]["text"] == "请问主要是哪方面的问题？"
    assert len(dispatcher.messages[0]["buttons"]) == 3


async def test_a_furious_turn_hears_empathy_and_a_person_first_whatever_the_intent():
    from actions.context import ValidateSlotMappings

    context = ValidateSlotMappings()
    domain = {
        "responses": {
            "utter_empathy_first": [
                {"condition": [{"type": "slot", "name": "lang", "value": "zh"}], "text": "非常抱歉",
                 "buttons": [{"title": "转人工", "payload": "/request_human"}]},
                {"text": "I'm truly sorry", "buttons": [{"title": "Talk to a person", "payload": "/request_human"}]},
            ]
        }
    }  # fmt: skip
    furious = {"level": "furious", "score": 0.9}
    # Mid-intake, an order number given in fury: empathy first, then the form goes on.
    tracker = make_tracker(
        text="JD0098812 你们这群骗子！！！", intent="inform",
        slots={"lang": "zh", "requested_slot": "order_id"}, active_loop="complaint_form",
    )  # fmt: skip
    tracker.latest_message["emotion"] = furious
    dispatcher = CollectingDispatcher()
    assert context.extract_emotion_level(dispatcher, tracker, domain)["emotion_level"] == "furious"
    assert dispatcher.messages[0]["text"] == "非常抱歉"
    assert dispatcher.messages[0]["buttons"][0]["payload"] == "/request_human"
    # A threat, calmly put, outside the intake, in English.
    calm_threat = make_tracker(
        text="where is my refund, I will report you to the FTC", intent="check_status",
        entities=[entity("escalation_threat", "regulator")], slots={"lang": "en"},
    )  # fmt: skip
    calm_threat.latest_message["emotion"] = {"level": "angry", "score": 0.6}
    dispatcher = CollectingDispatcher()
    context.extract_emotion_level(dispatcher, calm_threat, domain)
    assert [m["text"] for m in dispatcher.messages] == ["I'm truly sorry"]
    # The complaint's own acknowledgement already does it; a calm turn needs none.
    for intent, emotion in (("complain_delivery", furious), ("inform", {"level": "angry"})):
        other = make_tracker(text="this is the third time!!!", intent=intent, slots={"lang": "en"})
        other.latest_message["emotion"] = emotion
        dispatcher = CollectingDispatcher()
        context.extract_emotion_level(dispatcher, other, domain)
        assert dispatcher.messages == []


async def test_a_status_check_with_no_ticket_but_complaint_cues_takes_the_complaint(services):
    from actions.status import ActionCheckStatus

    tracker = make_tracker(
        text="you sent me the wrong colour AGAIN and nobody cares", intent="check_status",
        slots={"lang": "en"},
    )  # fmt: skip
    tracker.latest_message["emotion"] = {"level": "furious", "score": 0.9}
    dispatcher = CollectingDispatcher()
    events = await ActionCheckStatus().run(dispatcher, tracker, {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_acknowledge_feeling"]
    assert FollowupAction("complaint_form") in events
    plain = make_tracker(text="any update on my complaint?", intent="check_status")
    plain.latest_message["intent_ranking"] = [
        {"name": "check_status", "confidence": 0.9},
        {"name": "complain_after_sales", "confidence": 0.05},
    ]
    dispatcher = CollectingDispatcher()
    await ActionCheckStatus().run(dispatcher, plain, {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_no_tickets"]
