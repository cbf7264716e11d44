"""Rate caps and the console's sign-in throttle shared by every gateway in Redis
(COMPLAINTBOT_REDIS_URL): atomic sliding windows, one allowance for N gateways, nothing
personal in key names, and a Redis outage that falls back to this process's counts instead
of failing anyone."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

import redis
from fastapi.testclient import TestClient

from bot.channels.shared_limits import RedisRateLimiter, key_name
from bot.stack import free_port
from bot.web.app import create_app
from bot.web.shared_throttle import RedisLoginThrottle, make_login_throttle


def _limiter(redis_url: str, prefix: str) -> RedisRateLimiter:
    return RedisRateLimiter(redis.Redis.from_url(redis_url, decode_responses=True), prefix=prefix)


def test_two_limiters_share_one_window(redis_url):
    prefix = f"test:limits:{uuid.uuid4().hex}"
    a, b = _limiter(redis_url, prefix), _limiter(redis_url, prefix)
    sender = ("send", "rest", "13812345678")
    check = [(sender, 3, "messages from this sender")]
    try:
        assert [a.hit(check), b.hit(check), a.hit(check)] == [None, None, None]
        refused = b.hit(check)
        assert refused is not None and refused.reason == "messages from this sender"
        assert 1 <= refused.retry_after <= 60
        assert a.hit(check) is not None  # a refusal records nothing: still three
        # Another key is counted on its own; a cap of 0 is no cap.
        assert a.hit([(("send", "rest", "other"), 3, "x"), (("ip", "1.2.3.4"), 0, "y")]) is None
        keys = a.client.keys(f"{prefix}:*")
        assert key_name(prefix, sender) in keys
        assert not any("13812345678" in key for key in keys)  # hashed, never the sender id
        assert a.client.zcard(key_name(prefix, sender)) == 3
    finally:
        for key in a.client.keys(f"{prefix}:*"):
            a.client.delete(key)
        a.close()
        b.close()


def test_every_check_must_fit_and_the_longest_wait_is_told(redis_url):
    prefix = f"test:limits:{uuid.uuid4().hex}"
    limiter = _limiter(redis_url, prefix)
    sender, address = ("send", "rest", "s1"), ("ip", "10.0.0.1")
    try:
        assert limiter.hit([(address, 1, "requests from your address")]) is None
        refused = limiter.hit([(sender, 5, "messages"), (address, 1, "requests from your address")])
        assert refused is not None and refused.reason == "requests from your address"
        assert limiter.client.zcard(key_name(prefix, sender)) == 0  # nothing recorded
    finally:
        for key in limiter.client.keys(f"{prefix}:*"):
            limiter.client.delete(key)
        limiter.close()


def test_redis_down_falls_back_to_this_process(caplog):
    limiter = _limiter(f"redis://127.0.0.1:{free_port()}/0", "test:limits:down")
    check = [(("send", "rest", "s1"), 1, "messages from this sender")]
    assert limiter.hit(check) is None
    refused = limiter.hit(check)
    assert refused is not None and refused.retry_after >= 1
    assert "counting in this process" in caplog.text


def test_two_gateways_share_the_cap(ops_settings, stand_in_rasa, redis_url, postgres_url):
    stand_in_rasa.start()
    sender = f"shared-{uuid.uuid4().hex[:8]}"
    settings = ops_settings(redis_url=redis_url, database_url=postgres_url, rate_limit_per_sender=2)
    with (
        TestClient(create_app(settings)) as gateway_a,
        TestClient(create_app(settings)) as gateway_b,
    ):

        def send(gateway: TestClient) -> int:
            body = {"sender": sender, "message": "hello"}
            return gateway.post("/webhooks/rest/webhook", json=body).status_code

        assert [send(gateway_a), send(gateway_b)] == [200, 200]
        assert [send(gateway_a), send(gateway_b)] == [429, 429]


def test_sign_in_failures_are_counted_once_for_two_gateways(ops_settings, redis_url):
    username = f"guesser-{uuid.uuid4().hex[:8]}"
    # An address of this run's own: the gateways keep their counts under the default key
    # names, and the per-address count of a shared "testclient" would grow run after run
    # (make flake-hunt: 429 from the fifth repetition on). Its keys are deleted afterwards.
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
    settings = ops_settings(redis_url=redis_url)
    with (
        TestClient(create_app(settings), client=(address, 50000)) as gateway_a,
        TestClient(create_app(settings), client=(address, 50001)) as gateway_b,
    ):
        throttle = gateway_a.app.state.login_throttle
        assert isinstance(throttle, RedisLoginThrottle)
        try:
            _guess_until_refused(gateway_a, gateway_b, username)
        finally:
            throttle.client.delete(*throttle._redis_keys(username, address))


def _guess_until_refused(gateway_a: TestClient, gateway_b: TestClient, username: str) -> None:
    def sign_in(gateway: TestClient) -> int:
        body = {"username": username, "password": "not the password"}
        return gateway.post("/api/console/login", json=body).status_code

    failures = [sign_in(gateway) for gateway in [gateway_a, gateway_b] * 3][:5]
    assert failures == [401] * 5  # LOGIN_FAILURES_PER_USERNAME, spread over both
    refused = gateway_a.post("/api/console/login", json={"username": username, "password": "x"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert sign_in(gateway_b) == 429


def test_sign_in_throttle_success_clears_and_redis_down_falls_back(redis_url):
    prefix = f"test:login:{uuid.uuid4().hex}"
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    throttle = RedisLoginThrottle(client, prefix=prefix)
    throttle.limits = {"username": 2, "address": 10}
    now = datetime.now(UTC)
    try:
        assert throttle.admit("Ann", "10.0.0.1", now) is None
        assert throttle.admit("ann", "10.0.0.1", now + timedelta(seconds=1)) is None
        assert throttle.admit("ann", "10.0.0.1", now + timedelta(seconds=2)) is not None
        assert throttle.admit("bob", "10.0.0.1", now + timedelta(seconds=2)) is None
        throttle.succeeded("bob", "10.0.0.1", now + timedelta(seconds=2))
        keys = client.keys(f"{prefix}:*")
        assert keys and not any("ann" in key or "10.0.0.1" in key for key in keys)
    finally:
        for key in client.keys(f"{prefix}:*"):
            client.delete(key)
        throttle.close()
    # Through the gateway's own factory: its client gives up at once on a refused connection
    # (a bare redis.Redis() retries with backoff for seconds before the fallback is reached).
    down = make_login_throttle(f"redis://127.0.0.1:{free_port()}/0")
    assert isinstance(down, RedisLoginThrottle)
    down.prefix = prefix
    down.limits = {"username": 1, "address": 10}
    assert down.admit("ann", "10.0.0.2", now) is None
    assert down.admit("ann", "10.0.0.2", now) is not None  # counted in this process
