"""How RasaClient spreads calls over several replicas.

The replicas here are small HTTP servers that answer in the REST channel's format and
record what reached them (Rasa itself behind two replicas: tests/scaleout)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi import FastAPI, Request

from bot.routing.rasa_client import RasaClient, RasaUnavailable
from bot.stack import free_port


def replica(name: str, seen: list[tuple[str, str]], delay: float = 0.0) -> FastAPI:
    """A stand-in Rasa replica: answers every message with its own name."""
    app = FastAPI()

    @app.post("/webhooks/rest/webhook")
    async def webhook(request: Request) -> list[dict[str, Any]]:
        body = await request.json()
        seen.append((name, body["sender"]))
        await asyncio.sleep(delay)
        return [{"recipient_id": body["sender"], "text": f"from {name}"}]

    @app.get("/status")
    async def status() -> dict[str, str]:
        return {"model_file": name}

    return app


@pytest.fixture
def two_replicas(serve_app):
    seen: list[tuple[str, str]] = []
    urls = [serve_app(replica(name, seen), free_port()) for name in ("one", "two")]
    return urls, seen


def send_all(client: RasaClient, turns: list[str]) -> list[str]:
    async def run() -> list[str]:
        try:
            return [(await client.send(key, "hi", {}))[0]["text"] for key in turns]
        finally:
            await client.close()

    return asyncio.run(run())


def test_by_conversation_every_turn_of_a_conversation_goes_to_the_same_replica(two_replicas):
    urls, seen = two_replicas
    client = RasaClient(urls, token=None, timeout=5.0)
    keys = [f"rest:customer-{n}" for n in range(12)]
    send_all(client, keys + keys)
    by_key: dict[str, set[str]] = {}
    for name, key in seen:
        by_key.setdefault(key, set()).add(name)
    assert all(len(names) == 1 for names in by_key.values())
    # Twelve conversations do not all land on one replica (sha1 spreads them).
    assert {name for name, _key in seen} == {"one", "two"}


def test_by_turn_one_conversations_turns_alternate_and_are_counted(two_replicas):
    urls, seen = two_replicas
    client = RasaClient(urls, token=None, timeout=5.0, balance="turn")
    answers = send_all(client, ["rest:alice"] * 6)
    assert answers == ["from one", "from two"] * 3
    assert [name for name, _key in seen] == ["one", "two"] * 3
    assert client.turns == {urls[0]: 3, urls[1]: 3}


def test_by_turn_asking_for_the_replica_between_turns_does_not_move_the_turn_on(two_replicas):
    """The gateway asks for a conversation's replica in the background after each turn (to
    read the parse data) and while Rasa starts: the turns must still alternate."""
    urls, seen = two_replicas
    client = RasaClient(urls, token=None, timeout=5.0, balance="turn")

    async def run() -> list[str]:
        answers = []
        try:
            for _ in range(4):
                assert client.url_for("rest:alice") == client.url_for("rest:alice")
                answers.append((await client.send("rest:alice", "hi", {}))[0]["text"])
        finally:
            await client.close()
        return answers

    assert asyncio.run(run()) == ["from one", "from two"] * 2
    assert [name for name, _key in seen] == ["one", "two"] * 2


def test_by_turn_a_replica_that_refuses_connections_is_skipped(serve_app):
    seen: list[tuple[str, str]] = []
    alive = serve_app(replica("alive", seen), free_port())
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens: the connection is refused
    client = RasaClient([dead, alive], token=None, timeout=5.0, balance="turn")
    answers = send_all(client, ["rest:bob"] * 4)
    assert answers == ["from alive"] * 4
    assert seen == [("alive", "rest:bob")] * 4
    assert client.turns == {alive: 4}


def test_by_turn_a_timeout_is_not_retried_elsewhere(serve_app):
    """A replica that took the message and is slow may still answer it: sending it to the
    next replica could answer the customer twice, so the turn fails instead."""
    seen: list[tuple[str, str]] = []
    slow = serve_app(replica("slow", seen, delay=1.5), free_port())
    other = serve_app(replica("other", seen), free_port())
    client = RasaClient([slow, other], token=None, timeout=0.5, balance="turn")
    with pytest.raises(RasaUnavailable):
        send_all(client, ["rest:carol"])
    assert seen == [("slow", "rest:carol")]


def test_status_reports_each_replica_and_its_turns(two_replicas):
    urls, _seen = two_replicas
    dead = f"http://127.0.0.1:{free_port()}"
    client = RasaClient([*urls, dead], token=None, timeout=5.0, balance="turn")

    async def run() -> dict[str, Any]:
        try:
            await client.send("rest:dana", "hi", {})
            return await client.status()
        finally:
            await client.close()

    status = asyncio.run(run())
    assert status["ok"] is False
    assert status["balance"] == "turn"
    assert status["replicas"][urls[0]] == "ok"
    assert status["replicas"][dead] == "ConnectError"
    assert status["turns"] == {urls[0]: 1, urls[1]: 0, dead: 0}
