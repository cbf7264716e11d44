"""action_check_status: the customer's own tickets, from the store, in their language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import OperationalError

import actions.status
from actions.services import Services
from actions.status import ActionCheckStatus
from bot.config import load_settings
from bot.db import transaction
from bot.paths import DEFAULT_SLA_POLICY
from bot.tickets.audit import BOT, Actor
from bot.tickets.lifecycle import change_status
from bot.tickets.service import lock_ticket, record_first_response
from bot.tickets.sla import load_policy

POLICY = load_policy(DEFAULT_SLA_POLICY)
NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)  # 17:30 in Beijing
ASKED_AT = NOW + timedelta(hours=3)
DOMAIN: dict[str, Any] = {"responses": {}}


@pytest.fixture
def services(sessions, db_url, tmp_path, monkeypatch) -> Services:
    """The actions' services on the test database, with a fixed clock."""
    settings = load_settings(_env_file=None, database_url=db_url, var_dir=tmp_path)
    built = Services(settings=settings, sessions=sessions, policy=POLICY, clock=lambda: ASKED_AT)
    monkeypatch.setattr(actions.status, "get_services", lambda: built)
    return built


def tracker(
    *,
    lang: str | None = "zh",
    ticket_id: str | None = None,
    entities: list[dict[str, Any]] | None = None,
    channel: str = "rest",
    sender: str = "cust-1",
) -> Tracker:
    latest = {
        "text": "我的投诉处理得怎么样了",
        "intent": {"name": "check_status", "confidence": 0.95},
        "entities": entities or [],
    }
    return Tracker.from_dict(
        {
            "sender_id": f"{channel}:{sender}",
            "slots": {"lang": lang, "ticket_id": ticket_id},
            "latest_message": latest,
            "events": [
                {
                    "event": "user",
                    "text": latest["text"],
                    "parse_data": latest,
                    "metadata": {"channel": channel, "sender_id": sender},
                }
            ],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


async def run(t: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await ActionCheckStatus().run(dispatcher, t, DOMAIN)
    return events, dispatcher.messages


async def test_no_tickets(services):
    events, messages = await run(tracker())
    assert [m["response"] for m in messages] == ["utter_no_tickets"]
    assert events == [SlotSet("ticket_id", None)]


async def test_own_ticket_by_number_in_chinese(services, make_ticket):
    ticket_id = make_ticket("cust-1")
    events, messages = await run(tracker(ticket_id=ticket_id.lower()))
    assert events == [SlotSet("ticket_id", None)]
    assert len(messages) == 1
    message = messages[0]
    assert message["response"] == "utter_ticket_status"
    assert message["ticket_id"] == ticket_id
    assert message["category_label"] == "物流配送"
    assert message["status_label"] == "已受理，等待专员处理"
    assert message["next_step"] == "专员会在 11月23日 17:30（北京时间）前联系您。"


async def test_ticket_number_from_the_message_entities(services, make_ticket):
    ticket_id = make_ticket("cust-1")
    entity = {"entity": "ticket_id", "value": ticket_id, "start": 0, "end": len(ticket_id)}
    _events, messages = await run(tracker(lang="en", entities=[entity]))
    assert [(m["response"], m["ticket_id"]) for m in messages] == [
        ("utter_ticket_status", ticket_id)
    ]
    assert messages[0]["next_step"] == "A specialist will contact you by 23 Nov 17:30 (UTC+8)."


async def test_someone_elses_ticket_is_not_found(services, make_ticket):
    theirs = make_ticket("someone-else")
    same_sender_other_channel = make_ticket("cust-1", channel="telegram")
    for wanted in (theirs, same_sender_other_channel, "CP-20200101-0001"):
        events, messages = await run(tracker(ticket_id=wanted))
        assert messages == [
            {**messages[0], "response": "utter_ticket_not_found", "ticket_id": wanted}
        ]
        assert "status_label" not in messages[0] and "next_step" not in messages[0]
        assert events == [SlotSet("ticket_id", None)]


async def test_several_open_tickets_are_listed_newest_first(services, sessions, make_ticket):
    closed = make_ticket("cust-1", NOW - timedelta(days=5))
    with transaction(sessions) as session:
        ticket = lock_ticket(session, closed)
        change_status(ticket, "resolved", actor=Actor.agent("x"), now=NOW, policy=POLICY)
    opened = [make_ticket("cust-1", NOW + timedelta(minutes=m)) for m in range(4)]
    make_ticket("someone-else", NOW + timedelta(minutes=10))
    _events, messages = await run(tracker(lang="en"))
    assert [m["ticket_id"] for m in messages] == [opened[3], opened[2], opened[1]]
    assert all(m["response"] == "utter_ticket_status" for m in messages)
    assert messages[-1]["next_step"].endswith("1 more of your tickets are in progress.")
    assert "more" not in messages[0]["next_step"]


async def test_without_open_tickets_only_the_latest_one_is_shown(services, sessions, make_ticket):
    older = make_ticket("cust-1", NOW - timedelta(days=9))
    latest = make_ticket("cust-1", NOW - timedelta(days=2))
    with transaction(sessions) as session:
        for ticket_id in (older, latest):
            change_status(
                lock_ticket(session, ticket_id), "withdrawn", actor=BOT, now=NOW, policy=POLICY
            )
    _events, messages = await run(tracker(lang="en"))
    assert [(m["ticket_id"], m["status_label"], m["next_step"]) for m in messages] == [
        (latest, "withdrawn", "")
    ]


async def test_done_tickets_have_no_next_step(services, sessions, make_ticket):
    ticket_id = make_ticket("cust-1")
    with transaction(sessions) as session:
        change_status(
            lock_ticket(session, ticket_id),
            "resolved",
            actor=Actor.agent("x"),
            now=NOW,
            policy=POLICY,
        )
    _events, messages = await run(tracker(lang="en"))
    assert [(m["ticket_id"], m["status_label"], m["next_step"]) for m in messages] == [
        (ticket_id, "resolved", "")
    ]


async def test_who_has_it_and_the_resolution_deadline(services, sessions, make_ticket, make_agent):
    make_agent("xiaoli", display_name="小李")
    ticket_id = make_ticket("cust-1")
    with transaction(sessions) as session:
        lock_ticket(session, ticket_id).assigned_agent = "xiaoli"
        record_first_response(session, ticket_id=ticket_id, agent="xiaoli", now=NOW)
    _events, messages = await run(tracker())
    assert messages[0]["next_step"] == "专员小李会在 11月25日 17:30（北京时间）前给出处理结果。"
    _events, messages = await run(tracker(lang="en"))
    assert messages[0]["next_step"] == "小李 will resolve it by 25 Nov 17:30 (UTC+8)."


async def test_an_overdue_ticket_says_so(services, make_ticket):
    make_ticket("cust-1", NOW - timedelta(days=2))  # first response was due a day ago
    _events, messages = await run(tracker(lang="en"))
    assert messages[0]["next_step"].startswith("We are past the time we promised")


async def test_a_database_failure_gets_an_answer(services, monkeypatch):
    def broken():
        raise OperationalError("SELECT 1", {}, Exception("database is locked"))

    monkeypatch.setattr(services, "sessions", broken)
    dispatcher = CollectingDispatcher()
    events = await ActionCheckStatus().run(dispatcher, tracker(), DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == ["utter_default"]
    assert events == [SlotSet("ticket_id", None)]
    dispatcher = CollectingDispatcher()
    domain = {"responses": {"utter_status_unavailable": [{"text": "..."}]}}
    await ActionCheckStatus().run(dispatcher, tracker(), domain)
    assert [m["response"] for m in dispatcher.messages] == ["utter_status_unavailable"]
