"""Two Rasa replicas behind the gateway, as docker-compose.yml runs them.

The replicas share a tracker store in PostgreSQL and Rasa's RedisLockStore
(endpoints.prod.yml); the gateway sends each turn to the next replica
(COMPLAINTBOT_RASA_BALANCE=turn). One conversation's turns alternate between the two, and
the conversation still comes out whole: every turn once, in order, and the right ticket.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from bot.config import Settings
from bot.conversations.keys import conversation_key
from bot.customers.forget import forget_in_tracker_store
from bot.model import ensure_model
from bot.paths import PROJECT_ROOT
from bot.stack import Stack, local_settings, rasa_ports, shared_stores_environment

pytestmark = [pytest.mark.stack, pytest.mark.postgres]

TURNS = [
    "你好",
    "我买的电饭煲用了三天就坏了，完全不能加热",
    "订单号 JD0098812",
    "我要退款",
    "13812345678",
    "/affirm",
]
TICKET_ID = re.compile(r"CP-\d{8}-\d{4,}")


@dataclass
class Replicated:
    settings: Settings
    base_url: str
    rasa_urls: list[str]
    tracker_store: str

    @property
    def headers(self) -> dict[str, str]:
        assert self.settings.api_token is not None
        return {"Authorization": f"Bearer {self.settings.api_token.get_secret_value()}"}

    @property
    def rasa_token(self) -> str:
        assert self.settings.rasa_token is not None
        return self.settings.rasa_token.get_secret_value()


@pytest.fixture
def replicated(tmp_path, postgres_url, redis_url) -> Iterator[Replicated]:
    """Actions, two Rasa replicas with shared stores, and the gateway balancing by turn."""
    settings = local_settings(tmp_path, rasa_replicas=2, rasa_balance="turn")
    stack = Stack(
        settings,
        ensure_model(PROJECT_ROOT),
        PROJECT_ROOT,
        rasa_ports=rasa_ports(settings),
        endpoints="endpoints.prod.yml",
        rasa_env=shared_stores_environment(postgres_url, redis_url),
    )
    stack.start(say=lambda _msg: None)
    try:
        yield Replicated(
            settings, f"http://127.0.0.1:{settings.port}", settings.rasa_urls, postgres_url
        )
    finally:
        stack.stop()


def replica_turns(client: httpx.Client) -> dict[str, int]:
    health = client.get("/healthz").json()
    assert health["rasa"]["ok"], health
    return dict(health["rasa"]["turns"])


def test_one_conversations_turns_alternate_between_replicas_and_the_ticket_is_right(
    replicated,
):
    sender = f"replicas-{uuid.uuid4().hex[:8]}"
    served: list[str] = []
    answers: list[list[dict]] = []
    with httpx.Client(base_url=replicated.base_url, timeout=60.0) as client:
        for text in TURNS:
            before = replica_turns(client)
            response = client.post(
                "/webhooks/rest/webhook", json={"sender": sender, "message": text}
            )
            assert response.status_code == 200, response.text
            answers.append(response.json())
            after = replica_turns(client)
            moved = [url for url in after if after[url] != before.get(url, 0)]
            assert len(moved) == 1, (before, after)  # exactly one replica took the turn
            assert after[moved[0]] == before[moved[0]] + 1
            served.append(moved[0])

        # The turns went back and forth between the two replicas.
        first, second = replicated.rasa_urls
        expected = [first, second] if served[0] == first else [second, first]
        assert served == (expected * len(TURNS))[: len(TURNS)]

        # ...and the conversation still came out right: the acknowledgement names one
        # ticket, which has what the customer said across both replicas.
        ack = " ".join(reply.get("text", "") for reply in answers[-1])
        ticket_ids = TICKET_ID.findall(ack)
        assert len(ticket_ids) == 1, ack
        listing = client.get(
            "/api/tickets", params={"sender_id": sender}, headers=replicated.headers
        ).json()
    assert listing["total"] == 1
    ticket = listing["items"][0]
    expected = {
        "id": ticket_ids[0],
        "category": "product_quality",
        "order_id": "JD0098812",
        "desired_resolution": "refund",
        "contact_phone": "13812345678",
        "language": "zh",
    }
    assert {field: ticket[field] for field in expected} == expected
    assert "电饭煲" in ticket["description"]
    assert all(answer for answer in answers)  # the bot answered every turn

    # Both replicas read the one tracker: each turn once, in the order it was sent.
    key = conversation_key("rest", sender)
    trackers = []
    for url in replicated.rasa_urls:
        response = httpx.get(
            f"{url}/conversations/{key}/tracker",
            params={"token": replicated.rasa_token},
            timeout=30.0,
        )
        assert response.status_code == 200, response.text
        trackers.append(response.json())
    said = [
        [event["text"] for event in tracker["events"] if event["event"] == "user"]
        for tracker in trackers
    ]
    assert said[0] == said[1] == TURNS
    bot_said = [
        [event.get("text") for event in tracker["events"] if event["event"] == "bot"]
        for tracker in trackers
    ]
    assert bot_said[0] == bot_said[1]
    assert len(bot_said[0]) == sum(len(answer) for answer in answers)

    # `complaintbot customer forget --tracker-store URL` erases it from the shared store.
    assert forget_in_tracker_store(replicated.tracker_store, [key]) == len(trackers[0]["events"])
    for url in replicated.rasa_urls:
        tracker = httpx.get(
            f"{url}/conversations/{key}/tracker",
            params={"token": replicated.rasa_token},
            timeout=30.0,
        ).json()
        assert not [event for event in tracker["events"] if event["event"] == "user"]
