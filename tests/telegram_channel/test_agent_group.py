"""The agents' Telegram group against the fake Bot API server, with the gateway in this
process on a real database (SQLite and PostgreSQL) and no Rasa (nothing here needs the
bot: a REST customer's message lands on a ticket queued for a human when Rasa is down).

Handoffs posted with a Claim button, claims by linked and unlinked Telegram users, a
second claim refused, the agent's reply reaching the customer, the customer's next
message posted under the ticket, /resolve and /release handing the chat back to the bot."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from bot.agents.passwords import set_password
from bot.agents.service import create_agent, link_telegram
from bot.clock import utcnow
from bot.config import load_settings
from bot.conversations.models import Conversation
from bot.db import transaction
from bot.stack import free_port
from bot.tickets.models import Ticket
from bot.web.app import create_app
from telegram_channel.conftest import TOKEN
from telegram_channel.fake_bot_api import (
    FakeBotApi,
    group_button_update,
    group_text_update,
    text_update,
)

GROUP = -1009876543210
WANG, LI, STRANGER = 7001, 7002, 7003
SERVICE_TOKEN = "service-token-for-agent-group-0123456789"
TICKET = re.compile(r"CP-\d{8}-\d{4}")
PHONE = "13812345678"
PASSWORD = "a console password"


@pytest.fixture
def gateway(db_url, tmp_path, fake_api) -> Iterator[TestClient]:
    """The gateway with Telegram and the agents' group on; Rasa's URL leads nowhere."""
    nowhere = f"http://127.0.0.1:{free_port()}"
    settings = load_settings(
        _env_file=None,
        env="development",
        var_dir=tmp_path / "var",
        database_url=db_url,
        api_token=SERVICE_TOKEN,
        rasa_url=nowhere,
        actions_url=nowhere,
        telegram_token=SecretStr(TOKEN),
        telegram_api_url=fake_api.url,
        telegram_agent_chat=str(GROUP),
        sla_monitor_interval=0.0,
    )
    with TestClient(create_app(settings)) as client:
        fake_api.wait_for(lambda: client.app.state.telegram.ready, timeout=30, what="Telegram")
        with transaction(client.app.state.sessions) as session:
            for name, display, telegram_id in (("wang", "Wang", WANG), ("li", "Li", LI)):
                create_agent(
                    session, username=name, role="agent", display_name=display, now=utcnow()
                )
                link_telegram(session, username=name, telegram_user_id=telegram_id)
        yield client


def _ticket(client: TestClient, ticket_id: str) -> Ticket:
    with client.app.state.sessions() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        session.expunge(ticket)
        return ticket


def _conversation(client: TestClient, channel: str, sender: str) -> Conversation | None:
    with client.app.state.sessions() as session:
        return session.scalars(
            select(Conversation).where(
                Conversation.channel == channel, Conversation.sender_id == sender
            )
        ).one_or_none()


def _complain(client: TestClient, sender: str, text: str) -> str:
    """A REST customer writes while the bot is down: the ticket waits for a human."""
    answer = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
    assert answer.status_code == 200
    found = TICKET.search(" ".join(r["text"] for r in answer.json()))
    assert found, answer.json()
    return found.group(0)


def _post_of(api: FakeBotApi, ticket_id: str) -> dict[str, Any]:
    """The group's post of the ticket, once it is there."""

    def find() -> dict[str, Any] | None:
        for message in api.messages(GROUP):
            if ticket_id in message["text"] and message.get("reply_markup"):
                return message
        return None

    return api.wait_for(find, timeout=20, what=f"the post of {ticket_id}")


def _answer_after(api: FakeBotApi, update: dict[str, Any]) -> dict[str, Any]:
    """Pushes a button press; returns the bot's answer to that callback query."""
    query_id = update["callback_query"]["id"]
    api.push(update)

    def answered() -> dict[str, Any] | None:
        for params in api.calls_of("answerCallbackQuery"):
            if params["callback_query_id"] == query_id:
                return params
        return None

    return api.wait_for(answered, timeout=20, what=f"the answer to {query_id}")


def _replies_to(api: FakeBotApi, message_id: int) -> list[dict[str, Any]]:
    out = []
    for params in api.sent(GROUP):
        reply = params.get("reply_parameters") or {}
        if int(reply.get("message_id", 0)) == message_id:
            out.append(params)
    return out


def _edits(api: FakeBotApi, message_id: int) -> list[str]:
    return [
        p["text"]
        for p in api.calls_of("editMessageText")
        if int(p["message_id"]) == message_id and int(p["chat_id"]) == GROUP
    ]


def test_handoff_claimed_answered_and_resolved_from_the_group(gateway, fake_api):
    client = gateway
    ticket_id = _complain(
        client,
        "rest-tg-1",
        f"My parcel never came!! Call me on {PHONE} or I will report you to 12315",
    )
    post = _post_of(fake_api, ticket_id)
    text = post["text"]
    assert "MAJOR" in text and "other" in text  # an escalation threat; no category yet
    assert "138****78" in text and PHONE not in text
    assert "1 customer waiting" in text and "rest · en" in text
    assert post["reply_markup"]["inline_keyboard"] == [
        [{"text": "Claim", "callback_data": f"claim:{ticket_id}"}]
    ]
    # The same customer writing again while the bot is still down: no second post.
    _complain(client, "rest-tg-1", "Hello? Anyone?")

    # An agent whose Telegram account is not linked cannot claim.
    refused = _answer_after(fake_api, group_button_update(STRANGER, post, f"claim:{ticket_id}"))
    assert "Link your Telegram account first" in refused["text"]
    assert str(STRANGER) in refused["text"] and refused["show_alert"] in (True, "true")
    assert _ticket(client, ticket_id).assigned_agent is None

    # Wang claims: the console's claim, and the post says who has it.
    claimed = _answer_after(fake_api, group_button_update(WANG, post, f"claim:{ticket_id}"))
    assert claimed["text"].startswith("Claimed by Wang")
    ticket = _ticket(client, ticket_id)
    assert (ticket.status, ticket.assigned_agent) == ("in_progress", "wang")
    conversation = _conversation(client, "rest", "rest-tg-1")
    assert conversation is not None
    assert (conversation.owner, conversation.assigned_agent) == ("agent", "wang")
    edited = fake_api.wait_for(lambda: _edits(fake_api, post["message_id"]), what="the edit")
    headline, excerpt, _where = text.split("\n")
    assert edited[-1].split("\n") == [
        headline,
        excerpt,
        "rest · en",  # nobody is waiting any more
        "✅ Claimed by Wang — reply to this message to write to the customer",
    ]
    assert client.app.state.queue.items() == []
    # What the customer wrote while waiting is posted under the ticket.
    waiting = fake_api.wait_for(lambda: _replies_to(fake_api, post["message_id"]))
    assert "Hello? Anyone?" in waiting[0]["text"] and ticket_id in waiting[0]["text"]

    # Li is too late.
    late = _answer_after(fake_api, group_button_update(LI, post, f"claim:{ticket_id}"))
    assert late["text"] == f"{ticket_id} is already taken by Wang"
    assert _ticket(client, ticket_id).assigned_agent == "wang"

    # Wang replies to the post: the REST customer gets it as Wang's message.
    fake_api.push(group_text_update(GROUP, WANG, "Hi, I'm on it: checking with the courier.",
                                    reply_to=post))  # fmt: skip
    pending: list[dict[str, Any]] = []

    def delivered() -> bool:
        pending.extend(client.get("/webhooks/rest/messages", params={"sender": "rest-tg-1"}).json())
        return bool(pending)

    fake_api.wait_for(delivered, timeout=20, what="the agent's message for the customer")
    assert pending == [
        {
            "recipient_id": "rest-tg-1",
            "text": "Hi, I'm on it: checking with the courier.",
            "custom": {"author": "agent", "display_name": "Wang"},
        }
    ]
    assert _ticket(client, ticket_id).first_responded_at is not None

    # The customer's next message goes to the group, under the ticket's post.
    before = len(_replies_to(fake_api, post["message_id"]))
    answer = client.post("/webhooks/rest/webhook",
                         json={"sender": "rest-tg-1", "message": "Order JD0098812, mail me at li.wei@example.com"})  # fmt: skip
    assert answer.json() == []  # an agent has the chat: the bot stays silent
    forwarded = fake_api.wait_for(
        lambda: _replies_to(fake_api, post["message_id"])[before:], what="the forwarded message"
    )
    assert len(forwarded) == 1
    assert "JD0098812" in forwarded[0]["text"] and "l***@example.com" in forwarded[0]["text"]
    assert "li.wei@example.com" not in forwarded[0]["text"]

    # /resolve hands the chat back to the bot (the follow-up needs Rasa: it is down here).
    command = group_text_update(
        GROUP, WANG, f"/resolve {ticket_id.lower()} Courier found it, redelivered today"
    )
    fake_api.push(command)
    fake_api.wait_for(
        lambda: any(
            "resolved" in p["text"]
            for p in fake_api.sent(GROUP)
            if int((p.get("reply_parameters") or {}).get("message_id", 0))
            == command["message"]["message_id"]
        ),  # fmt: skip
        what="the answer to /resolve",
    )
    ticket = _ticket(client, ticket_id)
    assert (ticket.status, ticket.resolution_note) == (
        "resolved",
        "Courier found it, redelivered today",
    )
    conversation = _conversation(client, "rest", "rest-tg-1")
    assert conversation is not None and (conversation.owner, conversation.assigned_agent) == (
        "bot",
        None,
    )
    fake_api.wait_for(
        lambda: any("Resolved by Wang" in t for t in _edits(fake_api, post["message_id"])),
        what="the post marked resolved",
    )
    # Only one post for the ticket, however often its customer wrote while waiting.
    assert sum(ticket_id in m["text"] and bool(m.get("reply_markup"))
               for m in fake_api.messages(GROUP)) == 1  # fmt: skip


def _said_in_group(api: FakeBotApi, update: dict[str, Any]) -> str:
    """What the bot answered, in the group, to that member's message."""
    message_id = update["message"]["message_id"]

    def answer() -> str | None:
        for params in api.sent(GROUP):
            if int((params.get("reply_parameters") or {}).get("message_id", 0)) == message_id:
                return str(params["text"])
        return None

    api.push(update)
    return api.wait_for(answer, timeout=20, what=f"an answer to {update['message']['text']!r}")


def test_a_telegram_customer_released_back_to_the_bot_and_what_the_group_refuses(gateway, fake_api):
    client = gateway
    customer = 5551
    fake_api.push(text_update(customer, "The blender I bought is broken, I want a refund"))
    apology = fake_api.wait_for(lambda: fake_api.sent(customer), what="the apology")
    ticket_id = TICKET.search(apology[0]["text"]).group(0)
    post = _post_of(fake_api, ticket_id)
    assert "New handoff" in post["text"] and "telegram · en" in post["text"]

    # Before the claim nobody can write to the customer from the group.
    early = group_text_update(GROUP, WANG, "Hello?", reply_to=post)
    assert _said_in_group(fake_api, early).startswith("Not sent to the customer: the bot has")
    _answer_after(fake_api, group_button_update(WANG, post, f"claim:{ticket_id}"))
    fake_api.wait_for(lambda: _edits(fake_api, post["message_id"]), what="the edit")

    # Wang's reply reaches the customer's chat, under his name.
    sent_before = len(fake_api.sent(customer))
    fake_api.push(group_text_update(GROUP, WANG, "Sorry about that, a refund is on its way.",
                                    reply_to=post))  # fmt: skip
    to_customer = fake_api.wait_for(lambda: fake_api.sent(customer)[sent_before:])
    assert to_customer[0]["text"] == "Wang: Sorry about that, a refund is on its way."

    # Others may not: Li is refused, a stranger is told to link, chatter is left alone.
    li = group_text_update(GROUP, LI, "I can take this one", reply_to=post)
    assert "not assigned to you" in _said_in_group(fake_api, li)
    stranger = group_text_update(GROUP, STRANGER, "me too", reply_to=post)
    assert "link-telegram YOUR_USERNAME 7003" in _said_in_group(fake_api, stranger)
    usage = group_text_update(GROUP, WANG, f"/resolve {ticket_id}")
    assert _said_in_group(fake_api, usage).startswith("Usage: /resolve")
    calls_before = len(fake_api.calls_of("sendMessage"))
    fake_api.push(group_text_update(GROUP, LI, "lunch anyone?"))
    fake_api.push(group_text_update(GROUP, LI, "/weather"))  # another bot's command
    # Updates are handled one after another: once /help (pushed last) is answered, the two
    # before it have been handled too.
    assert "/resolve" in _said_in_group(fake_api, group_text_update(GROUP, LI, "/help"))
    assert len(fake_api.calls_of("sendMessage")) == calls_before + 1  # only the help
    assert len(fake_api.sent(customer)) == sent_before + 1

    # /release as a reply to the post: the bot has the chat again, the ticket stays Wang's.
    release = group_text_update(GROUP, WANG, "/release waiting for the warehouse", reply_to=post)
    assert "the bot has the chat again" in _said_in_group(fake_api, release)
    ticket = _ticket(client, ticket_id)
    assert (ticket.status, ticket.assigned_agent) == ("in_progress", "wang")
    assert ticket.events[-1].data == {
        "text": "conversation released to the bot: waiting for the warehouse"
    }
    conversation = _conversation(client, "telegram", str(customer))
    assert conversation is not None and conversation.owner == "bot"
    fake_api.wait_for(
        lambda: any("handed the chat back" in t for t in _edits(fake_api, post["message_id"])),
        what="the post marked released",
    )
    # The group itself never became a customer.
    assert _conversation(client, "telegram", str(GROUP)) is None


def test_a_console_claim_by_a_linked_agent_updates_the_post(gateway, fake_api):
    client = gateway
    ticket_id = _complain(client, "rest-tg-console", "Charged twice for order A12345678")
    post = _post_of(fake_api, ticket_id)
    with transaction(client.app.state.sessions) as session:
        set_password(session, username="li", password=PASSWORD)
    signed_in = client.post("/api/console/login", json={"username": "li", "password": PASSWORD})
    assert signed_in.status_code == 200
    assert client.post(f"/api/queue/{ticket_id}/claim").status_code == 200
    edited = fake_api.wait_for(lambda: _edits(fake_api, post["message_id"]), what="the edit")
    assert "Claimed by Li" in edited[-1]
    # The button is stale now: pressing it says who has the ticket.
    late = _answer_after(fake_api, group_button_update(WANG, post, f"claim:{ticket_id}"))
    assert late["text"] == f"{ticket_id} is already taken by Li"
    # Li works from the console, but her account is linked: the customer's messages reach
    # the group too.
    client.post("/webhooks/rest/webhook",
                json={"sender": "rest-tg-console", "message": "Any news?"})  # fmt: skip
    forwarded = fake_api.wait_for(lambda: _replies_to(fake_api, post["message_id"]))
    assert forwarded[-1]["text"].endswith("Any news?")
