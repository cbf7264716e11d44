"""`complaintbot agents ...`, `complaintbot customer forget` and `db upgrade` end to end."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from bot import cli
from bot.agents.models import Agent
from bot.agents.service import agent_for_token
from bot.conversations.store import add_message, get_or_create_conversation
from bot.db import current_revision, make_engine, make_session_factory, transaction, upgrade
from bot.paths import DEFAULT_SLA_POLICY
from bot.tickets.models import Ticket
from bot.tickets.service import NewTicket, create_ticket
from bot.tickets.sla import load_policy

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
PHONE = "13987654321"
EMAIL = "wang.xiaoming88@example.com"
DESCRIPTION = "电饭煲内胆起皮掉涂层，吃进去怎么办"


def _cli_on(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    for name in list(os.environ):
        if name.startswith("COMPLAINTBOT_") and not name.startswith("COMPLAINTBOT_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COMPLAINTBOT_DATABASE_URL", url)
    monkeypatch.setenv("COMPLAINTBOT_VAR_DIR", str(tmp_path / "var"))
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def database(db_url, tmp_path, monkeypatch):
    """The CLI pointed at a fresh database (SQLite and PostgreSQL) and a temporary var/."""
    yield from _cli_on(db_url, tmp_path, monkeypatch)


@pytest.fixture
def empty_database(empty_db_url, tmp_path, monkeypatch):
    """The CLI pointed at an empty database, before any migration."""
    yield from _cli_on(empty_db_url, tmp_path, monkeypatch)


def _token(output: str) -> str:
    tokens = re.findall(r"^cba_\S+$", output, re.MULTILINE)
    assert len(tokens) == 1, output
    return tokens[0]


def _agent_for(engine, token: str) -> Agent | None:
    with make_session_factory(engine)() as session:
        return agent_for_token(session, token)


def test_db_upgrade_still_works(empty_database, capsys):
    assert current_revision(empty_database) is None
    assert cli.main(["db", "upgrade"]) == 0
    assert current_revision(empty_database) not in (None, "0001")
    assert "database at revision head" in capsys.readouterr().out


def test_agents_add_prints_the_token_once_and_stores_only_its_hash(database, capsys):
    code = cli.main(["agents", "add", "Alice", "--role", "supervisor", "--display-name", "小李"])
    assert code == 0
    token = _token(capsys.readouterr().out)
    agent = _agent_for(database, token)
    assert agent is not None
    assert (agent.username, agent.role, agent.display_name) == ("alice", "supervisor", "小李")
    with database.connect() as conn:
        stored = [str(v) for row in conn.execute(text("SELECT * FROM agents")) for v in row]
    assert not any(token in value or token[4:] in value for value in stored)

    assert cli.main(["agents", "list"]) == 0
    listing = capsys.readouterr().out
    assert re.search(r"^alice\s+supervisor\s+active\s+小李$", listing, re.MULTILINE)
    assert token not in listing


def test_agents_add_refuses_duplicates_and_bad_names(database, capsys):
    assert cli.main(["agents", "add", "bob"]) == 0
    capsys.readouterr()
    assert cli.main(["agents", "add", "bob"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert cli.main(["agents", "add", "bot"]) == 2
    assert "reserved" in capsys.readouterr().err
    assert cli.main(["agents", "add", "no spaces"]) == 2
    with pytest.raises(SystemExit):
        cli.main(["agents", "add", "carol", "--role", "owner"])


def test_rotate_and_deactivate_revoke_tokens(database, capsys):
    cli.main(["agents", "add", "dave"])
    old = _token(capsys.readouterr().out)
    assert cli.main(["agents", "rotate-token", "dave"]) == 0
    new = _token(capsys.readouterr().out)
    assert new != old
    assert _agent_for(database, old) is None
    assert _agent_for(database, new).username == "dave"
    assert cli.main(["agents", "deactivate", "dave"]) == 0
    assert _agent_for(database, new) is None
    assert cli.main(["agents", "rotate-token", "nobody"]) == 2


def _telegram_user(engine, username: str) -> int | None:
    with make_session_factory(engine)() as session:
        return session.scalars(
            select(Agent.telegram_user_id).where(Agent.username == username)
        ).one()


def test_link_telegram_lets_one_agent_act_as_a_telegram_user(database, capsys):
    cli.main(["agents", "add", "wang", "--display-name", "Wang"])
    cli.main(["agents", "add", "li"])
    capsys.readouterr()
    assert cli.main(["agents", "link-telegram", "Wang", "700123456"]) == 0
    assert "linked to Telegram user 700123456" in capsys.readouterr().out
    assert _telegram_user(database, "wang") == 700123456
    assert cli.main(["agents", "list"]) == 0
    assert re.search(r"^wang\s+agent\s+active\s+Wang\s+telegram:700123456$",
                     capsys.readouterr().out, re.MULTILINE)  # fmt: skip
    # One Telegram account, one agent; ids are numbers; unknown agents are refused.
    assert cli.main(["agents", "link-telegram", "li", "700123456"]) == 2
    assert "already linked to 'wang'" in capsys.readouterr().err
    assert cli.main(["agents", "link-telegram", "li", "@li_wei"]) == 2
    assert "digits" in capsys.readouterr().err
    assert cli.main(["agents", "link-telegram", "li", "-100123"]) == 2
    assert cli.main(["agents", "link-telegram", "nobody", "42"]) == 2
    assert _telegram_user(database, "li") is None
    # Linking again is harmless; --unlink frees the account for someone else.
    assert cli.main(["agents", "link-telegram", "wang", "700123456"]) == 0
    assert cli.main(["agents", "link-telegram", "wang", "--unlink"]) == 0
    assert "unlinked" in capsys.readouterr().out
    assert cli.main(["agents", "link-telegram", "li", "700123456"]) == 0
    assert (_telegram_user(database, "wang"), _telegram_user(database, "li")) == (None, 700123456)


def _seed_customer(db_url: str, var_dir: Path) -> str:
    upgrade(db_url)
    engine = make_engine(db_url)
    sessions = make_session_factory(engine)
    with transaction(sessions) as session:
        ticket = create_ticket(
            session,
            new=NewTicket(
                channel="rest",
                sender_id="wx-forget",
                language="zh",
                category="product_quality",
                description=DESCRIPTION,
                contact_phone=PHONE,
                contact_email=EMAIL,
            ),
            policy=load_policy(DEFAULT_SLA_POLICY),
            now=NOW,
        )
        conv = get_or_create_conversation(session, channel="rest", sender_id="wx-forget", now=NOW)
        add_message(
            session, conversation=conv, direction="in", author="customer", text=PHONE, now=NOW
        )
        ticket_id = ticket.id
    engine.dispose()
    var_dir.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(var_dir / "rasa_tracker.db") as db:
        db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, data TEXT)")
        db.execute(
            "INSERT INTO events (sender_id, data) VALUES (?, ?)",
            ("rest:wx-forget", json.dumps({"text": PHONE})),
        )
    return ticket_id


def _sqlite_bytes(db_url: str) -> bytes:
    path = Path(db_url.split("///", 1)[1])
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_customer_forget(database, db_url, tmp_path, capsys):
    var_dir = tmp_path / "var"
    ticket_id = _seed_customer(db_url, var_dir)
    if db_url.startswith("sqlite"):
        assert PHONE.encode() in _sqlite_bytes(db_url)

    assert cli.main(["customer", "forget", "wx-forget", "--operator", "dpo"]) == 0
    out = capsys.readouterr().out
    assert "1 ticket(s) anonymised, 1 message(s) redacted, 1 Rasa tracker event(s)" in out

    with make_session_factory(database)() as session:
        ticket = session.execute(select(Ticket).where(Ticket.id == ticket_id)).scalar_one()
        assert (ticket.contact_phone, ticket.contact_email) == (None, None)
        assert ticket.description == "[redacted]"
        assert ticket.events[-1].actor == "operator:dpo"
        assert ticket.events[-1].action == "customer_forgotten"
    with sqlite3.connect(var_dir / "rasa_tracker.db") as db:
        assert db.execute("SELECT COUNT(*) FROM events").fetchone() == (0,)
    if db_url.startswith("sqlite"):
        # Nothing left in the file either: freed pages zeroed, the WAL folded in.
        raw = _sqlite_bytes(db_url)
        for secret in (PHONE, EMAIL, DESCRIPTION):
            assert secret.encode() not in raw, secret

    assert cli.main(["customer", "forget", "wx-forget"]) == 1
    assert "nothing stored for that sender" in capsys.readouterr().out


def test_customer_forget_takes_a_known_channel_only(database, capsys):
    with pytest.raises(SystemExit):
        cli.main(["customer", "forget", "x", "--channel", "fax"])


def test_cli_choices_match_the_models():
    from bot.agents.models import ROLES
    from bot.tickets.models import CHANNELS

    assert cli.CHANNEL_CHOICES == CHANNELS
    assert cli.ROLE_CHOICES == ROLES


def _authenticates(engine, username: str, password: str) -> bool:
    from bot.agents.passwords import authenticate

    with make_session_factory(engine)() as session:
        return authenticate(session, username=username, password=password) is not None


def test_agents_add_with_a_password_from_stdin(database, capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("a long secret phrase\n"))
    assert cli.main(["agents", "add", "erin", "--password-stdin"]) == 0
    assert "with a console password" in capsys.readouterr().out
    assert _authenticates(database, "erin", "a long secret phrase")
    # A password breaking the rules creates no agent at all.
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["agents", "add", "fay", "--password-stdin"]) == 2
    assert "at least 10 characters" in capsys.readouterr().err
    assert cli.main(["agents", "rotate-token", "fay"]) == 2


def test_agents_set_password_prompts_twice_or_reads_stdin(database, capsys, monkeypatch):
    import io

    assert cli.main(["agents", "add", "gus"]) == 0
    answers = iter(["first password 1", "first password 1"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert cli.main(["agents", "set-password", "gus"]) == 0
    assert "console password of gus set" in capsys.readouterr().out
    assert _authenticates(database, "gus", "first password 1")

    answers = iter(["second password 2", "a typo in it 2"])
    assert cli.main(["agents", "set-password", "gus"]) == 2
    assert "differ" in capsys.readouterr().err
    assert _authenticates(database, "gus", "first password 1")

    monkeypatch.setattr("sys.stdin", io.StringIO("third password 3\r\n"))
    assert cli.main(["agents", "set-password", "gus", "--password-stdin"]) == 0
    assert _authenticates(database, "gus", "third password 3")
    assert not _authenticates(database, "gus", "first password 1")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert cli.main(["agents", "set-password", "gus", "--password-stdin"]) == 2
    assert "no password on standard input" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("whatever password\n"))
    assert cli.main(["agents", "set-password", "nobody", "--password-stdin"]) == 2
