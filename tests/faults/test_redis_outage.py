"""Redis killed and restarted under a running gateway (private redis-server, no persistence).

Guarantees:
- While Redis is down customers are still served: every message is stored, answered
  politely (200, never a 5xx), and its ticket is queued on the database.
- Agents keep working from the database queue during the outage.
- When Redis is back (empty), the gateway rebuilds the queue from the database by itself:
  the same items in the same order; agents claim from it and no ticket is claimed twice.
- No ticket is duplicated: a customer writing again lands on their open ticket.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import redis
from sqlalchemy import func, select

from bot.handoff.models import QueueClaim
from bot.handoff.queue import DEFAULT_REDIS_PREFIX, DatabaseQueue, RedisKeys
from bot.web.app import create_app
from faults.records import TICKET_ID, gateway_settings, stored_inbound, ticket_count
from faults.servers import wait_until

KEYS = RedisKeys(DEFAULT_REDIS_PREFIX)

FIRST = "My parcel JD0098812 never arrived, I want a refund."
SECOND = "The kettle leaks, order A12345678."
DURING = "The heater caught fire! I will report you to 12315."
AGAIN = "Still nothing about my parcel, please hurry."


def test_redis_killed_and_restarted_under_a_running_gateway(
    tmp_path, private_redis, serve_app, add_agent
):
    settings = gateway_settings(
        tmp_path / "var", f"sqlite:///{tmp_path / 'gateway.db'}", redis_url=private_redis.url
    )
    app = create_app(settings)
    url = serve_app(app, settings.port)
    sessions = app.state.sessions
    alice, bob, carol = (add_agent(sessions, name) for name in ("alice", "bob", "carol"))
    mirror = redis.Redis.from_url(private_redis.url, decode_responses=True)

    with httpx.Client(base_url=url, timeout=30) as client:

        def say(sender: str, text: str) -> str:
            """The one reply's ticket id; the reply must be the polite hold, never an error."""
            response = client.post(
                "/webhooks/rest/webhook", json={"sender": sender, "message": text}
            )
            assert response.status_code == 200, response.text
            (reply,) = response.json()
            assert "saved" in reply["text"] and "specialist" in reply["text"]
            (ticket,) = TICKET_ID.findall(reply["text"])
            return ticket

        def queue_ids(headers: dict[str, str]) -> list[str]:
            response = client.get("/api/queue", headers=headers)
            assert response.status_code == 200, response.text
            return [row["ticket_id"] for row in response.json()["items"]]

        first = say("redis-c1", FIRST)
        second = say("redis-c2", SECOND)
        assert mirror.zrange(KEYS.queue, 0, -1) == [first, second]

        private_redis.kill()
        during = say("redis-c3", DURING)  # major: a regulator threat
        assert say("redis-c1", AGAIN) == first  # the open ticket, not a new one
        order = [during, first, second]
        assert [item.ticket_id for item in DatabaseQueue(sessions).items()] == order
        assert queue_ids(alice) == order  # served from the database
        queue_health = client.get("/healthz").json()["queue"]
        assert queue_health["ok"] is False and queue_health["fallback"] == "database"
        taken = client.post("/api/queue/claim", headers=alice)
        assert taken.status_code == 200, taken.text
        assert taken.json()["ticket"]["id"] == during

        private_redis.start()  # same port, nothing in memory
        mirror = redis.Redis.from_url(private_redis.url, decode_responses=True)
        assert mirror.zcard(KEYS.queue) == 0
        # The gateway rebuilds on its own once it tries Redis again (not restarted).
        wait_until(
            lambda: queue_ids(alice) and mirror.exists(KEYS.built),
            timeout=20,
            what="the gateway to rebuild the Redis queue",
        )
        assert mirror.zrange(KEYS.queue, 0, -1) == [first, second]
        assert [item.ticket_id for item in DatabaseQueue(sessions).items()] == [first, second]
        for item in DatabaseQueue(sessions).items():
            assert json.loads(mirror.hget(KEYS.items, item.ticket_id)) == json.loads(item.to_json())
        assert client.get("/healthz").json()["queue"] == {
            "ok": True,
            "backend": "redis",
            "length": 2,
        }

        def claim(headers: dict[str, str]) -> httpx.Response:
            with httpx.Client(base_url=url, timeout=30) as own:
                return own.post("/api/queue/claim", headers=headers)

        with ThreadPoolExecutor(2) as pool:
            claims = list(pool.map(claim, [bob, carol]))
        assert [c.status_code for c in claims] == [200, 200], [c.text for c in claims]
        assert sorted(c.json()["ticket"]["id"] for c in claims) == sorted([first, second])
        assert client.post("/api/queue/claim", headers=alice).status_code == 404
        assert mirror.zcard(KEYS.queue) == 0

    with sessions() as session:
        claimed = dict(
            session.execute(
                select(QueueClaim.ticket_id, func.count()).group_by(QueueClaim.ticket_id)
            ).all()
        )
    assert claimed == {during: 1, first: 1, second: 1}
    assert stored_inbound(sessions, "rest", "redis-c1") == [FIRST, AGAIN]
    assert stored_inbound(sessions, "rest", "redis-c2") == [SECOND]
    assert stored_inbound(sessions, "rest", "redis-c3") == [DURING]
    for sender in ("redis-c1", "redis-c2", "redis-c3"):
        assert ticket_count(sessions, "rest", sender) == 1
