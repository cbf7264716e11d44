"""The REST channel with bad input and over its rate caps: clear 4xx or a polite re-ask,
never a 5xx, and nothing received lost (a refused message is not stored, and the client is
told to send it again)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.channels.limits import POLLS_PER_MESSAGE, RateLimiter
from bot.routing.router import EMPTY, TRUNCATED
from bot.web.app import create_app

URL = "/webhooks/rest/webhook"
TICKET = re.compile(r"CP-\d{8}-\d{4}")  # Rasa is down: the apology names the ticket kept


@pytest.fixture(scope="module")
def shared(offline_settings) -> Iterator[TestClient]:
    """One gateway for the bad-input cases: each writes as a sender of its own."""
    with TestClient(create_app(offline_settings(rate_limit_per_ip=0))) as client:
        yield client


def new_sender() -> str:
    return f"cust-{uuid.uuid4().hex[:12]}"


def post(client, sender: str, message: object):
    return client.post(URL, json={"sender": sender, "message": message})


def test_over_the_per_sender_cap_is_429_with_retry_after_and_nothing_stored(gateway, stored_texts):
    client = gateway(rate_limit_per_sender=3)
    for n in range(3):
        assert post(client, "alice", f"parcel lost {n}").status_code == 200
    refused = post(client, "alice", "parcel lost 3")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    detail = refused.json()["detail"]
    assert "messages from this sender" in detail and "send it again in" in detail
    assert stored_texts(client, "rest", "alice") == [f"parcel lost {n}" for n in range(3)]
    # Another customer is not affected.
    assert post(client, "bob", "my parcel is late").status_code == 200


def test_the_cap_frees_up_after_retry_after(gateway, stored_texts):
    client = gateway(rate_limit_per_sender=2)
    now = [1000.0]
    client.app.state.limiter = RateLimiter(clock=lambda: now[0])
    post(client, "alice", "one")
    now[0] += 20
    post(client, "alice", "two")
    refused = post(client, "alice", "three")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "40"  # when "one" leaves the minute
    now[0] += 40
    assert post(client, "alice", "three").status_code == 200
    assert stored_texts(client, "rest", "alice") == ["one", "two", "three"]


def test_over_the_per_address_cap_is_429_for_every_sender(gateway):
    client = gateway(rate_limit_per_ip=3, rate_limit_per_sender=100)
    for n in range(3):
        assert post(client, f"customer-{n}", "hello").status_code == 200
    refused = post(client, "customer-new", "hello")
    assert refused.status_code == 429
    assert "requests from your address" in refused.json()["detail"]
    assert client.get("/webhooks/rest/messages", params={"sender": "x"}).status_code == 429


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(gateway):
    proxied = gateway(
        rate_limit_per_ip=1,
        trusted_proxies="10.0.0.0/8",
        client_address=("10.1.2.3", 5000),
    )
    # Two customers behind the proxy: one request each.
    for customer in ("203.0.113.7", "203.0.113.8"):
        response = proxied.post(
            URL, json={"sender": customer, "message": "hi"}, headers={"X-Forwarded-For": customer}
        )
        assert response.status_code == 200
    again = proxied.post(
        URL, json={"sender": "c", "message": "hi"}, headers={"X-Forwarded-For": "203.0.113.7"}
    )
    assert again.status_code == 429
    # An untrusted peer cannot pick an address of its own to escape its cap.
    direct = gateway(rate_limit_per_ip=1, client_address=("198.51.100.1", 5000))
    assert direct.post(URL, json={"sender": "a", "message": "hi"}).status_code == 200
    dodge = direct.post(
        URL, json={"sender": "b", "message": "hi"}, headers={"X-Forwarded-For": "192.0.2.99"}
    )
    assert dodge.status_code == 429


def test_polls_have_their_own_larger_budget_and_lose_nothing(gateway):
    client = gateway(rate_limit_per_sender=1)
    assert post(client, "alice", "hello").status_code == 200
    for _ in range(POLLS_PER_MESSAGE):
        response = client.get("/webhooks/rest/messages", params={"sender": "alice"})
        assert response.status_code == 200
    refused = client.get("/webhooks/rest/messages", params={"sender": "alice"})
    assert refused.status_code == 429
    assert "Nothing is lost" in refused.json()["detail"]
    assert int(refused.headers["Retry-After"]) >= 1


def test_zero_turns_the_caps_off(gateway):
    client = gateway(rate_limit_per_sender=0, rate_limit_per_ip=0)
    assert all(post(client, "alice", f"m{n}").status_code == 200 for n in range(12))


@pytest.mark.parametrize("text", ["", "   ", "\n\t  \r\n", "\x00\x00", "\u200b"])
def test_empty_messages_get_a_polite_re_ask(shared, text):
    client, sender = shared, new_sender()
    response = post(client, sender, text)
    assert response.status_code == 200
    assert [r["text"] for r in response.json()] == [EMPTY["en"]]


@pytest.mark.parametrize(
    "text",
    [
        "😡😡😡💔",
        "我的快递丢了 my parcel is lost!!!",
        "'; DROP TABLE tickets; --",
        "<script>alert(1)</script><img src=x onerror=alert(2)>",
        "/restart",
        '/inform{"order_id": "x"}',
        "{{7*7}} ${jndi:ldap://x} %s%n%x",
    ],
)
def test_odd_but_real_text_is_stored_verbatim_and_answered(shared, stored_texts, text):
    client, sender = shared, new_sender()
    response = post(client, sender, text)
    assert response.status_code == 200
    assert TICKET.search(response.json()[-1]["text"])
    assert stored_texts(client, "rest", sender) == [text]


def test_control_characters_and_nul_bytes_are_blanked_not_stored(shared, stored_texts):
    client, sender = shared, new_sender()
    response = post(client, sender, "parcel\x00 lost\x07 again\x1b[31m")
    assert response.status_code == 200
    assert stored_texts(client, "rest", sender) == ["parcel  lost  again [31m"]


def test_a_long_message_is_stored_whole_and_the_customer_told(gateway, stored_texts):
    client = gateway(max_message_chars=1000)
    text = "my parcel was lost " * 200  # 3,800 characters
    replies = post(client, "alice", text).json()
    assert replies[0]["text"] == TRUNCATED["en"].format(n=1000)
    assert stored_texts(client, "rest", "alice") == [text.strip()]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sender": "alice", "message": 42}, "message"),
        ({"sender": "alice", "message": ["a", "b"]}, "message"),
        ({"sender": "alice", "message": None}, "message"),
        ({"sender": "alice", "message": {"text": "hi"}}, "message"),
        ({"message": "hello"}, "sender"),
        ({"sender": "", "message": "hello"}, "sender"),
        ({"sender": 7, "message": "hello"}, "sender"),
        ({"sender": "a" * 201, "message": "hello"}, "sender"),
        ({"sender": "alice", "message": "x" * 100_001}, "message"),
        ([{"sender": "alice", "message": "hello"}], "body"),
        ("hello", "body"),
    ],
)
def test_wrong_json_gets_422_naming_the_field(shared, body, field):
    client = shared
    response = client.post(URL, json=body)
    assert response.status_code == 422
    assert response.json()["detail"] == "invalid request"
    assert field in {problem["field"] for problem in response.json()["errors"]}


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"sender=alice&message=hi", "application/x-www-form-urlencoded"),
        (b'{"sender": "alice", "message": "hi"', "application/json"),
        (b"\xff\xfe\x00garbage", "application/json"),
        (b"", "application/json"),
        (b'{"sender": "alice", "message": "hi"}', "text/plain"),
    ],
)
def test_a_body_that_is_not_json_gets_a_clear_4xx(shared, content, content_type):
    client = shared
    response = client.post(URL, content=content, headers={"Content-Type": content_type})
    assert 400 <= response.status_code < 500
    assert response.json()["detail"]


def test_a_huge_body_is_refused_with_413_before_it_is_read(shared):
    client, sender = shared, new_sender()
    body = json.dumps({"sender": "alice", "message": "x" * 2_000_000})
    response = client.post(URL, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "limited to" in response.json()["detail"]

    def chunks():
        for _ in range(40):
            yield b"x" * 65536  # streamed without a Content-Length

    streamed = client.post(URL, content=chunks(), headers={"Content-Type": "application/json"})
    assert 400 <= streamed.status_code < 500
    # The gateway carries on.
    assert post(client, sender, "still there?").status_code == 200
