"""Rate caps shared by every gateway in Redis (COMPLAINTBOT_REDIS_URL): atomic sliding
windows, one cap for N gateways, nothing personal in key names, and a Redis outage that
falls back to this process's counts instead of failing the customer."""

from __future__ import annotations

import uuid

import redis
from fastapi.testclient import TestClient

from bot.channels.shared_limits import RedisRateLimiter, key_name
from bot.stack import free_port
from bot.web.app import create_app


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
