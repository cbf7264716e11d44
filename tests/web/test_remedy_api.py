"""Remedies and validity through the console API on a real database (SQLite and PostgreSQL):
grants within authority, requests above it approved or declined by a supervisor, role
rules, the audit trail and bad input."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import yaml
from fastapi.testclient import TestClient
from web.conftest import NOW

from bot.agents.service import create_agent
from bot.config import load_settings
from bot.db import transaction
from bot.paths import DEFAULT_REMEDY_POLICY
from bot.tickets.models import RemedyRequest, Ticket
from bot.tickets.remedy_policy import RemedyPolicyError, parse_policy
from bot.web.app import create_app

LATER = "2026-11-22T10:30:00Z"  # the app's clock: NOW + 1 h


@pytest.fixture
def worked(db, make_ticket):
    """A ticket in progress, assigned to `agent`."""

    def make(agent: str = "alice", sender: str = "cust-1", **fields: object) -> str:
        ticket_id = make_ticket(sender, **fields)
        with transaction(db) as session:
            ticket = session.get(Ticket, ticket_id)
            ticket.assigned_agent, ticket.status = agent, "in_progress"
        return ticket_id

    return make


def _remedy(client: TestClient, headers, ticket_id: str, **body: object):
    return client.post(f"/api/tickets/{ticket_id}/remedy", headers=headers, json=body)


def _at_once(*calls: Callable[[], int]) -> list[int]:
    """Runs the calls in threads released together; their results, sorted."""
    results: list[int] = []
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], int]) -> None:
        barrier.wait()
        results.append(call())

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(results)


def _events(client: TestClient, tokens, ticket_id: str) -> list[dict]:
    answer = client.get(f"/api/tickets/{ticket_id}", headers=tokens["service"])
    return answer.json()["events"]


def test_the_form_knows_the_callers_own_authority(client, tokens):
    def rules(who: str) -> dict[str, object]:
        policy = client.get("/api/remedy-policy", headers=tokens[who]).json()
        assert policy["currencies"] == ["CNY", "HKD", "USD", "EUR"]
        return {t["type"]: (t["amount"], t["your_rule"]) for t in policy["types"]}

    alice = rules("alice")
    assert alice["refund"] == ("required", {"CNY": 200.0, "HKD": 220.0, "USD": 30.0, "EUR": 25.0})
    assert alice["apology"] == ("none", "unlimited")
    assert alice["replacement"] == ("optional", "unlimited")
    assert rules("sue")["refund"][1]["CNY"] == 2000.0
    assert rules("adam")["refund"][1] == "unlimited"


def test_a_broken_policy_file_stops_the_gateway_with_a_clear_message(tmp_path, sqlite_url):
    broken = tmp_path / "remedy.yml"
    broken.write_text("currencies: [CNY]\nmax_amount: 100\ntypes: {refund: {amount: required}}\n"
                      "roles: {agent: {refund: {USD: 10}}}\n", encoding="utf-8")  # fmt: skip
    settings = load_settings(_env_file=None, var_dir=tmp_path / "var", database_url=sqlite_url,
                             remedy_policy=broken)  # fmt: skip
    app = create_app(settings)
    with (
        pytest.raises(RemedyPolicyError, match="currency 'USD' is not in currencies"),
        TestClient(app),
    ):
        pass


def test_within_the_limit_the_agent_grants_on_the_spot(client, tokens, worked):
    ticket_id = worked("alice")
    answer = _remedy(client, tokens["alice"], ticket_id, type="refund", amount="150.5",
                     currency="cny", note="parcel lost, refund of the shipping")  # fmt: skip
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["outcome"], body["request"]) == ("granted", None)
    assert body["why"] == "the agent limit for a refund is 200.00 CNY"
    expected = {
        "type": "refund",
        "amount": 150.5,
        "currency": "CNY",
        "granted_by": "alice",
        "approved_by": None,
        "granted_at": LATER,
    }
    assert body["ticket"]["remedy"] == expected
    # Stored, not just answered: the ticket API shows it to everyone.
    stored = client.get(f"/api/tickets/{ticket_id}", headers=tokens["service"]).json()
    assert stored["remedy"] == expected
    last = stored["events"][-1]
    assert (last["who"], last["what"], last["at"]) == ("agent:alice", "remedy_granted", LATER)
    assert last["data"] == {
        "type": "refund",
        "amount": 150.5,
        "currency": "CNY",
        "note": "parcel lost, refund of the shipping",
        "why": "the agent limit for a refund is 200.00 CNY",
    }
    # One remedy per ticket: a second one, even within the limit, is refused.
    again = _remedy(client, tokens["alice"], ticket_id, type="refund", amount=10, currency="CNY")
    assert again.status_code == 409 and "already granted" in again.json()["detail"]
    # Apologies and explanations carry no amount and need nobody's approval.
    other = worked("alice", "cust-2")
    apology = _remedy(client, tokens["alice"], other, type="apology")
    assert apology.status_code == 200
    assert apology.json()["ticket"]["remedy"]["amount"] is None


def test_above_the_limit_a_supervisor_approves_in_one_click(client, tokens, worked):
    ticket_id = worked("alice")
    asked = _remedy(client, tokens["alice"], ticket_id, type="refund", amount=500,
                    currency="CNY", note="kettle was faulty, full price")  # fmt: skip
    assert asked.status_code == 202, asked.text
    body = asked.json()
    assert body["outcome"] == "pending" and body["ticket"]["remedy"] is None
    request = body["request"]
    request_id = request["id"]
    assert {k: request[k] for k in ("ticket_id", "type", "amount", "currency", "status",
                                    "requested_by", "requested_at")} == {
        "ticket_id": ticket_id, "type": "refund", "amount": 500.0, "currency": "CNY",
        "status": "pending", "requested_by": "alice", "requested_at": LATER,
    }  # fmt: skip
    assert request["why"] == "the agent limit for a refund is 200.00 CNY"
    assert request["can_decide"] is False  # not her own
    requested = _events(client, tokens, ticket_id)[-1]
    assert requested["what"] == "remedy_requested"
    assert requested["data"]["request_id"] == request_id and requested["data"]["amount"] == 500

    # While it waits, nothing else can be granted on the ticket.
    blocked = _remedy(client, tokens["alice"], ticket_id, type="apology")
    assert blocked.status_code == 409 and "waiting for approval" in blocked.json()["detail"]

    pending = client.get("/api/remedy-requests", headers=tokens["sue"]).json()["items"]
    assert [(r["id"], r["can_decide"]) for r in pending] == [(request_id, True)]
    assert pending[0]["ticket"]["id"] == ticket_id
    # Agents see only their own requests.
    mine = client.get("/api/remedy-requests", headers=tokens["alice"]).json()["items"]
    assert [r["id"] for r in mine] == [request_id]
    assert mine[0]["cannot_decide_why"] == "only supervisors and admins decide remedy requests"
    assert client.get("/api/remedy-requests", headers=tokens["bob"]).json()["items"] == []

    url = f"/api/remedy-requests/{request_id}/approve"
    assert client.post(url, headers=tokens["alice"]).status_code == 403
    assert client.post(url, headers=tokens["bob"]).status_code == 403
    approved = client.post(url, headers=tokens["sue"])
    assert approved.status_code == 200, approved.text
    decided = approved.json()
    assert decided["request"]["status"] == "approved"
    assert decided["request"]["decided_by"] == "sue"
    remedy = {
        "type": "refund",
        "amount": 500.0,
        "currency": "CNY",
        "granted_by": "alice",
        "approved_by": "sue",
        "granted_at": LATER,
    }
    assert decided["ticket"]["remedy"] == remedy
    assert client.get(f"/api/tickets/{ticket_id}", headers=tokens["alice"]).json()["remedy"] == (
        remedy
    )
    last = _events(client, tokens, ticket_id)[-1]
    assert (last["who"], last["what"]) == ("agent:sue", "remedy_approved")
    assert last["data"]["requested_by"] == "alice" and last["data"]["request_id"] == request_id

    again = client.post(url, headers=tokens["sue"])
    assert again.status_code == 409 and "already approved by sue" in again.json()["detail"]
    assert client.get("/api/remedy-requests", headers=tokens["sue"]).json()["items"] == []
    done = client.get("/api/remedy-requests?status=approved", headers=tokens["sue"]).json()
    assert [r["id"] for r in done["items"]] == [request_id]


def test_a_declined_request_keeps_its_reason_and_frees_the_ticket(client, tokens, worked):
    ticket_id = worked("alice")
    asked = _remedy(client, tokens["alice"], ticket_id, type="compensation", amount="300",
                    currency="CNY")  # fmt: skip
    request_id = asked.json()["request"]["id"]
    url = f"/api/remedy-requests/{request_id}/decline"
    assert client.post(url, headers=tokens["sue"], json={}).status_code == 422
    assert client.post(url, headers=tokens["sue"], json={"reason": "   "}).status_code == 422
    assert client.post(url, headers=tokens["bob"], json={"reason": "no"}).status_code == 403
    declined = client.post(url, headers=tokens["sue"],
                           json={"reason": "the delay was the courier's; offer 100 CNY"})  # fmt: skip
    assert declined.status_code == 200, declined.text
    body = declined.json()
    assert body["request"]["status"] == "declined"
    assert body["request"]["reason"] == "the delay was the courier's; offer 100 CNY"
    assert body["ticket"]["remedy"] is None
    last = _events(client, tokens, ticket_id)[-1]
    assert (last["who"], last["what"]) == ("agent:sue", "remedy_declined")
    assert last["data"]["reason"] == "the delay was the courier's; offer 100 CNY"
    # Decided: neither approve nor decline again.
    approve = client.post(f"/api/remedy-requests/{request_id}/approve", headers=tokens["sue"])
    assert approve.status_code == 409
    # The agent can now grant what is within her authority.
    within = _remedy(client, tokens["alice"], ticket_id, type="compensation", amount=100,
                     currency="CNY")  # fmt: skip
    assert within.status_code == 200 and within.json()["outcome"] == "granted"


def test_supervisors_approve_only_within_their_own_authority_and_never_their_own(
    client, tokens, worked, db
):
    with transaction(db) as session:
        _agent, token = create_agent(session, username="sam", role="supervisor", now=NOW)
    sam = {"Authorization": f"Bearer {token}"}
    # A supervisor grants up to 2,000 CNY on any ticket, assigned to them or not.
    small = worked("alice", "cust-s")
    granted = _remedy(client, tokens["sue"], small, type="refund", amount=1500, currency="CNY")
    assert granted.status_code == 200
    assert granted.json()["ticket"]["remedy"]["granted_by"] == "sue"

    ticket_id = worked("alice", "cust-big")
    asked = _remedy(client, tokens["sue"], ticket_id, type="refund", amount=5000, currency="CNY")
    assert asked.status_code == 202
    request_id = asked.json()["request"]["id"]
    url = f"/api/remedy-requests/{request_id}/approve"
    own = client.post(url, headers=tokens["sue"])
    assert own.status_code == 403 and "their own request" in own.json()["detail"]
    listed = client.get("/api/remedy-requests", headers=sam).json()["items"]
    assert listed[0]["can_decide"] is False
    assert "above what a supervisor may approve" in listed[0]["cannot_decide_why"]
    assert client.post(url, headers=sam).status_code == 403
    approved = client.post(url, headers=tokens["adam"], json={"note": "goodwill, VIP customer"})
    assert approved.status_code == 200
    remedy = approved.json()["ticket"]["remedy"]
    assert (remedy["granted_by"], remedy["approved_by"]) == ("sue", "adam")
    assert approved.json()["request"]["reason"] == "goodwill, VIP customer"


def test_an_admin_may_approve_their_own_request(client, tokens, worked):
    # A policy where even admins need approval for refunds above 10,000 CNY.
    raw = yaml.safe_load(DEFAULT_REMEDY_POLICY.read_text(encoding="utf-8"))
    raw["roles"]["admin"]["refund"] = {"CNY": 10000}
    client.app.state.remedy_policy = parse_policy(raw, "test policy")
    ticket_id = worked("alice")
    asked = _remedy(client, tokens["adam"], ticket_id, type="refund", amount=20000, currency="CNY")
    assert asked.status_code == 202
    url = f"/api/remedy-requests/{asked.json()['request']['id']}/approve"
    assert client.post(url, headers=tokens["sue"]).status_code == 403  # above her authority
    approved = client.post(url, headers=tokens["adam"])
    assert approved.status_code == 403  # and above his own: 10,000 CNY
    raw["roles"]["admin"]["refund"] = "unlimited"
    client.app.state.remedy_policy = parse_policy(raw, "test policy")
    approved = client.post(url, headers=tokens["adam"])
    assert approved.status_code == 200
    remedy = approved.json()["ticket"]["remedy"]
    assert (remedy["granted_by"], remedy["approved_by"]) == ("adam", "adam")


def test_two_supervisors_approving_at_once_decide_it_once(client, tokens, worked, db):
    with transaction(db) as session:
        _agent, token = create_agent(session, username="sam", role="supervisor", now=NOW)
    sam = {"Authorization": f"Bearer {token}"}
    ticket_id = worked("alice")
    asked = _remedy(client, tokens["alice"], ticket_id, type="refund", amount=800, currency="CNY")
    url = f"/api/remedy-requests/{asked.json()['request']['id']}/approve"

    def approve(headers: dict[str, str]) -> int:
        return client.post(url, headers=headers).status_code

    assert _at_once(lambda: approve(tokens["sue"]), lambda: approve(sam)) == [200, 409]
    events = [e["what"] for e in _events(client, tokens, ticket_id)]
    assert events.count("remedy_approved") == 1


def test_two_grants_at_once_leave_one_remedy(client, tokens, worked):
    ticket_id = worked("alice")

    def grant(amount: int) -> int:
        return _remedy(client, tokens["alice"], ticket_id, type="refund", amount=amount,
                       currency="CNY").status_code  # fmt: skip

    assert _at_once(lambda: grant(50), lambda: grant(60)) == [200, 409]
    events = [e["what"] for e in _events(client, tokens, ticket_id)]
    assert events.count("remedy_granted") == 1


def test_agents_remedy_and_judge_only_their_own_tickets(client, tokens, worked, make_ticket):
    alices = worked("alice")
    unassigned = make_ticket("cust-free")
    for ticket_id, who in ((alices, "bob"), (unassigned, "alice")):
        answer = _remedy(client, tokens[who], ticket_id, type="apology")
        assert answer.status_code == 403, answer.text
        assert "not assigned to you" in answer.json()["detail"]
        validity = client.post(f"/api/tickets/{ticket_id}/validity", headers=tokens[who],
                               json={"validity": "invalid", "reason": "x"})  # fmt: skip
        assert validity.status_code == 403
    # The service token has no person behind it: the console API does not take it.
    assert _remedy(client, tokens["service"], alices, type="apology").status_code == 401
    assert client.get("/api/remedy-requests", headers=tokens["service"]).status_code == 401
    # A supervisor may judge any ticket.
    judged = client.post(f"/api/tickets/{unassigned}/validity", headers=tokens["sue"],
                         json={"validity": "valid", "reason": "order confirmed"})  # fmt: skip
    assert judged.status_code == 200 and judged.json()["validity"] == "valid"


def test_validity_needs_a_reason_and_is_audited(client, tokens, worked):
    ticket_id = worked("alice")
    url = f"/api/tickets/{ticket_id}/validity"
    alice = tokens["alice"]
    for body in (
        {"validity": "valid"},
        {"validity": "valid", "reason": ""},
        {"validity": "valid", "reason": "   "},
        {"validity": "maybe", "reason": "unsure"},
        {"reason": "no value"},
        {"validity": "valid", "reason": "x" * 4001},
        {"validity": "valid", "reason": "ok", "extra": 1},
    ):
        answer = client.post(url, headers=alice, json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["detail"]
    marked = client.post(url, headers=alice, json={"validity": "malicious",
                         "reason": "same photo used in 5 claims on other accounts"})  # fmt: skip
    assert marked.status_code == 200 and marked.json()["validity"] == "malicious"
    last = marked.json()["events"][-1]
    assert (last["who"], last["what"]) == ("agent:alice", "field_changed")
    assert last["data"] == {
        "field": "validity",
        "before": None,
        "after": "malicious",
        "reason": "same photo used in 5 claims on other accounts",
    }
    remarked = client.post(url, headers=alice,
                           json={"validity": "valid", "reason": "the photo was our own listing"})  # fmt: skip
    assert remarked.json()["events"][-1]["data"]["before"] == "malicious"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"type": "voucher", "amount": 10, "currency": "CNY"},
        {"type": "refund"},
        {"type": "refund", "amount": 10},
        {"type": "refund", "amount": "abc", "currency": "CNY"},
        {"type": "refund", "amount": -1, "currency": "CNY"},
        {"type": "refund", "amount": 0, "currency": "CNY"},
        {"type": "refund", "amount": 10.001, "currency": "CNY"},
        {"type": "refund", "amount": "NaN", "currency": "CNY"},
        {"type": "refund", "amount": "Infinity", "currency": "CNY"},
        {"type": "refund", "amount": True, "currency": "CNY"},
        {"type": "refund", "amount": [10], "currency": "CNY"},
        {"type": "refund", "amount": 1e12, "currency": "CNY"},
        {"type": "refund", "amount": "100000.01", "currency": "CNY"},
        {"type": "refund", "amount": 10, "currency": "JPY"},
        {"type": "refund", "amount": 10, "currency": "CNYY"},
        {"type": "refund", "amount": 10, "currency": "元"},
        {"type": "apology", "amount": 10, "currency": "CNY"},
        {"type": "repair", "currency": "CNY"},
        {"type": "refund", "amount": 10, "currency": "CNY", "granted_by": "sue"},
        {"type": "refund", "amount": 10, "currency": "CNY", "note": "x" * 4001},
        {"type": None},
        [],
    ],
)
def test_bad_remedies_are_422_with_a_reason(client, tokens, worked, body):
    ticket_id = worked("alice")
    answer = client.post(f"/api/tickets/{ticket_id}/remedy", headers=tokens["alice"], json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"]
    with client.app.state.sessions() as session:
        assert session.get(Ticket, ticket_id).remedy is None
        assert session.query(RemedyRequest).count() == 0


def test_unknown_ids_closed_tickets_and_garbage(client, tokens, worked, db):
    alice, sue = tokens["alice"], tokens["sue"]
    for method, url, body, status in (
        ("post", "/api/tickets/CP-20260101-9999/remedy", {"type": "apology"}, 404),
        ("post", "/api/tickets/nonsense/remedy", {"type": "apology"}, 404),
        (
            "post",
            "/api/tickets/CP-20260101-9999/validity",
            {"validity": "valid", "reason": "x"},
            404,
        ),  # fmt: skip
        ("post", "/api/remedy-requests/999999/approve", None, 404),
        ("post", "/api/remedy-requests/999999/decline", {"reason": "x"}, 404),
        ("post", "/api/remedy-requests/abc/approve", None, 422),
        ("post", "/api/remedy-requests/1/approve", {"note": 5, "x": 1}, 422),
        ("get", "/api/remedy-requests?status=lost", None, 422),
        ("get", "/api/remedy-requests?limit=0", None, 422),
        ("get", "/api/remedy-requests?ticket_id=nonsense", None, 404),
    ):
        answer = client.request(method, url, headers=sue if "requests" in url else alice,
                                json=body)  # fmt: skip
        assert answer.status_code == status, (url, answer.text)
    garbage = client.post(f"/api/tickets/{worked('alice')}/remedy", headers=alice,
                          content=b"\xff\x00not json")  # fmt: skip
    assert garbage.status_code == 422
    closed = worked("alice", "cust-closed")
    with transaction(db) as session:
        session.get(Ticket, closed).status = "closed"
    answer = _remedy(client, alice, closed, type="apology")
    assert answer.status_code == 409 and "closed" in answer.json()["detail"]


def test_a_request_made_before_the_ticket_closed_can_still_be_approved(client, tokens, worked, db):
    ticket_id = worked("alice")
    asked = _remedy(client, tokens["alice"], ticket_id, type="refund", amount=300, currency="CNY")
    with transaction(db) as session:
        session.get(Ticket, ticket_id).status = "closed"  # the customer rated it meanwhile
    listed = client.get(f"/api/remedy-requests?ticket_id={ticket_id.lower()}",
                        headers=tokens["sue"]).json()["items"]  # fmt: skip
    assert [r["ticket"]["status"] for r in listed] == ["closed"]
    url = f"/api/remedy-requests/{asked.json()['request']['id']}/approve"
    approved = client.post(url, headers=tokens["sue"])
    assert approved.status_code == 200
    assert approved.json()["ticket"]["remedy"]["approved_by"] == "sue"
