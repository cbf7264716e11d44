"""`customer forget`: no personal data of the customer left in any column of any table."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text

from bot.conversations.store import add_message, get_or_create_conversation
from bot.customers.forget import (
    REDACTED,
    forget_customer,
    forget_in_tracker_store,
    scrub_event_data,
    tracker_key,
)
from bot.customers.models import Customer
from bot.db import transaction
from bot.paths import DEFAULT_REMEDY_POLICY, DEFAULT_SLA_POLICY
from bot.tickets.audit import Actor
from bot.tickets.lifecycle import change_status
from bot.tickets.models import RemedyRequest, Ticket
from bot.tickets.remedy import decline_request, request_remedy
from bot.tickets.remedy_policy import load_remedy_policy
from bot.tickets.service import add_note, apply_changes, get_ticket, lock_ticket
from bot.tickets.sla import load_policy

POLICY = load_policy(DEFAULT_SLA_POLICY)
NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
OPERATOR = Actor.operator("dpo")
AGENT = Actor.agent("alice")
LEAD = Actor.agent("sue", "supervisor")
REMEDIES = load_remedy_policy(DEFAULT_REMEDY_POLICY)

SENDER = "cust-7781234567"
PHONE = "13987654321"
EMAIL = "wang.xiaoming88@example.com"
DESCRIPTION = "我在望京店买的美的电饭煲内胆起皮掉涂层"
ORDER = "JD7654321"
PRODUCT = "美的电饭煲MB-FB40"
SECRETS = (SENDER, PHONE, EMAIL, DESCRIPTION, "内胆起皮", ORDER, PRODUCT)

OTHER = "cust-other-55"
OTHER_PHONE = "15811112222"


def scan(engine) -> list[str]:
    """Every value of every column of every table, as text (JSON as written)."""
    values: list[str] = []
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    if isinstance(value, dict | list):
                        value = json.dumps(value, ensure_ascii=False)
                    values.append(f"{table}: {value}")
    return values


def _tracker(var_dir: Path) -> Path:
    path = var_dir / "rasa_tracker.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
            "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
            "action_name VARCHAR(255), data TEXT)"
        )
        for key, said in (
            (tracker_key("rest", SENDER), f"my phone is {PHONE}"),
            (tracker_key("telegram", SENDER), DESCRIPTION),
            (tracker_key("rest", OTHER), f"call me {OTHER_PHONE}"),
        ):
            db.execute(
                "INSERT INTO events (sender_id, type_name, data) VALUES (?, 'user', ?)",
                (key, json.dumps({"text": said}, ensure_ascii=False)),
            )
    return path


def _conversation(sessions, channel: str, sender: str, lines: list[tuple[str, str]]) -> None:
    with transaction(sessions) as session:
        conv = get_or_create_conversation(session, channel=channel, sender_id=sender, now=NOW)
        for direction, said in lines:
            add_message(
                session,
                conversation=conv,
                direction=direction,
                author="customer" if direction == "in" else "bot",
                text=said,
                now=NOW,
                buttons=[{"title": said[:20], "payload": "/affirm"}]
                if direction == "out"
                else None,
            )


@pytest.fixture
def world(sessions, make_ticket):
    """The customer to forget (on two channels, with agent activity) and another one."""
    from bot.agents.service import create_agent

    with transaction(sessions) as session:
        create_agent(session, username="alice", role="agent", now=NOW)
        create_agent(session, username="sue", role="supervisor", now=NOW)
    first = make_ticket(
        SENDER,
        contact_phone=PHONE,
        contact_email=EMAIL,
        description=DESCRIPTION,
        order_id=ORDER,
        product=PRODUCT,
        desired_resolution="refund",
    )
    second = make_ticket(
        SENDER, NOW + timedelta(days=1), channel="telegram", description=DESCRIPTION
    )
    with transaction(sessions) as session:
        ticket = lock_ticket(session, first)
        later = NOW + timedelta(hours=1)
        apply_changes(
            session,
            ticket=ticket,
            changes={
                "status": "in_progress",
                "note": f"customer asked to be called on {PHONE}",
                "resolution_note": f"refund sent, receipt to {EMAIL}",
            },
            actor=AGENT,
            now=later,
            policy=POLICY,
        )
        # A refund above alice's limit, declined; then one within it, granted.
        asked = request_remedy(session, ticket=ticket, remedy=REMEDIES.check("refund", 500, "CNY"),
                               note=f"order {ORDER}", actor=AGENT, now=later, policy=REMEDIES)  # fmt: skip
        assert asked.request is not None
        decline_request(session, request_id=asked.request.id, reason=f"call {PHONE} first",
                        actor=LEAD, now=later, policy=REMEDIES)  # fmt: skip
        request_remedy(session, ticket=ticket, remedy=REMEDIES.check("refund", 150, "CNY"),
                       note=f"receipt to {EMAIL}", actor=AGENT, now=later, policy=REMEDIES)  # fmt: skip
        change_status(
            ticket, "resolved", actor=AGENT, now=later, policy=POLICY, note=f"mailed {EMAIL}"
        )
        add_note(ticket, f"{DESCRIPTION} confirmed", actor=AGENT, now=later)
    _conversation(
        sessions,
        "rest",
        SENDER,
        [
            ("in", DESCRIPTION),
            ("out", f"您反映的问题：{DESCRIPTION}"),
            ("in", PHONE),
            ("in", EMAIL),
        ],
    )
    _conversation(sessions, "telegram", SENDER, [("in", f"{ORDER} {DESCRIPTION}")])
    other = make_ticket(OTHER, contact_phone=OTHER_PHONE, description="快递三天没到")
    _conversation(sessions, "rest", OTHER, [("in", f"my number is {OTHER_PHONE}")])
    return {"first": first, "second": second, "other": other}


def _forget(sessions, **kwargs):
    with transaction(sessions) as session:
        return forget_customer(
            session, sender_id=SENDER, actor=OPERATOR, now=NOW + timedelta(days=5), **kwargs
        )


def test_no_personal_data_of_the_customer_remains_anywhere(engine, sessions, world):
    before = "\n".join(scan(engine))
    assert all(secret in before for secret in SECRETS)  # the scan sees them when present

    report = _forget(sessions)

    after = scan(engine)
    leftovers = [value for value in after for secret in SECRETS if secret in value]
    assert leftovers == []
    assert report.identities == 2
    assert report.customers == 2
    assert report.tickets == 2
    assert report.messages == 5


def test_tickets_stay_for_statistics_and_the_erasure_is_audited(sessions, world):
    _forget(sessions)
    with sessions() as session:
        ticket = get_ticket(session, world["first"])
        assert ticket.description == REDACTED
        assert ticket.resolution_note == REDACTED
        assert (ticket.contact_phone, ticket.contact_email, ticket.order_id, ticket.product) == (
            None,
            None,
            None,
            None,
        )
        assert ticket.sender_id.startswith("forgotten-")
        # what statistics need is untouched
        assert (ticket.status, ticket.category, ticket.severity, ticket.motive) == (
            "resolved",
            "product_quality",
            "general",
            "compensation",
        )
        assert ticket.desired_resolution == "refund"
        assert ticket.first_responded_at is not None
        last = ticket.events[-1]
        assert (last.actor, last.action) == ("operator:dpo", "customer_forgotten")
        kept = [e.data for e in ticket.events if e.action == "status_changed"]
        assert kept[0]["from"] == "open" and kept[0]["to"] == "in_progress"
        assert kept[1]["note"] == REDACTED
        customer = session.execute(
            select(Customer).where(Customer.id == ticket.customer_id)
        ).scalar_one()
        assert customer.sender_id == ticket.sender_id
        assert (customer.phone, customer.email) == (None, None)
        assert customer.forgotten_by == "operator:dpo"
        assert customer.forgotten_at == NOW + timedelta(days=5)
        assert session.execute(select(func.count(Ticket.id))).scalar_one() == 3
        # The remedy stays; what was typed about it goes.
        assert {k: ticket.remedy[k] for k in ("type", "amount", "currency", "granted_by")} == {
            "type": "refund", "amount": 150.0, "currency": "CNY", "granted_by": "alice",
        }  # fmt: skip
        granted = [e.data for e in ticket.events if e.action == "remedy_granted"][0]
        assert (granted["type"], granted["currency"], granted["note"]) == ("refund", "CNY",
                                                                           REDACTED)  # fmt: skip
        request = session.execute(select(RemedyRequest)).scalar_one()
        assert (request.status, request.note, request.reason) == ("declined", REDACTED, REDACTED)


def test_the_other_customer_is_untouched(engine, sessions, world):
    _forget(sessions)
    everything = "\n".join(scan(engine))
    assert OTHER_PHONE in everything
    assert "快递三天没到" in everything
    with sessions() as session:
        other = get_ticket(session, world["other"])
        assert (other.sender_id, other.contact_phone) == (OTHER, OTHER_PHONE)


def test_one_channel_only(sessions, world):
    report = _forget(sessions, channel="telegram")
    assert (report.identities, report.tickets) == (1, 1)
    with sessions() as session:
        assert get_ticket(session, world["first"]).contact_phone == PHONE
        assert get_ticket(session, world["second"]).description == REDACTED


def test_forgetting_twice_finds_nothing_the_second_time(sessions, world):
    assert _forget(sessions).found
    again = _forget(sessions)
    assert not again.found
    assert (again.tickets, again.messages) == (0, 0)


def test_rasa_tracker_rows_of_the_customer_are_deleted(tmp_path):
    path = _tracker(tmp_path)
    keys = [tracker_key(channel, SENDER) for channel in ("rest", "telegram", "webchat")]
    assert forget_in_tracker_store(path, keys) == 2
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT sender_id, data FROM events").fetchall()
    assert rows == [(tracker_key("rest", OTHER), json.dumps({"text": f"call me {OTHER_PHONE}"}))]
    raw = path.read_bytes()
    assert PHONE.encode() not in raw  # secure_delete: the freed pages are zeroed
    assert DESCRIPTION.encode() not in raw


@pytest.mark.postgres
def test_rasa_tracker_rows_are_deleted_from_a_postgresql_tracker_store(postgres_url):
    """endpoints.prod.yml keeps Rasa's conversations in PostgreSQL: forget reaches them by
    URL (plain postgresql:// as operators write it, or with the driver)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(
            text("CREATE TABLE events (id SERIAL PRIMARY KEY, sender_id VARCHAR(255), data TEXT)")
        )
        for key in (tracker_key("rest", SENDER), tracker_key("webchat", SENDER), "rest:other"):
            conn.execute(
                text("INSERT INTO events (sender_id, data) VALUES (:k, :d)"),
                {"k": key, "d": f"my phone is {PHONE}"},
            )
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    keys = [tracker_key(channel, SENDER) for channel in ("rest", "telegram", "webchat")]
    assert forget_in_tracker_store(plain, keys) == 2
    with engine.connect() as conn:
        left = conn.execute(text("SELECT sender_id FROM events")).scalars().all()
    engine.dispose()
    assert left == ["rest:other"]
    assert forget_in_tracker_store(postgres_url, keys) == 0


def test_a_missing_tracker_store_or_table_is_nothing_to_delete(tmp_path):
    assert forget_in_tracker_store(tmp_path / "absent.db", ["rest:x"]) == 0
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert forget_in_tracker_store(empty, ["rest:x"]) == 0


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"from": "open", "to": "resolved", "note": "call 13987654321"},
         {"from": "open", "to": "resolved", "note": REDACTED}),
        ({"field": "severity", "before": "general", "after": "major"},
         {"field": "severity", "before": "general", "after": "major"}),
        ({"field": "contact_phone", "before": "13987654321", "after": None},
         {"field": "contact_phone", "before": REDACTED, "after": None}),
        ({"text": "x", "amount": 30, "items": ["a", {"b": "c"}]},
         {"text": REDACTED, "amount": 30, "items": [REDACTED, {"b": REDACTED}]}),
        (None, None),
    ],
)  # fmt: skip
def test_event_data_keeps_only_what_is_not_personal(data, expected):
    assert scrub_event_data(data) == expected


# Evidence: what the customer sent as photos and documents, with names and captions that
# say who they are, and the Telegram chat id they came from.
EVIDENCE_NAME = "王小明_身份证_JD7654321.jpg"
EVIDENCE_CAPTION = "内胆起皮的照片，收据上有我的地址"
TELEGRAM_FILE_ID = "AgACAgUAAxkBAAIBQ2VfX3telegramfileid"


def _evidence(sessions, directory: Path, channel: str, sender: str, name: str,
              caption: str | None) -> str:  # fmt: skip
    from bot.tickets.evidence import add_evidence, store_file

    data = f"photo of {sender}".encode()
    stored = store_file(directory, data, name, NOW)
    with transaction(sessions) as session:
        add_evidence(session, channel=channel, sender_id=sender, kind="photo", file_name=name,
                     mime_type="image/jpeg", size=len(data), stored_path=stored, now=NOW,
                     external_id=TELEGRAM_FILE_ID if channel == "telegram" else None,
                     caption=caption)  # fmt: skip
    return stored


def test_evidence_rows_and_files_of_the_customer_are_erased(engine, sessions, world, tmp_path):
    from bot.customers.forget import delete_evidence_files
    from bot.tickets.evidence import Evidence

    directory = tmp_path / "evidence"
    # On the open Telegram ticket (linked), on the REST channel with no open ticket
    # (waiting), and the other customer's.
    theirs = [
        _evidence(sessions, directory, "telegram", SENDER, EVIDENCE_NAME, EVIDENCE_CAPTION),
        _evidence(sessions, directory, "rest", SENDER, "receipt.pdf", f"call {PHONE}"),
    ]
    others = _evidence(sessions, directory, "rest", OTHER, "box.jpg", "the box")
    with sessions() as session:
        linked = session.scalars(select(Evidence.ticket_id).order_by(Evidence.id)).all()
    assert linked[0] == world["second"]  # the Telegram photo is on the open ticket
    before = "\n".join(scan(engine))
    assert EVIDENCE_NAME in before and EVIDENCE_CAPTION in before and TELEGRAM_FILE_ID in before

    report = _forget(sessions)

    assert report.evidence == 2 and sorted(report.evidence_files) == sorted(theirs)
    after = scan(engine)
    secrets = (*SECRETS, EVIDENCE_NAME, EVIDENCE_CAPTION, TELEGRAM_FILE_ID, "receipt.pdf")
    leftovers = [value for value in after for secret in secrets if secret in value]
    assert leftovers == []
    with sessions() as session:
        kept = session.execute(select(Evidence.sender_id, Evidence.file_name)).all()
    assert [tuple(row) for row in kept] == [(OTHER, "box.jpg")]

    assert delete_evidence_files(directory, report.evidence_files) == 2
    assert [p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file()] == [
        others
    ]
    # Paths that would leave the directory are never followed.
    outside = tmp_path / "keep.txt"
    outside.write_text("not evidence")
    assert delete_evidence_files(directory, ["../keep.txt", "/etc/hostname", "."]) == 0
    assert outside.exists()


def test_a_customer_known_only_by_their_evidence_is_found_and_forgotten(engine, sessions,
                                                                          tmp_path):  # fmt: skip
    from bot.tickets.evidence import Evidence

    _evidence(sessions, tmp_path / "evidence", "telegram", "555000111", "me.jpg", "my face")
    report = _forget_sender(sessions, "555000111")
    assert (report.identities, report.evidence) == (1, 1)
    with sessions() as session:
        assert session.scalars(select(Evidence)).all() == []


def _forget_sender(sessions, sender: str):
    with transaction(sessions) as session:
        return forget_customer(session, sender_id=sender, actor=OPERATOR, now=NOW)
