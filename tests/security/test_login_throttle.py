"""Console sign-in guessing is throttled: per username from one address and per address,
429 with Retry-After (also for the right password), reset by a success or by time, other
users and addresses unaffected, and the log says so without the password. The app's clock
is moved instead of sleeping."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from web.test_console_api import PASSWORD

from bot.agents.passwords import set_password
from bot.db import transaction
from bot.privacy import username_hint
from bot.web.auth import (
    LOGIN_FAILURES_PER_ADDRESS,
    LOGIN_FAILURES_PER_USERNAME,
    LOGIN_WINDOW,
    LoginThrottle,
)

LOGIN = "/api/console/login"
WRONG = "not the password!"


@pytest.fixture
def db_url(sqlite_url) -> str:
    """The throttle keeps nothing in the database: SQLite is enough."""
    return sqlite_url


@pytest.fixture
def clock(client) -> Callable[[timedelta], datetime]:
    """`clock(delta)` moves the app's time on by `delta` and returns it."""
    now = [client.app.state.clock()]
    client.app.state.clock = lambda: now[0]

    def advance(delta: timedelta = timedelta(0)) -> datetime:
        now[0] += delta
        return now[0]

    return advance


def _from(client: TestClient, address: str) -> TestClient:
    """Another caller of the same running app, from `address` (request.client.host)."""
    return TestClient(client.app, client=(address, 50000))


def _login(client: TestClient, username: str, password: str) -> int:
    return client.post(LOGIN, json={"username": username, "password": password}).status_code


def _fail(client: TestClient, username: str, times: int) -> None:
    for _ in range(times):
        assert _login(client, username, WRONG) == 401


def test_after_five_failures_even_the_right_password_gets_429(client, passwords, clock):
    _fail(client, "alice", LOGIN_FAILURES_PER_USERNAME)
    locked = client.post(LOGIN, json={"username": "alice", "password": PASSWORD})
    assert locked.status_code == 429
    assert locked.headers["retry-after"] == str(int(LOGIN_WINDOW.total_seconds()))
    assert locked.json() == {"detail": "too many failed sign-ins; try again in 900 seconds"}
    assert "set-cookie" not in locked.headers
    assert _login(client, "ALICE ", PASSWORD) == 429  # the same username, however written

    clock(timedelta(minutes=10))
    assert client.post(LOGIN, json={"username": "alice", "password": PASSWORD}).headers[
        "retry-after"
    ] == str(5 * 60)
    clock(timedelta(minutes=5))  # the window has passed
    assert _login(client, "alice", PASSWORD) == 200


def test_other_usernames_and_addresses_are_not_affected(client, passwords, clock):
    _fail(client, "alice", LOGIN_FAILURES_PER_USERNAME)
    assert _login(client, "alice", PASSWORD) == 429
    assert _login(client, "bob", PASSWORD) == 200  # another agent, same address
    assert _login(_from(client, "198.51.100.7"), "alice", PASSWORD) == 200  # alice elsewhere


def test_a_success_clears_the_usernames_failures(client, passwords, clock):
    _fail(client, "alice", LOGIN_FAILURES_PER_USERNAME - 1)
    assert _login(client, "alice", PASSWORD) == 200
    _fail(client, "alice", LOGIN_FAILURES_PER_USERNAME - 1)  # counted afresh: still 401
    assert _login(client, "alice", WRONG) == 401
    assert _login(client, "alice", PASSWORD) == 429


def test_failures_leave_the_window_one_by_one(client, passwords, clock):
    for _ in range(LOGIN_FAILURES_PER_USERNAME):
        _fail(client, "alice", 1)
        clock(timedelta(minutes=1))
    assert _login(client, "alice", PASSWORD) == 429
    # The first failure was 15 minutes ago now: one more guess is allowed, then locked again.
    clock(LOGIN_WINDOW - timedelta(minutes=LOGIN_FAILURES_PER_USERNAME))
    _fail(client, "alice", 1)
    assert _login(client, "alice", PASSWORD) == 429


def test_one_address_trying_many_usernames_is_stopped(client, passwords, clock):
    guesser = _from(client, "203.0.113.9")
    for n in range(LOGIN_FAILURES_PER_ADDRESS):
        assert _login(guesser, f"user{n}", WRONG) == 401
    assert _login(guesser, "sue", PASSWORD) == 429  # a real account, right password
    assert _login(client, "sue", PASSWORD) == 200  # from anywhere else: fine
    clock(LOGIN_WINDOW)
    assert _login(guesser, "sue", PASSWORD) == 200


def test_a_burst_of_parallel_guesses_gets_no_more_than_the_limit(client, passwords, clock):
    statuses: list[int] = []
    barrier = threading.Barrier(12)

    def guess() -> None:
        barrier.wait()
        statuses.append(_login(client, "alice", WRONG))

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [401] * LOGIN_FAILURES_PER_USERNAME + [429] * (
        12 - LOGIN_FAILURES_PER_USERNAME
    )


def test_refusals_are_logged_without_the_password(client, passwords, clock, caplog):
    """Nor the attempted username verbatim (a password typed into the username field), but
    a hint that tells one account's guesses from another's."""
    secret_guess = "hunter2-guess-XYZ"
    with caplog.at_level(logging.INFO, logger="bot.web.api_console"):
        for _ in range(LOGIN_FAILURES_PER_USERNAME):
            assert _login(client, "alice", secret_guess) == 401
        assert _login(client, "alice", PASSWORD) == 429
        assert _login(client, "Correct-Horse-Battery", secret_guess) == 401
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.web.api_console"]
    assert sum("wrong username or password" in line for line in lines) == 6
    hint = username_hint("alice")
    assert any("too many failed attempts" in line and hint in line for line in lines)
    assert all("testclient" in line for line in lines)  # the address, for the audit
    assert secret_guess not in caplog.text and PASSWORD not in caplog.text
    assert "alice" not in caplog.text and "correct-horse" not in caplog.text.lower()


def test_the_throttle_keeps_a_bounded_number_of_keys(client, clock):
    now = clock()
    throttle = LoginThrottle(max_keys=4)
    for n in range(10):
        assert throttle.admit(f"user{n}", "192.0.2.1", now) is None
    assert len(throttle._failures) == 4  # the oldest usernames were dropped


def test_an_agent_with_a_new_password_is_not_locked_out_forever(client, passwords, clock):
    """Locked, the supervisor resets the password: the lock still ends with the window."""
    _fail(client, "alice", LOGIN_FAILURES_PER_USERNAME)
    with transaction(client.app.state.sessions) as session:
        set_password(session, username="alice", password="a brand new password")
    assert _login(client, "alice", "a brand new password") == 429
    clock(LOGIN_WINDOW)
    assert _login(client, "alice", "a brand new password") == 200
