"""python-telegram-bot against the fake Bot API server, with the real Rasa stack behind the
gateway: polling and webhook mode, a complaint taken end to end, buttons, duplicates,
evidence."""

from __future__ import annotations

import random
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.conversations.models import Conversation, InboundUpdate, Message
from bot.db import make_engine, make_session_factory
from bot.tickets.evidence import Evidence
from telegram_channel.fake_bot_api import (
    button_update,
    photo_update,
    text_update,
    voice_update,
)

pytestmark = pytest.mark.stack

TICKET_ID = re.compile(r"CP-\d{8}-\d{4}")
JPEG = b"\xff\xd8\xff\xe0" + b"\x00JFIF" + bytes(range(256)) * 8


def _chat_id() -> int:
    return random.randint(10_000_000, 99_999_999)


def exchange(
    gateway, api, chat_id: int, update: dict[str, Any], *, deliver=None
) -> list[dict[str, Any]]:
    """Delivers one update (queued for polling, or `deliver` for webhook mode) and returns
    the messages the bot sent to the chat in answer: all of them, since the gateway records
    an update as handled only once its replies have gone out."""
    before = len(api.sent(chat_id))
    if deliver is None:
        api.push(update)
    else:
        deliver(update)
    api.wait_for(lambda: handled(gateway, update), what=f"the gateway to handle {update}")
    replies = api.sent(chat_id)[before:]
    assert replies, f"no reply to {update}"
    return replies


def handled(gateway, update: dict[str, Any]) -> bool:
    with gateway.app.state.sessions() as session:
        done = session.scalar(
            select(InboundUpdate.completed_at).where(
                InboundUpdate.channel == "telegram",
                InboundUpdate.external_id == str(update["update_id"]),
            )
        )
    return done is not None


def text_of(sent: list[dict[str, Any]]) -> str:
    return "\n".join(str(m.get("text", "")) for m in sent)


def callbacks(sent: list[dict[str, Any]]) -> list[str]:
    return [
        button["callback_data"]
        for m in sent
        for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
        for button in row
    ]


def _sessions(gateway):
    return make_session_factory(make_engine(gateway.settings.database_url))


def test_polling_complaint_end_to_end_with_buttons_photo_and_duplicate(
    telegram_gateway, fake_api, stack
):
    gateway = telegram_gateway()
    chat = _chat_id()
    assert "deleteWebhook" in fake_api.methods() or "getUpdates" in fake_api.methods()

    greeting = exchange(gateway, fake_api, chat, text_update(chat, "/start"))
    assert "complaint" in text_of(greeting).lower()

    sent = exchange(gateway, fake_api, chat, text_update(chat, "I want to make a complaint"))
    assert "/complain_delivery" in callbacks(sent)

    # A button press: answered, its keyboard removed, the payload read as the answer.
    sent = exchange(gateway, fake_api, chat, button_update(chat, "/complain_delivery"))
    assert "what happened" in text_of(sent).lower()
    assert "answerCallbackQuery" in fake_api.methods()
    edits = [c.params for c in fake_api.calls if c.method == "editMessageReplyMarkup"]
    assert edits and all(not e.get("reply_markup") for e in edits)

    # A photo before the ticket exists: kept, and attached when the ticket is created.
    fake_api.files["photo-1"] = JPEG
    sent = exchange(gateway, fake_api, chat, photo_update(chat, "photo-1", len(JPEG)))
    assert "kept your photo" in text_of(sent)

    sent = exchange(
        gateway,
        fake_api,
        chat,
        text_update(chat, "The parcel was due last Monday and it still hasn't arrived"),
    )
    assert "order" in text_of(sent).lower()

    sent = exchange(gateway, fake_api, chat, text_update(chat, "JD0098812"))
    refund = '/inform{"desired_resolution": "refund"}'
    assert refund in callbacks(sent)

    sent = exchange(gateway, fake_api, chat, button_update(chat, refund))
    assert "phone" in text_of(sent).lower() or "e-mail" in text_of(sent).lower()

    sent = exchange(gateway, fake_api, chat, text_update(chat, "just contact me here on telegram"))
    assert "/affirm" in callbacks(sent), text_of(sent)

    sent = exchange(gateway, fake_api, chat, button_update(chat, "/affirm"))
    ticket_ids = TICKET_ID.findall(text_of(sent))
    assert len(ticket_ids) == 1, text_of(sent)
    ticket_id = ticket_ids[0]

    # A photo after the ticket: attached to it at once, and the customer told which.
    fake_api.files["photo-2"] = JPEG[::-1]
    sent = exchange(
        gateway, fake_api, chat, photo_update(chat, "photo-2", len(JPEG), caption="the box")
    )
    assert ticket_id in text_of(sent)

    # The same update twice (a retry): processed once.
    duplicate = text_update(chat, "thank you")
    exchange(gateway, fake_api, chat, duplicate)
    fake_api.push(duplicate)
    # Updates are fetched and handled in order: once the next one is handled, the duplicate
    # has had its chance to be processed again.
    exchange(gateway, fake_api, chat, text_update(chat, "/status"))

    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        ticket = client.get(f"/api/tickets/{ticket_id}", headers=stack.api_headers).json()
    assert ticket["channel"] == "telegram"
    assert ticket["sender_id"] == str(chat)
    assert ticket["category"] == "delivery"
    assert ticket["order_id"] == "JD0098812"
    assert ticket["desired_resolution"] == "refund"
    added = [e for e in ticket["events"] if e["what"] == "evidence_added"]
    assert [e["data"]["kind"] for e in added] == ["photo", "photo"]

    sessions = _sessions(gateway)
    with sessions() as session:
        files = session.scalars(select(Evidence).where(Evidence.ticket_id == ticket_id)).all()
        inbound = session.scalars(
            select(Message.text)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Conversation.sender_id == str(chat), Message.direction == "in")
        ).all()
    stored = sorted(
        (gateway.settings.var_dir / "evidence" / f.stored_path).read_bytes() for f in files
    )
    assert stored == sorted([JPEG, JPEG[::-1]])
    assert inbound.count("thank you") == 1


def test_webhook_mode_checks_the_secret_and_skips_duplicates(telegram_gateway, fake_api):
    gateway = telegram_gateway(webhook=True)
    registered = [c.params for c in fake_api.calls if c.method == "setWebhook"]
    assert registered and registered[-1]["url"] == "https://bot.example.com/webhooks/telegram"
    secret = registered[-1]["secret_token"]
    assert secret == gateway.settings.telegram_secret and len(secret) >= 32
    assert "getUpdates" not in fake_api.methods()  # no polling in webhook mode

    chat = _chat_id()
    client = httpx.Client(base_url=gateway.url, timeout=60)
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
    update = text_update(chat, "我要投诉，快递一个星期都没到", language="zh-hans")

    assert client.post("/webhooks/telegram", json=update).status_code == 403
    wrong = {"X-Telegram-Bot-Api-Secret-Token": "x" * 48}
    assert client.post("/webhooks/telegram", json=update, headers=wrong).status_code == 403
    assert fake_api.sent(chat) == []

    def post(body: dict[str, Any]) -> None:
        response = client.post("/webhooks/telegram", json=body, headers=headers)
        assert response.status_code == 200, response.text

    sent = exchange(gateway, fake_api, chat, update, deliver=post)
    assert re.search(r"[\u4e00-\u9fff]", text_of(sent))

    before = len(fake_api.sent(chat))
    post(update)  # Telegram retrying the same update: answered once handled (or skipped)
    assert len(fake_api.sent(chat)) == before

    sent = exchange(gateway, fake_api, chat, voice_update(chat), deliver=post)
    assert "文字" in text_of(sent)  # a voice note: asked, in Chinese, to type

    for bad in ({"no": "update_id"}, [1, 2, 3]):
        response = client.post("/webhooks/telegram", json=bad, headers=headers)
        assert response.status_code == 400
    response = client.post("/webhooks/telegram", content=b"\x00\xff not json", headers=headers)
    assert response.status_code == 400
    client.close()


def test_follow_up_after_resolution_reaches_telegram(telegram_gateway, fake_api, stack):
    from bot.clock import utcnow
    from bot.db import transaction
    from bot.paths import DEFAULT_SLA_POLICY
    from bot.tickets.service import NewTicket, create_ticket
    from bot.tickets.sla import load_policy

    gateway = telegram_gateway()
    chat = _chat_id()
    with transaction(_sessions(gateway)) as session:
        ticket_id = create_ticket(
            session,
            new=NewTicket(channel="telegram", sender_id=str(chat), language="en",
                          category="billing", description="charged twice"),
            policy=load_policy(DEFAULT_SLA_POLICY),
            now=utcnow(),
        ).id  # fmt: skip
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        response = client.patch(
            f"/api/tickets/{ticket_id}",
            json={"status": "resolved", "resolution_note": "The second charge was refunded"},
            headers=stack.api_headers,
        )
        assert response.status_code == 200, response.text
    sent = fake_api.wait_for(lambda: fake_api.sent(chat), what="the follow-up")
    assert ticket_id in text_of(sent) and "second charge was refunded" in text_of(sent)
    assert '/rate_service{"rating": "5"}' in callbacks(sent)

    sent = exchange(gateway, fake_api, chat, button_update(chat, '/rate_service{"rating": "5"}'))
    assert "closed" in text_of(sent)
