"""Every kind of Telegram update through the webhook, without the real stack: a gateway in
webhook mode against the fake Bot API, on SQLite, with no Rasa behind it (customers' text
then gets the apology that keeps it for a human).

Each update is answered 200 and processed once; content the bot cannot read gets a polite
"please type" in the customer's language; service messages and updates that are not a
customer writing get no reply; nothing logs an error; a text afterwards still gets through.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from bot.channels.telegram import SECRET_HEADER, TEXT_ONLY
from bot.conversations.store import transcript
from bot.web.app import create_app
from telegram_channel.conftest import TOKEN

DATE = 1_764_000_000
TICKET = re.compile(r"CP-\d{8}-\d{4}")
CUSTOMER = 7001
USER = {"id": CUSTOMER, "is_bot": False, "first_name": "Li", "language_code": "zh-hans"}
PRIVATE = {"id": CUSTOMER, "type": "private", "first_name": "Li"}
GROUP = {"id": -100777, "type": "supergroup", "title": "Shop fans"}
CHANNEL = {"id": -100555, "type": "channel", "title": "Shop news"}
BOT = {"id": 4242, "is_bot": True, "first_name": "Complaint Desk", "username": "cb_test_bot"}
LOCATION = {"latitude": 31.23, "longitude": 121.47}
OLD_POLL = {  # as Bot APIs before 9.6 sent it: python-telegram-bot 22.8 cannot read it
    "id": "poll1",
    "question": "Which?",
    "options": [{"text": "a", "voter_count": 0}],
    "total_voter_count": 0,
    "is_closed": False,
    "is_anonymous": True,
    "type": "regular",
    "allows_multiple_answers": False,
}
POLL = {
    **OLD_POLL,
    "options": [{"text": "a", "voter_count": 0, "persistent_id": "o1"}],
    "allows_revoting": False,
    "members_only": False,
}
_ids = itertools.count(1)


def message(chat: dict[str, Any] = PRIVATE, **content: Any) -> dict[str, Any]:
    sender = {"from": USER} if chat["type"] != "channel" else {}
    return {"message_id": next(_ids), "date": DATE, "chat": chat, **sender, **content}


def file(prefix: str, **fields: Any) -> dict[str, Any]:
    return {"file_id": f"{prefix}-id", "file_unique_id": f"{prefix}-u", **fields}


# What a customer may send that the bot cannot read: each gets the "please type" reply.
UNREADABLE = {
    "sticker": message(
        sticker=file("st", type="regular", width=512, height=512, is_animated=False,
                     is_video=False)
    ),
    "voice": message(voice=file("vo", duration=3)),
    "video": message(video=file("vi", width=1, height=1, duration=1)),
    "video_note": message(video_note=file("vn", length=1, duration=1)),
    "audio": message(audio=file("au", duration=1)),
    "animation": message(animation=file("an", width=1, height=1, duration=1)),
    "location": message(location=LOCATION),
    "venue": message(
        location=LOCATION, venue={"location": LOCATION, "title": "Shop", "address": "1 Rd"}
    ),
    "poll": message(poll=POLL),
    "dice": message(dice={"emoji": "🎲", "value": 3}),
}  # fmt: skip
member = {"status": "member", "user": BOT}
# Updates that are not a customer writing to the bot: acknowledged, never answered.
SILENT = {
    "new_chat_members": {"message": message(GROUP, new_chat_members=[USER])},
    "left_chat_member": {"message": message(GROUP, left_chat_member=USER)},
    "pinned_message": {"message": message(PRIVATE, pinned_message=message(text="hi"))},
    "channel_post": {"channel_post": message(CHANNEL, text="sale today")},
    "edited_channel_post": {
        "edited_channel_post": message(CHANNEL, text="sale", edit_date=DATE + 5)
    },
    "callback_query_without_message": {
        "callback_query": {
            "id": "cb-inline", "from": USER, "chat_instance": "ci",
            "inline_message_id": "im1", "data": "/affirm",
        }
    },
    "callback_query_without_data": {
        "callback_query": {
            "id": "cb-game", "from": USER, "chat_instance": "ci",
            "game_short_name": "g", "message": message(text="pick one"),
        }
    },
    "inline_query": {"inline_query": {"id": "iq", "from": USER, "query": "hi", "offset": ""}},
    "chosen_inline_result": {
        "chosen_inline_result": {"result_id": "r1", "from": USER, "query": "hi"}
    },
    "shipping_query": {
        "shipping_query": {
            "id": "sq", "from": USER, "invoice_payload": "p",
            "shipping_address": {
                "country_code": "CN", "state": "", "city": "Shanghai", "street_line1": "1 Rd",
                "street_line2": "", "post_code": "200000",
            },
        }
    },
    "pre_checkout_query": {
        "pre_checkout_query": {
            "id": "pq", "from": USER, "currency": "CNY", "total_amount": 100,
            "invoice_payload": "p",
        }
    },
    "poll": {"poll": POLL},
    "poll_answer": {
        "poll_answer": {
            "poll_id": "poll1", "user": USER, "option_ids": [0], "option_persistent_ids": ["o1"],
        }
    },
    "unreadable_old_poll": {"poll": OLD_POLL},
    "unreadable_message": {"message": message(poll=OLD_POLL)},
    "my_chat_member": {
        "my_chat_member": {
            "chat": PRIVATE, "from": USER, "date": DATE, "old_chat_member": member,
            "new_chat_member": {"status": "kicked", "user": BOT, "until_date": 0},
        }
    },
    "chat_member": {
        "chat_member": {
            "chat": GROUP, "from": USER, "date": DATE,
            "old_chat_member": {"status": "left", "user": USER},
            "new_chat_member": {"status": "member", "user": USER},
        }
    },
    "chat_join_request": {
        "chat_join_request": {
            "chat": GROUP, "from": USER, "user_chat_id": CUSTOMER, "date": DATE,
        }
    },
    "message_reaction": {
        "message_reaction": {
            "chat": PRIVATE, "message_id": 5, "user": USER, "date": DATE, "old_reaction": [],
            "new_reaction": [{"type": "emoji", "emoji": "👍"}],
        }
    },
    "business_message": {
        "business_message": message(text="hello", business_connection_id="bc1")
    },
    "unknown_kind": {"mystery_update": {"x": 1}},
    "message_not_an_object": {"message": "hello"},
    "message_without_chat": {"message": {"message_id": 1, "date": DATE, "text": "hi"}},
    "message_with_wrong_types": {"message": {"message_id": "x", "date": "y", "chat": 5}},
}  # fmt: skip


@pytest.fixture
def telegram(offline_settings, fake_api) -> Iterator[TestClient]:
    """A gateway with Telegram in webhook mode; its client sends Telegram's secret header."""
    settings = offline_settings(
        telegram_token=SecretStr(TOKEN),
        telegram_api_url=fake_api.url,
        telegram_webhook_url="https://bot.example.com/webhooks/telegram",
    )
    with TestClient(create_app(settings)) as client:
        fake_api.wait_for(
            lambda: client.app.state.telegram.ready, timeout=30, what="the channel to start"
        )
        client.headers[SECRET_HEADER] = settings.telegram_secret or ""
        yield client


def deliver(client: TestClient, body: dict[str, Any]) -> None:
    response = client.post("/webhooks/telegram", json={"update_id": next(_ids), **body})
    assert response.status_code == 200, (body, response.text)


def replies(fake_api, chat_id: int = CUSTOMER) -> list[str]:
    return [str(params["text"]) for params in fake_api.sent(chat_id)]


def test_every_update_kind_is_acknowledged_and_the_gateway_keeps_working(
    telegram, fake_api, caplog
):
    caplog.set_level(logging.INFO)
    for kind, update in SILENT.items():
        deliver(telegram, update)
        assert fake_api.sent() == [], kind
    for kind, update in UNREADABLE.items():
        before = len(replies(fake_api))
        deliver(telegram, {"message": update})
        assert replies(fake_api)[before:] == [TEXT_ONLY["zh"]], kind
    # Text, an edited message and a button press are read as the customer's words.
    deliver(telegram, {"message": message(text="我的快递丢了，订单 JD0098812")})
    deliver(telegram, {"edited_message": message(text="订单 JD0098813", edit_date=DATE + 9)})
    press = {"id": "cb1", "from": USER, "chat_instance": "ci", "data": '/restart{"x": 1}'}
    deliver(telegram, {"callback_query": {**press, "message": message(text="pick")}})
    answered = replies(fake_api)[len(UNREADABLE) :]
    # Rasa is down: each is kept on the customer's ticket, and the reply says which.
    assert len(answered) == 3 and all(TICKET.search(text) for text in answered), answered
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_a_contact_card_is_read_as_the_customers_phone_number(telegram, fake_api):
    deliver(telegram, {"message": message(contact={"phone_number": "13812345678",
                                                   "first_name": "Li"})})  # fmt: skip
    with telegram.app.state.sessions() as db:
        texts = [m.text for m in transcript(db, channel="telegram", sender_id=str(CUSTOMER))]
    assert "13812345678" in texts


@pytest.mark.parametrize(
    "content",
    [b"\x00\xff not json", b"[1, 2]", b'{"update_id": "7"}', b'{"message": {}}', b""],
)
def test_a_body_that_is_not_an_update_is_400(telegram, fake_api, content):
    response = telegram.post(
        "/webhooks/telegram", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["detail"]
    deliver(telegram, {"message": message(text="hello")})
    assert len(replies(fake_api)) == 1
