"""The router stores before it answers, and apologises when Rasa cannot be reached."""

from __future__ import annotations

import pytest

from bot.conversations.models import Conversation
from bot.conversations.store import transcript
from bot.routing.rasa_client import RasaClient
from bot.routing.router import Router, clean_text, safe_for_rasa
from bot.stack import free_port

INTENTS = frozenset({"affirm", "deny", "inform", "complain_delivery"})


@pytest.fixture
def router(sessions):
    unreachable = f"http://127.0.0.1:{free_port()}"  # a free port: nothing listens there
    rasa = RasaClient([unreachable], token=None, timeout=2.0)
    return Router(sessions=sessions, rasa=rasa, allowed_intents=INTENTS, max_chars=200)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/affirm", "/affirm"),
        ('/inform{"desired_resolution": "refund"}', '/inform{"desired_resolution": "refund"}'),
        ("/restart", "\uff0frestart"),  # not a button of ours: plain text
        ('/inform{"order_id": "X"}', '\uff0finform{"order_id": "X"}'),  # only known slots
        ("/inform{not json}", "\uff0finform{not json}"),
        ("my parcel is late", "my parcel is late"),
        ("/", "\uff0f"),
    ],
)
def test_only_known_button_payloads_reach_rasa_as_commands(text, expected):
    assert safe_for_rasa(text, INTENTS) == expected


def test_clean_text_drops_control_characters():
    assert clean_text("  hi\x00 there\x07\n") == "hi  there"


async def test_rasa_down_apologises_in_chinese_and_keeps_the_message(router, sessions):
    replies = await router.handle("rest", "cust-zh", "快递丢了，订单 JD0098812，怎么办")
    assert len(replies) == 1
    assert "已完整保存" in replies[0].text
    with sessions() as session:
        stored = transcript(session, channel="rest", sender_id="cust-zh")
    assert [(m.direction, m.author) for m in stored] == [("in", "customer"), ("out", "system")]
    assert stored[0].text == "快递丢了，订单 JD0098812，怎么办"


async def test_rasa_down_apologises_in_english(router):
    replies = await router.handle("rest", "cust-en", "my parcel never arrived")
    assert "saved" in replies[0].text


async def test_long_message_is_stored_whole_and_the_customer_told(router, sessions):
    long_text = "The blender broke. " * 40  # 760 characters, the cap is 200
    replies = await router.handle("rest", "cust-long", long_text)
    assert "first 200 characters" in replies[0].text
    with sessions() as session:
        stored = transcript(session, channel="rest", sender_id="cust-long")
    assert stored[0].text == long_text.strip()


async def test_empty_message_is_answered_and_not_sent_on(router, sessions):
    replies = await router.handle("rest", "cust-empty", " \n\t ")
    assert replies and replies[0].text
    with sessions() as session:
        assert transcript(session, channel="rest", sender_id="cust-empty") == []


@pytest.fixture
def holding_router(sessions):
    from bot.handoff.queue import DatabaseQueue
    from bot.paths import DEFAULT_SLA_POLICY
    from bot.routing.handover import Handover
    from bot.tickets.sla import load_policy

    policy = load_policy(DEFAULT_SLA_POLICY)
    rasa = RasaClient([f"http://127.0.0.1:{free_port()}"], token=None, timeout=2.0)
    queue = DatabaseQueue(sessions)
    handover = Handover(sessions=sessions, queue=queue, rasa=rasa, timezone=policy.timezone)
    router = Router(
        sessions=sessions,
        rasa=rasa,
        allowed_intents=INTENTS,
        max_chars=200,
        policy=policy,
        handover=handover,
    )
    router.queue = queue  # type: ignore[attr-defined]
    return router


async def test_rasa_down_puts_the_message_on_an_escalated_ticket_once(holding_router, sessions):
    from bot.tickets.models import Ticket

    first = await holding_router.handle(
        "rest", "cust-held", "I WILL SUE YOU, the heater never worked, order JD0098812!!!"
    )
    second = await holding_router.handle("rest", "cust-held", "hello?? anyone there")
    queued = holding_router.queue.items()
    assert len(queued) == 1  # one ticket, queued once however often the customer writes
    ticket_id = queued[0].ticket_id
    assert queued[0].severity == "major"
    assert ticket_id in first[0].text and ticket_id in second[0].text
    with sessions() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket.status == "escalated"
        assert ticket.order_id == "JD0098812"
        assert ticket.escalation_threat == "legal"
        assert ticket.severity == "major"  # a legal threat is major even without Rasa
        assert ticket.description.startswith("I WILL SUE YOU")
        notes = [e.data["text"] for e in ticket.events if e.action == "note"]
        assert notes == ["[bot unavailable] hello?? anyone there"]
        stored = transcript(session, channel="rest", sender_id="cust-held")
    assert [m.direction for m in stored] == ["in", "out", "in", "out"]
    with sessions() as session:
        conversation = session.get(Conversation, queued[0].conversation_id)
        assert conversation.owner == "bot"  # the bot answers again as soon as Rasa is back


async def test_rasa_down_in_chinese_names_the_ticket(holding_router):
    replies = await holding_router.handle("rest", "cust-held-zh", "快递三天没到，订单 JD0098812")
    assert "工单 CP-" in replies[0].text


async def test_the_console_is_told_of_messages_for_a_human_only(sessions):
    from datetime import UTC, datetime

    from bot.conversations.store import get_or_create_conversation
    from bot.db import transaction

    told: list[int] = []
    unreachable = f"http://127.0.0.1:{free_port()}"
    router = Router(
        sessions=sessions,
        rasa=RasaClient([unreachable], token=None, timeout=2.0),
        allowed_intents=INTENTS,
        max_chars=200,
        on_customer_message=told.append,
    )
    await router.handle("rest", "with-bot", "hello")
    assert told == []  # the bot has it: nobody to tell
    with transaction(sessions) as session:
        conv = get_or_create_conversation(
            session, channel="rest", sender_id="with-agent", now=datetime.now(UTC)
        )
        conv.owner, conv.assigned_agent = "agent", "alice"
        conv_id = conv.id
    assert await router.handle("rest", "with-agent", "are you there?") == []
    assert told == [conv_id]

    def broken(_conversation_id: int) -> None:
        raise RuntimeError("console down")

    router.on_customer_message = broken  # a failing console never costs the customer
    assert await router.handle("rest", "with-agent", "hello again") == []
    with sessions() as session:
        texts = [m.text for m in transcript(session, channel="rest", sender_id="with-agent")]
    assert texts == ["are you there?", "hello again"]
