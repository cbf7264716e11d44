"""The intake actions: form extraction and validation, read-back, correction, submission."""

from __future__ import annotations

from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionHandleFallback, consecutive_fallbacks
from actions.intake import (
    ActionAcknowledgeComplaint,
    ActionCancelComplaint,
    ActionConfirmComplaint,
    ActionCorrectComplaint,
    ActionSubmitComplaint,
    ValidateComplaintForm,
    is_substantive,
)
from bot.tickets.service import get_ticket

from .conftest import entity, make_tracker

DOMAIN: dict = {"slots": {}, "forms": {}}
FILLED = {
    "lang": "zh",
    "category": "product_quality",
    "description": "电饭煲用了三天就无法加热",
    "order_id": "JD0098812",
    "desired_resolution": "refund",
    "contact": "13812345678",
    "contact_phone": "13812345678",
    "emotion_level": "upset",
    "emotion_peak": "upset",
}


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages]


def slots(events: list) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_substantive_first_message_becomes_the_description():
    assert is_substantive("我买的电饭煲用了三天就坏了")
    assert is_substantive("The parcel was due Monday and never came")
    assert not is_substantive("我要投诉")
    assert not is_substantive("I want to make a complaint about your")


async def test_first_message_with_facts_prefills_description():
    form, dispatcher = ValidateComplaintForm(), CollectingDispatcher()
    tracker = make_tracker(text="快递说送到了但我根本没收到", intent="complain_delivery")
    assert await form.extract_description(dispatcher, tracker, DOMAIN) == {
        "description": "快递说送到了但我根本没收到"
    }
    vague = make_tracker(text="我要投诉", intent="file_complaint")
    assert await form.extract_description(dispatcher, vague, DOMAIN) == {}


async def test_no_order_number_is_accepted_as_none():
    form, dispatcher = ValidateComplaintForm(), CollectingDispatcher()
    for text, intent in (
        ("没有订单号", "inform"),
        ("no", "deny"),
        ("I don't have one", "inform"),
        ("there isn't one", "nlu_fallback"),
        ("there is none", "inform"),
    ):
        tracker = make_tracker(text=text, intent=intent, slots={"requested_slot": "order_id"})
        assert await form.extract_order_id(dispatcher, tracker, DOMAIN) == {"order_id": "none"}
    assert dispatcher.messages == []


async def test_unusable_order_answer_is_re_asked_clearly():
    form, dispatcher = ValidateComplaintForm(), CollectingDispatcher()
    tracker = make_tracker(
        text="it was the blue one", intent="inform", slots={"requested_slot": "order_id"}
    )
    # The form stays on the question (no rejection, so no "didn't understand" from the
    # rules); validation says what an order number looks like, then the question comes again.
    assert await form.extract_order_id(dispatcher, tracker, DOMAIN) == {"order_id": None}
    assert form.validate_order_id(None, dispatcher, tracker, DOMAIN) == {"order_id": None}
    assert responses(dispatcher) == ["utter_invalid_order_id"]


async def test_correcting_another_detail_is_not_scolded():
    """'Sorry, the order number is actually ...' while the bot asks for the remedy."""
    form, dispatcher = ValidateComplaintForm(), CollectingDispatcher()
    tracker = make_tracker(
        text="sorry, the order number is actually JD0098813",
        intent="inform",
        entities=[entity("order_id", "JD0098813")],
        slots={"requested_slot": "desired_resolution"},
    )
    assert await form.extract_desired_resolution(dispatcher, tracker, DOMAIN) == {}
    assert dispatcher.messages == []


async def test_remedy_in_free_text_and_no_remedy():
    form, dispatcher = ValidateComplaintForm(), CollectingDispatcher()
    wanted = make_tracker(
        text="just send me a new one", slots={"requested_slot": "desired_resolution"}
    )
    assert await form.extract_desired_resolution(dispatcher, wanted, DOMAIN) == {
        "desired_resolution": "replacement"
    }
    nothing = make_tracker(
        text="不需要，我就是反映一下", slots={"requested_slot": "desired_resolution"}
    )
    assert await form.extract_desired_resolution(dispatcher, nothing, DOMAIN) == {
        "desired_resolution": "none"
    }


async def test_contact_is_taken_from_an_earlier_phone_number():
    form, dispatcher = ValidateComplaintForm(), CollectingDispatcher()
    tracker = make_tracker(text="ok", slots={"contact_phone": "13812345678"})
    assert await form.extract_contact(dispatcher, tracker, DOMAIN) == {"contact": "13812345678"}


async def test_contact_skippable_on_telegram_only():
    form = ValidateComplaintForm()
    telegram = make_tracker(
        text="跳过，就在这里联系我",
        slots={"requested_slot": "contact"},
        metadata={"channel": "telegram", "sender_id": "42"},
    )
    assert await form.extract_contact(CollectingDispatcher(), telegram, DOMAIN) == {
        "contact": "telegram"
    }
    dispatcher = CollectingDispatcher()
    rest = make_tracker(text="skip", intent="inform", slots={"requested_slot": "contact"})
    assert await form.extract_contact(dispatcher, rest, DOMAIN) == {"contact": None}
    assert form.validate_contact(None, dispatcher, rest, DOMAIN) == {"contact": None}
    assert responses(dispatcher) == ["utter_invalid_contact"]
    # Asking for something else (a person) leaves the question to the rules: no scolding.
    dispatcher = CollectingDispatcher()
    other = make_tracker(text="agent", intent="request_human", slots={"requested_slot": "contact"})
    assert await form.extract_contact(dispatcher, other, DOMAIN) == {}
    assert responses(dispatcher) == []


def test_description_validation():
    form, dispatcher = ValidateComplaintForm(), CollectingDispatcher()
    tracker = make_tracker(text="😡😡")
    assert form.validate_description("😡😡", dispatcher, tracker, DOMAIN) == {"description": None}
    assert responses(dispatcher) == ["utter_invalid_description"]
    long_text = "坏了" * 5000
    assert (
        len(form.validate_description(long_text, dispatcher, tracker, DOMAIN)["description"])
        == 2000
    )


def test_order_and_remedy_validation():
    form, dispatcher = ValidateComplaintForm(), CollectingDispatcher()
    tracker = make_tracker()
    assert form.validate_order_id("订单JD0098812", dispatcher, tracker, DOMAIN) == {
        "order_id": "JD0098812"
    }
    assert form.validate_order_id("abc", dispatcher, tracker, DOMAIN) == {"order_id": None}
    assert form.validate_desired_resolution("teleport", dispatcher, tracker, DOMAIN) == {
        "desired_resolution": None
    }
    assert responses(dispatcher) == ["utter_invalid_order_id", "utter_invalid_desired_resolution"]


async def test_read_back_names_every_detail():
    dispatcher = CollectingDispatcher()
    await ActionConfirmComplaint().run(dispatcher, make_tracker(slots=FILLED), DOMAIN)
    [message] = dispatcher.messages
    assert message["response"] == "utter_confirm_complaint"
    assert message["category_label"] == "商品质量"
    assert "JD0098812" in message["order_part"]
    assert message["resolution_label"] == "退款"


async def test_correction_changes_only_the_corrected_slot():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text="订单号错了，应该是JD0098899",
        intent="inform",
        entities=[entity("order_id", "JD0098899")],
        slots=FILLED,
    )
    events = await ActionCorrectComplaint().run(dispatcher, tracker, DOMAIN)
    assert slots(events) == {"order_id": "JD0098899", "correcting": None}
    assert responses(dispatcher) == ["utter_confirm_complaint"]
    assert "JD0098899" in dispatcher.messages[0]["order_part"]


async def test_plain_no_asks_what_to_change_then_takes_a_new_description():
    dispatcher = CollectingDispatcher()
    first = make_tracker(text="不对", intent="deny", slots=FILLED)
    events = await ActionCorrectComplaint().run(dispatcher, first, DOMAIN)
    assert slots(events) == {"correcting": True}
    assert responses(dispatcher) == ["utter_ask_correction"]

    dispatcher = CollectingDispatcher()
    second = make_tracker(
        text="电饭煲是用了三天以后就开始漏电了",
        intent="complain_product_quality",
        slots={**FILLED, "correcting": True},
    )
    events = await ActionCorrectComplaint().run(dispatcher, second, DOMAIN)
    assert slots(events) == {"description": "电饭煲是用了三天以后就开始漏电了", "correcting": None}
    assert responses(dispatcher) == ["utter_confirm_complaint"]


async def test_category_correction_by_intent():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="其实是快递的问题", intent="complain_delivery", slots=FILLED)
    events = await ActionCorrectComplaint().run(dispatcher, tracker, DOMAIN)
    assert slots(events)["category"] == "delivery"


async def test_submit_then_acknowledge_in_fep_form(services):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="/affirm", intent="affirm", slots=FILLED)
    events = await ActionSubmitComplaint().run(dispatcher, tracker, DOMAIN)
    created = slots(events)
    assert created["severity"] == "general"
    assert dispatcher.messages == []
    with services.sessions() as session:
        ticket = get_ticket(session, created["last_ticket_id"])
        assert ticket.order_id == "JD0098812"
        assert ticket.desired_resolution == "refund"
        assert ticket.channel == "rest" and ticket.sender_id == "cust-1"

    dispatcher = CollectingDispatcher()
    after = make_tracker(text="/affirm", intent="affirm", slots={**FILLED, **created})
    events = await ActionAcknowledgeComplaint().run(dispatcher, after, DOMAIN)
    assert responses(dispatcher) == ["utter_fep_fact", "utter_fep_empathy", "utter_fep_plan"]
    fact, _empathy, plan = dispatcher.messages
    assert "JD0098812" in fact["order_ref"]
    assert plan["ticket_id"] == created["last_ticket_id"]
    assert "北京时间" in plan["first_response_due"]
    assert SlotSet("category", None) in events and SlotSet("order_id", None) in events


async def test_threat_makes_the_ticket_major(services):
    tracker = make_tracker(
        text="/affirm", intent="affirm", slots={**FILLED, "escalation_threat": "regulator"}
    )
    events = await ActionSubmitComplaint().run(CollectingDispatcher(), tracker, DOMAIN)
    assert slots(events)["severity"] == "major"


async def test_acknowledge_without_a_ticket_says_nothing(services):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={**FILLED, "last_ticket_id": "CP-20000101-0001"})
    assert await ActionAcknowledgeComplaint().run(dispatcher, tracker, DOMAIN) == []
    assert dispatcher.messages == []


async def test_submit_failure_apologises(tmp_path, monkeypatch):
    """A database that cannot be written: the customer hears it, nothing crashes."""
    from actions.services import get_services

    monkeypatch.setenv("COMPLAINTBOT_DATABASE_URL", f"sqlite:///{tmp_path / 'no-tables.db'}")
    get_services.cache_clear()
    try:
        dispatcher = CollectingDispatcher()
        events = await ActionSubmitComplaint().run(dispatcher, make_tracker(slots=FILLED), DOMAIN)
    finally:
        get_services.cache_clear()
    assert responses(dispatcher) == ["utter_ticket_failed"]
    assert slots(events) == {"last_ticket_id": None}


async def test_cancel_inside_the_form_closes_it():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="算了", intent="cancel", slots=FILLED, active_loop="complaint_form")
    events = await ActionCancelComplaint().run(dispatcher, tracker, DOMAIN)
    assert events[0] == ActiveLoop(None)
    assert slots(events)["description"] is None
    assert responses(dispatcher) == ["utter_cancelled"]


def _fallback_event(text: str) -> dict:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": "nlu_fallback"}}}


async def test_second_fallback_in_a_row_offers_a_person():
    first = make_tracker(text="asdfgh", intent="nlu_fallback")
    dispatcher = CollectingDispatcher()
    await ActionHandleFallback().run(dispatcher, first, DOMAIN)
    assert responses(dispatcher) == ["utter_please_rephrase"]

    second = make_tracker(text="qwerty", intent="nlu_fallback", events=[_fallback_event("asdfgh")])
    assert consecutive_fallbacks(second.events) == 2
    dispatcher = CollectingDispatcher()
    await ActionHandleFallback().run(dispatcher, second, DOMAIN)
    assert responses(dispatcher) == ["utter_offer_human"]


def test_understood_message_resets_the_fallback_count():
    events = [
        _fallback_event("a"),
        {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet"}}},
        _fallback_event("b"),
    ]
    assert consecutive_fallbacks(events) == 1


async def test_correction_counts_even_when_the_slot_mapping_already_copied_it():
    """Rasa's from_entity mapping fills order_id before the action runs."""
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text="订单号应该是 SF1234567899",
        intent="complain_delivery",
        entities=[entity("order_id", "SF1234567899")],
        slots={**FILLED, "category": "delivery", "order_id": "SF1234567899", "correcting": True},
    )
    events = await ActionCorrectComplaint().run(dispatcher, tracker, DOMAIN)
    assert slots(events) == {"order_id": "SF1234567899", "correcting": None}
    assert responses(dispatcher) == ["utter_confirm_complaint"]


KETTLE = "电水壶底座漏电，我倒水的时候手被电了一下"


async def test_free_text_at_the_category_question_is_the_description_and_the_category():
    """Issue 15: the customer types what happened instead of pressing a category button."""
    from actions.context import ValidateSlotMappings

    asked = {"requested_slot": "category", "lang": "zh"}
    tracker = make_tracker(
        text=KETTLE, intent="complain_product_quality", slots=asked, active_loop="complaint_form"
    )
    form, dispatcher = ValidateComplaintForm(), CollectingDispatcher()
    assert await form.extract_description(dispatcher, tracker, DOMAIN) == {"description": KETTLE}
    context = ValidateSlotMappings()
    assert context.extract_category(dispatcher, tracker, DOMAIN) == {"category": "safety"}
    # A button press is a choice, not a description.
    button = make_tracker(
        text="/complain_delivery",
        intent="complain_delivery",
        slots=asked,
        active_loop="complaint_form",
    )
    assert await form.extract_description(dispatcher, button, DOMAIN) == {}
    assert context.extract_category(dispatcher, button, DOMAIN) == {"category": "delivery"}


async def test_a_danger_cue_files_the_complaint_as_safety_unless_the_customer_picked_another():
    from actions.context import ValidateSlotMappings

    context, dispatcher = ValidateSlotMappings(), CollectingDispatcher()
    first = make_tracker(text=KETTLE, intent="complain_product_quality")
    assert context.extract_category(dispatcher, first, DOMAIN) == {"category": "safety"}
    # Told later, while the form runs: the complaint becomes a safety one.
    later = make_tracker(
        text="对了，我妈用的时候也被电到了",
        intent="inform",
        slots={"category": "product_quality", "requested_slot": "order_id"},
        active_loop="complaint_form",
    )
    assert context.extract_category(dispatcher, later, DOMAIN) == {"category": "safety"}
    # The customer pressed "product quality" themselves: their choice stands.
    pressed = {
        "event": "user",
        "text": "/complain_product_quality",
        "parse_data": {"intent": {"name": "complain_product_quality", "confidence": 1.0}},
    }
    chosen = make_tracker(
        text="对了，我妈用的时候也被电到了",
        intent="inform",
        slots={"category": "product_quality", "requested_slot": "order_id"},
        active_loop="complaint_form",
        events=[pressed],
    )
    assert context.extract_category(dispatcher, chosen, DOMAIN) == {}
    # Negated, or outside any complaint: nothing changes.
    negated = make_tracker(text="检查过了没有漏电，就是不加热", intent="complain_product_quality")
    assert context.extract_category(dispatcher, negated, DOMAIN) == {"category": "product_quality"}
    chat = make_tracker(text="your site says the hoverboard is dangerous?", intent="out_of_scope")
    assert context.extract_category(dispatcher, chat, DOMAIN) == {}


async def test_a_shock_filed_under_quality_still_opens_an_urgent_ticket(services):
    tracker = make_tracker(
        text="/affirm",
        intent="affirm",
        slots={**FILLED, "category": "product_quality", "description": KETTLE},
    )
    events = await ActionSubmitComplaint().run(CollectingDispatcher(), tracker, DOMAIN)
    assert slots(events)["severity"] == "urgent"
