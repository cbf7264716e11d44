"""One client address everywhere: the console sign-in throttle reads the client behind a
trusted proxy as the rate caps do (so one guesser behind the proxy does not lock every agent
out), believes X-Forwarded-For from nobody else, the session cookie is always `Secure` in
production, and a private direct peer with no trusted proxy is warned about."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from bot.agents.passwords import set_password
from bot.agents.service import create_agent
from bot.channels import limits
from bot.clock import utcnow
from bot.db import transaction
from bot.web.app import create_app
from bot.web.auth import (
    LOGIN_FAILURES_PER_ADDRESS,
    LOGIN_FAILURES_PER_USERNAME,
    LoginThrottle,
    address_group,
)

LOGIN = "/api/console/login"
PASSWORD = "correct horse battery staple"
WRONG = "not the password!"
PROXY = "10.0.0.5"


@pytest.fixture
def app_with(offline_settings):
    clients: list[TestClient] = []

    def start(**overrides):
        app = create_app(offline_settings(rasa_startup_grace=0, **overrides))
        client = TestClient(app, client=(PROXY, 40000))
        client.__enter__()
        clients.append(client)
        with transaction(app.state.sessions) as session:
            for name in ("alice", "bob"):
                create_agent(session, username=name, role="agent", now=utcnow())
                set_password(session, username=name, password=PASSWORD)
        return app, client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


def login(client: TestClient, username: str, password: str, forwarded: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    body = {"username": username, "password": password}
    return client.post(LOGIN, json=body, headers=headers).status_code


def test_behind_a_trusted_proxy_one_guesser_does_not_lock_out_the_others(app_with):
    _app, client = app_with(trusted_proxies="10.0.0.0/8")
    guesser, colleague = "203.0.113.7", "198.51.100.20"
    for _ in range(LOGIN_FAILURES_PER_USERNAME):
        assert login(client, "alice", WRONG, guesser) == 401
    assert login(client, "alice", PASSWORD, guesser) == 429  # the guesser is throttled
    assert login(client, "alice", PASSWORD, colleague) == 200  # alice at her desk is not
    # Many usernames from one client: that client alone is stopped.
    tries = LOGIN_FAILURES_PER_ADDRESS - LOGIN_FAILURES_PER_USERNAME
    for n in range(tries):
        assert login(client, f"nobody{n}", WRONG, guesser) == 401
    assert login(client, "bob", WRONG, guesser) == 429
    assert login(client, "bob", PASSWORD, colleague) == 200


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(app_with):
    """A client that makes up X-Forwarded-For headers is still one address."""
    _app, client = app_with(trusted_proxies="192.168.0.0/16")  # not the peer's network
    for n in range(LOGIN_FAILURES_PER_USERNAME):
        assert login(client, "alice", WRONG, f"203.0.113.{n}") == 401
    assert login(client, "alice", PASSWORD, "203.0.113.99") == 429


def test_the_session_cookie_is_secure_in_production_even_over_http(app_with):
    _app, client = app_with(env="production", rasa_token="rasa-token-for-tests-0123456789")
    response = client.post(LOGIN, json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    _app, dev = app_with()
    plain = dev.post(LOGIN, json={"username": "alice", "password": PASSWORD})
    assert "secure" not in plain.headers["set-cookie"].lower()  # http://localhost works


def test_a_private_peer_with_no_trusted_proxy_is_warned_about_once(app_with, caplog,
                                                                  monkeypatch):  # fmt: skip
    monkeypatch.setattr(limits, "_warned_private_peer", False)
    _app, client = app_with()
    with caplog.at_level(logging.WARNING, logger="bot.channels.limits"):
        login(client, "alice", WRONG)
        login(client, "alice", WRONG)
        client.post("/webhooks/rest/webhook", json={"sender": "x", "message": "hi"})
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.channels.limits"]
    assert len(warnings) == 1 and PROXY in warnings[0]
    assert "COMPLAINTBOT_TRUSTED_PROXIES" in warnings[0]


@pytest.mark.parametrize(
    ("peer", "warned"),
    [("10.0.0.5", True), ("172.17.0.1", True), ("192.168.1.2", True), ("fd00::1", True),
     ("127.0.0.1", False), ("::1", False), ("8.8.8.8", False), ("testclient", False)],
)  # fmt: skip
def test_which_peers_are_taken_for_a_shared_address(peer, warned):
    assert (limits.shared_address_warning(peer) is not None) == warned


def test_ipv6_clients_are_throttled_per_64(app_with):
    """One host can pick any address of its /64: guesses from many of them are one client."""
    _app, client = app_with(trusted_proxies="10.0.0.0/8")
    for n in range(LOGIN_FAILURES_PER_USERNAME):
        assert login(client, "alice", WRONG, f"2001:db8:1:2::{n + 1:x}") == 401
    assert login(client, "alice", PASSWORD, "2001:db8:1:2:ffff::9") == 429
    assert login(client, "alice", PASSWORD, "2001:db8:1:3::1") == 200  # the next /64 is not


@pytest.mark.parametrize(
    ("address", "group"),
    [("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"), ("::ffff:192.0.2.7", "192.0.2.7"),
     ("192.0.2.7", "192.0.2.7"), ("testclient", "testclient"), ("unknown", "unknown")],
)  # fmt: skip
def test_address_groups(address, group):
    assert address_group(address) == group


def test_refused_attempts_make_no_throttle_keys():
    """A locked-out address trying new usernames cannot grow the throttle's memory."""
    now = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
    throttle = LoginThrottle()
    for n in range(LOGIN_FAILURES_PER_ADDRESS):
        assert throttle.admit(f"user{n}", "192.0.2.1", now) is None
    keys = len(throttle._failures)
    for n in range(100):
        assert throttle.admit(f"other{n}", "192.0.2.1", now) is not None
    assert len(throttle._failures) == keys
