"""Values the database cannot hold (an id past its integer range, NUL in PostgreSQL text)
get a clear 422, never a 500, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

UNSTORABLE = "a value in the request cannot be used"


@pytest.mark.parametrize("number", [2**63, 2**70])
def test_an_id_past_any_integer_column_is_422(client, tokens, number):
    for response in (
        client.get(f"/api/improvements/{number}", headers=tokens["service"]),
        client.post(f"/api/alerts/{number}/ack", headers=tokens["service"]),
    ):
        assert response.status_code == 422, response.text
        assert UNSTORABLE in response.json()["detail"]


def test_an_id_past_a_32_bit_column_is_not_found_or_422(client, tokens):
    # SQLite integers are 64-bit (no such row); PostgreSQL's "integer" column refuses it.
    response = client.post(f"/api/alerts/{2**31}/ack", headers=tokens["service"])
    assert response.status_code == (404 if client.app.state.settings.is_sqlite else 422)


def test_nul_in_a_sender_id_is_refused_clearly_on_postgresql_and_kept_on_sqlite(client):
    response = client.post("/webhooks/rest/webhook", json={"sender": "a\x00b", "message": "hi"})
    if client.app.state.settings.is_sqlite:
        assert response.status_code == 200
    else:  # PostgreSQL text cannot hold NUL: the client is told, nothing half-stored
        assert response.status_code == 422
        assert UNSTORABLE in response.json()["detail"]
    assert (
        client.post("/webhooks/rest/webhook", json={"sender": "ab", "message": "hi"}).status_code
        == 200
    )
