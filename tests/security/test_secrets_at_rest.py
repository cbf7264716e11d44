"""Agents' API tokens, console session tokens and passwords are kept only as hashes: the
raw rows hold SHA-256 hex digests and argon2id hashes, and no table (nor, on SQLite, the
database file) contains a token or password. Every sign-in does the same argon2 work,
whether the username exists or not."""

from __future__ import annotations

import hashlib
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from bot.agents import passwords
from bot.agents.service import deactivate_agent
from bot.config import ensure_secrets, load_settings
from bot.db import Base, transaction
from bot.web.auth import CONSOLE_COOKIE

PASSWORD = "correct horse battery staple"
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture
def issued(client, tokens) -> dict[str, str]:
    """Secrets handed out: an agent token, a password and the session cookie it got."""
    app: Any = client.app
    with transaction(app.state.sessions) as session:
        passwords.set_password(session, username="alice", password=PASSWORD)
    answer = client.post("/api/console/login", json={"username": "alice", "password": PASSWORD})
    assert answer.status_code == 200
    cookie = client.cookies[CONSOLE_COOKIE]
    client.cookies.clear()
    return {
        "token": tokens["alice"]["Authorization"].removeprefix("Bearer "),
        "password": PASSWORD,
        "cookie": cookie,
    }


def _rows(client: Any, sql: str) -> list[Any]:
    with client.app.state.sessions() as session:
        return list(session.execute(text(sql)))


def test_agent_tokens_are_stored_as_sha256(client, issued):
    (row,) = _rows(client, "SELECT token_hash FROM agents WHERE username = 'alice'")
    assert SHA256_HEX.match(row.token_hash)
    assert row.token_hash == hashlib.sha256(issued["token"].encode()).hexdigest()
    # Still the key to the API: the hash is what is looked up.
    assert client.get("/api/tickets", headers={"Authorization": f"Bearer {issued['token']}"}).status_code == 200  # fmt: skip


def test_passwords_are_stored_as_argon2id(client, issued):
    (row,) = _rows(client, "SELECT password_hash FROM agents WHERE username = 'alice'")
    assert row.password_hash.startswith("$argon2id$v=19$")
    assert PasswordHasher().verify(row.password_hash, PASSWORD)
    for name in ("bob", "sue", "adam"):  # no password set: nothing stored
        (other,) = _rows(client, f"SELECT password_hash FROM agents WHERE username = '{name}'")
        assert other.password_hash is None


def test_console_sessions_are_stored_as_sha256(client, issued):
    rows = _rows(client, "SELECT token_hash FROM agent_sessions")
    assert [row.token_hash for row in rows] == [
        hashlib.sha256(issued["cookie"].encode()).hexdigest()
    ]
    assert issued["cookie"].startswith("cbs_") and len(issued["cookie"]) > 40


def test_no_table_holds_a_token_password_or_cookie(client, issued):
    app: Any = client.app
    with app.state.sessions() as session:
        dump = "\n".join(
            repr(tuple(row))
            for table in Base.metadata.sorted_tables
            for row in session.execute(text(f"SELECT * FROM {table.name}"))
        )
    assert "alice" in dump  # the dump reads the rows
    for name, secret in issued.items():
        assert secret not in dump, name
    assert "service-token-for-tests" not in dump  # the service token is never stored


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_sqlite_file_holds_no_secret_bytes(client, issued, db_url):
    path = Path(db_url.split("///", 1)[1])
    raw = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    assert b"alice" in raw
    for name, secret in issued.items():
        assert secret.encode() not in raw, name


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_sign_in_does_the_same_argon2_work(client, tokens, monkeypatch):
    """Unknown usernames, agents without a password, deactivated agents and wrong passwords
    all verify one argon2 hash, so the time taken does not tell which usernames exist."""
    app: Any = client.app
    with transaction(app.state.sessions) as session:
        passwords.set_password(session, username="alice", password=PASSWORD)
        passwords.set_password(session, username="bob", password=PASSWORD)
        deactivate_agent(session, username="bob")
    verified: list[str] = []

    class CountingHasher(PasswordHasher):
        """argon2's own hasher, counting the hashes it verifies."""

        def verify(self, hash: str | bytes, password: str | bytes) -> Any:
            verified.append(str(hash))
            return super().verify(hash, password)

    monkeypatch.setattr(passwords, "_hasher", CountingHasher())
    attempts = {
        "unknown username": ("nobody", PASSWORD, 401),
        "agent without a password": ("sue", PASSWORD, 401),
        "deactivated agent, right password": ("bob", PASSWORD, 401),
        "wrong password": ("alice", "not the right one", 401),
        "right password": ("alice", PASSWORD, 200),
    }
    for what, (username, password, status) in attempts.items():
        verified.clear()
        answer = client.post(
            "/api/console/login", json={"username": username, "password": password}
        )
        assert answer.status_code == status, what
        assert len(verified) == 1, what
        assert verified[0].startswith("$argon2id$"), what


def test_generated_secrets_are_kept_readable_by_the_owner_only(tmp_path):
    settings, created = ensure_secrets(
        load_settings(
            _env_file=None, env="development", var_dir=tmp_path, api_token=None, rasa_token=None
        )  # fmt: skip
    )
    assert sorted(p.name for p in created) == ["api_token", "rasa_token"]
    for path in created:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert settings.api_token is not None
    assert settings.api_token.get_secret_value() not in repr(settings)
