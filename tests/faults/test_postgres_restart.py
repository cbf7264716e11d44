"""PostgreSQL restarted under a running gateway (a private cluster stopped like a crash).

Guarantees:
- During the outage a customer's message is refused explicitly: 503 with Retry-After and
  a plain JSON reason, never a 500 or a traceback, and never acknowledged then lost.
- /healthz keeps answering and reports the database down.
- After the restart the same gateway process recovers by itself (its pool reconnects,
  also after a restart no request noticed, thanks to the pool's pre-ping):
  every acknowledged message is in the database exactly once, a refused message sent
  again is stored, and no ticket is duplicated.
"""

from __future__ import annotations

import httpx

from bot.handoff.queue import DatabaseQueue
from bot.web.app import create_app
from faults.records import TICKET_ID, gateway_settings, stored_inbound, ticket_count

BEFORE = "My parcel JD0098812 never arrived, I want a refund."
REFUSED = "Hello? The parcel JD0098812 is still missing."
NEW_CUSTOMER = "The kettle leaks, order A12345678."
AFTER = "Any news about my parcel?"
UNNOTICED = "I need the replacement kettle before Friday."


def test_postgres_restarted_under_a_running_gateway(tmp_path, private_postgres, serve_app):
    settings = gateway_settings(tmp_path / "var", private_postgres.url)
    app = create_app(settings)
    url = serve_app(app, settings.port)
    sessions = app.state.sessions

    with httpx.Client(base_url=url, timeout=30) as client:

        def send(sender: str, text: str) -> httpx.Response:
            return client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})

        def held(response: httpx.Response) -> str:
            assert response.status_code == 200, response.text
            (reply,) = response.json()
            (ticket,) = TICKET_ID.findall(reply["text"])
            return ticket

        first = held(send("pg-c1", BEFORE))

        private_postgres.stop("immediate")
        try:
            for sender, text in (("pg-c1", REFUSED), ("pg-c2", NEW_CUSTOMER)):
                refused = send(sender, text)
                assert refused.status_code == 503, refused.text
                assert int(refused.headers["Retry-After"]) > 0
                body = refused.json()
                assert "send it again" in body["detail"]
                assert "Traceback" not in refused.text and "psycopg" not in refused.text
            health = client.get("/healthz")
            assert health.status_code == 200
            assert health.json()["database"]["ok"] is False
        finally:
            private_postgres.start()

        # The same process, not restarted: its pool reconnects.
        assert held(send("pg-c1", AFTER)) == first
        second = held(send("pg-c2", NEW_CUSTOMER))  # the refused message, sent again
        assert client.get("/healthz").json()["database"]["ok"] is True

        # A restart between two requests: the pooled connections are dead although no
        # request saw an error; the pool checks them before use and reconnects.
        private_postgres.stop("immediate")
        private_postgres.start()
        assert held(send("pg-c2", UNNOTICED)) == second

    assert stored_inbound(sessions, "rest", "pg-c1") == [BEFORE, AFTER]
    assert stored_inbound(sessions, "rest", "pg-c2") == [NEW_CUSTOMER, UNNOTICED]
    assert ticket_count(sessions, "rest", "pg-c1") == 1
    assert ticket_count(sessions, "rest", "pg-c2") == 1
    assert [item.ticket_id for item in DatabaseQueue(sessions).items()] == [first, second]
