"""The follow-up after resolution, through the real stack: resolve → the bot asks the
customer for a rating on their channel → a low rating reopens and re-queues the ticket
above normal ones, a good one closes it. REST here; the widget and Telegram below."""

from __future__ import annotations

import json
import time
import uuid

import httpx
import pytest
from sqlalchemy import select
from websockets.sync.client import connect as ws_connect

from bot.clock import iso, utcnow
from bot.conversations.models import Conversation, Message
from bot.db import make_engine, make_session_factory, transaction
from bot.handoff.queue import DatabaseQueue
from bot.paths import DEFAULT_SLA_POLICY
from bot.tickets.service import NewTicket, create_ticket
from bot.tickets.sla import load_policy

pytestmark = pytest.mark.stack


def _ticket(stack, channel: str, sender: str, description: str) -> str:
    sessions = make_session_factory(make_engine(stack.settings.database_url))
    with transaction(sessions) as session:
        return create_ticket(
            session,
            new=NewTicket(channel=channel, sender_id=sender, language="en",
                          category="delivery", description=description),
            policy=load_policy(DEFAULT_SLA_POLICY),
            now=utcnow(),
        ).id  # fmt: skip


def _resolve(client: httpx.Client, stack, ticket_id: str, note: str) -> None:
    response = client.patch(
        f"/api/tickets/{ticket_id}",
        json={"status": "resolved", "resolution_note": note},
        headers=stack.api_headers,
    )
    assert response.status_code == 200, response.text


def _poll(client: httpx.Client, sender: str, timeout: float = 60) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = client.get("/webhooks/rest/messages", params={"sender": sender}).json()
        if got:
            return got
        time.sleep(0.5)
    raise AssertionError("no follow-up arrived")


def _say(client: httpx.Client, sender: str, text: str) -> str:
    response = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
    assert response.status_code == 200, response.text
    return "\n".join(r.get("text", "") for r in response.json())


def test_low_rating_reopens_and_requeues_above_normal_tickets(stack):
    sender = f"fu-low-{uuid.uuid4().hex[:8]}"
    other = _ticket(stack, "rest", f"fu-other-{uuid.uuid4().hex[:8]}", "parcel late")
    ticket_id = _ticket(stack, "rest", sender, "parcel never arrived")
    queue = DatabaseQueue(make_session_factory(make_engine(stack.settings.database_url)))
    queue.enqueue(other, None, "general", now=utcnow())
    with stack.client() as client:
        _resolve(client, stack, ticket_id, "A replacement was sent by express")
        [follow_up] = _poll(client, sender)
        assert ticket_id in follow_up["text"] and "replacement was sent" in follow_up["text"]
        payloads = [b["payload"] for b in follow_up["buttons"]]
        assert '/rate_service{"rating": "1"}' in payloads and len(payloads) == 5

        answer = _say(client, sender, '/rate_service{"rating": "2"}')
        assert "reopened" in answer and ticket_id in answer
        ticket = client.get(f"/api/tickets/{ticket_id}", headers=stack.api_headers).json()
    assert ticket["status"] == "reopened"
    assert ticket["csat"] == 2 and ticket["reopen_count"] == 1
    assert ticket["resolution_due"] > iso(utcnow())  # a new deadline, told to the customer
    order = [item.ticket_id for item in queue.items() if item.severity == ticket["severity"]]
    assert order.index(ticket_id) < order.index(other)  # above the normal ticket waiting longer


def test_good_rating_in_words_closes_with_thanks(stack):
    sender = f"fu-good-{uuid.uuid4().hex[:8]}"
    ticket_id = _ticket(stack, "rest", sender, "wrong colour delivered")
    with stack.client() as client:
        _resolve(client, stack, ticket_id, "We exchanged it for the right colour")
        _poll(client, sender)
        answer = _say(client, sender, "very satisfied, 5 stars, thank you")
        assert "closed" in answer
        ticket = client.get(f"/api/tickets/{ticket_id}", headers=stack.api_headers).json()
    assert ticket["status"] == "closed" and ticket["csat"] == 5
    rated = [e for e in ticket["events"] if e["what"] == "rated"]
    assert rated and rated[0]["data"]["comment"] == "very satisfied, 5 stars, thank you"


@pytest.mark.parametrize(
    ("answers", "csat", "status"),
    [
        (["1"], 1, "reopened"),  # a bare digit once read as goodbye (issue 15)
        (["ok thanks", "4"], 4, "closed"),  # no score in it: asked again, then the score
    ],
)
def test_short_answers_to_the_rating_question_are_the_rating(stack, answers, csat, status):
    sender = f"fu-short-{uuid.uuid4().hex[:8]}"
    ticket_id = _ticket(stack, "rest", sender, "parcel arrived damaged")
    with stack.client() as client:
        _resolve(client, stack, ticket_id, "A new parcel was sent")
        _poll(client, sender)
        replies = [_say(client, sender, answer) for answer in answers]
        for reply in replies[:-1]:
            assert "1" in reply and "5" in reply and "Goodbye" not in reply, reply  # re-asked
        assert status in replies[-1] and "Goodbye" not in replies[-1], replies[-1]
        ticket = client.get(f"/api/tickets/{ticket_id}", headers=stack.api_headers).json()
    assert (ticket["status"], ticket["csat"]) == (status, csat)


def test_offline_widget_customer_gets_the_follow_up_on_the_next_visit(stack):
    session_id = f"wc_{uuid.uuid4().hex}"
    ticket_id = _ticket(stack, "webchat", session_id, "the lamp arrived broken")
    with stack.client() as client:
        _resolve(client, stack, ticket_id, "A new lamp is on its way")
    # The follow-up is sent (kept for the browser) while no tab is open.
    engine = make_engine(stack.settings.database_url)
    deadline = time.monotonic() + 60
    while not _kept_for_the_browser(make_session_factory(engine), session_id, ticket_id):
        assert time.monotonic() < deadline, "no follow-up was kept for the offline customer"
        time.sleep(0.2)
    engine.dispose()
    url = stack.base_url.replace("http://", "ws://") + f"/webchat/ws?session={session_id}"
    with ws_connect(url, open_timeout=10) as ws:
        history = json.loads(ws.recv(timeout=30))
    assert history["type"] == "history"
    [follow_up] = [m for m in history["messages"] if ticket_id in m.get("text", "")]
    assert "new lamp" in follow_up["text"] and follow_up.get("new") is True


def _kept_for_the_browser(sessions, session_id: str, ticket_id: str) -> bool:
    """An undelivered message to the web chat customer naming the ticket is stored."""
    with sessions() as session:
        texts = session.scalars(
            select(Message.text)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(
                Conversation.channel == "webchat",
                Conversation.sender_id == session_id,
                Message.direction == "out",
                Message.delivered_at.is_(None),
            )
        ).all()
    return any(ticket_id in (text or "") for text in texts)
