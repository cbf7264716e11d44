"""The gateway killed (SIGKILL) between receiving a customer's message and answering it.

The gateway runs as a subprocess, exactly as `complaintbot run` starts it, in front of a
"Rasa" that accepts the call and never answers (a bot stuck mid-turn): the message is
in the gateway's hands, unanswered, when it dies.

Guarantees:
- Stored before acknowledged: the message is in the database while its request is still
  waiting for an answer, and the answer (the polite hold naming a ticket, when the bot is
  too slow) comes after.
- A crash loses nothing: the message taken before the kill is stored exactly once, and a
  new gateway on the same database carries on with the same conversation and ticket.
- Telegram redelivers an update the gateway never acknowledged: the redelivery is
  processed once (the message is not stored twice) and the customer is answered then;
  a duplicate delivery of a processed update is skipped. No ticket is duplicated.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from telegram_channel.fake_bot_api import FakeBotApi, text_update

from bot.db import make_engine, make_session_factory, upgrade
from bot.handoff.queue import DatabaseQueue
from faults.records import TICKET_ID, gateway_settings, stored_inbound, ticket_ids
from faults.servers import kill_gateway, start_gateway, wait_until

TOKEN = "654321:FAULT-token_for_the_fake_api"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

TAKEN = "My parcel JD0098812 never arrived, I want a refund."
NEXT = "Hello? Is anybody there? The parcel is still missing."
LATER = "Please call me back about the parcel."


@pytest.fixture
def database(tmp_path) -> Iterator[tuple[str, Any]]:
    """A SQLite file both gateways share, and sessions on it for the test's own reads."""
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield url, make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def background() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(2) as pool:
        yield pool


def _post(url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(url, json=body, headers=headers or {}, timeout=120)


def _unanswered(request: Future[httpx.Response]) -> bool:
    return not request.done()


def test_rest_message_stored_before_answer_and_kept_through_a_kill(
    tmp_path, database, black_hole, background
):
    db_url, sessions = database
    stuck = gateway_settings(tmp_path / "var", db_url, rasa_url=black_hole.url, rasa_timeout=120)
    first = start_gateway(stuck, tmp_path / "gateway-1.log")
    try:
        request = background.submit(
            _post,
            f"http://127.0.0.1:{stuck.port}/webhooks/rest/webhook",
            {"sender": "crash-rest", "message": TAKEN},
        )
        wait_until(
            lambda: (
                stored_inbound(sessions, "rest", "crash-rest") == [TAKEN]
                and black_hole.accepted >= 1
            ),
            timeout=30,
            what="the message to be stored and sent to the stuck Rasa",
        )
        assert _unanswered(request)  # stored, not yet answered
    finally:
        kill_gateway(first)
    with pytest.raises(httpx.TransportError):
        request.result(timeout=30)  # the customer never got an acknowledgement
    assert stored_inbound(sessions, "rest", "crash-rest") == [TAKEN]

    # A new gateway on the same database; the bot is still stuck, so it gives up after 4 s
    # (the window in which the stored, unanswered message is seen).
    slow = gateway_settings(tmp_path / "var", db_url, rasa_url=black_hole.url, rasa_timeout=4)
    second = start_gateway(slow, tmp_path / "gateway-2.log")
    try:
        webhook = f"http://127.0.0.1:{slow.port}/webhooks/rest/webhook"
        request = background.submit(_post, webhook, {"sender": "crash-rest", "message": NEXT})
        wait_until(
            lambda: stored_inbound(sessions, "rest", "crash-rest") == [TAKEN, NEXT],
            timeout=30,
            what="the next message to be stored",
        )
        assert _unanswered(request)  # stored before the answer, again
        answer = request.result(timeout=60)
        assert answer.status_code == 200, answer.text
        (reply,) = answer.json()
        assert "saved" in reply["text"] and "specialist" in reply["text"]
        (ticket,) = TICKET_ID.findall(reply["text"])

        later = _post(webhook, {"sender": "crash-rest", "message": LATER})
        assert later.status_code == 200, later.text
        assert TICKET_ID.findall(later.json()[0]["text"]) == [ticket]
    finally:
        second.stop()

    assert stored_inbound(sessions, "rest", "crash-rest") == [TAKEN, NEXT, LATER]
    assert ticket_ids(sessions, "rest", "crash-rest") == [ticket]
    assert [item.ticket_id for item in DatabaseQueue(sessions).items()] == [ticket]


@pytest.fixture
def fake_telegram() -> Iterator[FakeBotApi]:
    api = FakeBotApi(token=TOKEN).start()
    yield api
    api.stop()


def test_telegram_update_redelivered_after_a_kill_is_processed_once(
    tmp_path, database, black_hole, background, fake_telegram
):
    db_url, sessions = database
    chat = 770_001
    telegram = {
        "telegram_token": SecretStr(TOKEN),
        "telegram_api_url": fake_telegram.url,
        "telegram_webhook_url": "https://bot.example.com/webhooks/telegram",
    }
    stuck = gateway_settings(
        tmp_path / "var", db_url, rasa_url=black_hole.url, rasa_timeout=120, **telegram
    )
    headers = {SECRET_HEADER: stuck.telegram_secret or ""}
    taken = text_update(chat, TAKEN)

    first = start_gateway(stuck, tmp_path / "gateway-1.log")
    try:
        request = background.submit(
            _post, f"http://127.0.0.1:{stuck.port}/webhooks/telegram", taken, headers
        )
        wait_until(
            lambda: (
                stored_inbound(sessions, "telegram", str(chat)) == [TAKEN]
                and black_hole.accepted >= 1
            ),
            timeout=30,
            what="the update's message to be stored and sent to the stuck Rasa",
        )
        assert _unanswered(request)
    finally:
        kill_gateway(first)
    with pytest.raises(httpx.TransportError):
        request.result(timeout=30)  # unacknowledged: Telegram delivers the update again

    slow = gateway_settings(
        tmp_path / "var", db_url, rasa_url=black_hole.url, rasa_timeout=2, **telegram
    )
    second = start_gateway(slow, tmp_path / "gateway-2.log")
    webhook = f"http://127.0.0.1:{slow.port}/webhooks/telegram"

    def redeliver(update: dict[str, Any]) -> httpx.Response | None:
        """Telegram's retries: a 503 (someone may still be on it) is retried later."""
        response = _post(webhook, update, headers)
        if response.status_code == 503:
            assert int(response.headers["Retry-After"]) > 0
            time.sleep(0.5)
            return None
        return response

    try:
        redelivered = wait_until(
            lambda: redeliver(taken), timeout=60, what="the redelivered update to be taken"
        )
        assert redelivered.status_code == 200, redelivered.text
        sent = fake_telegram.sent(chat)
        assert len(sent) == 1  # the customer is answered now
        assert "saved" in sent[0]["text"]
        (ticket,) = TICKET_ID.findall(sent[0]["text"])

        later = text_update(chat, LATER)
        assert _post(webhook, later, headers).status_code == 200
        assert _post(webhook, later, headers).status_code == 200  # a duplicate delivery
        assert _post(webhook, taken, headers).status_code == 200  # and a late one
        sent = fake_telegram.sent(chat)
        assert len(sent) == 2
        assert TICKET_ID.findall(sent[1]["text"]) == [ticket]
    finally:
        second.stop()

    assert stored_inbound(sessions, "telegram", str(chat)) == [TAKEN, LATER]
    assert ticket_ids(sessions, "telegram", str(chat)) == [ticket]
