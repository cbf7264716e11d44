"""HTTP client for the Rasa server's REST channel and API, over one or several replicas."""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from typing import Any, Literal

import httpx

logger = logging.getLogger(__name__)


class RasaUnavailable(RuntimeError):
    """Rasa did not answer in time, or answered with an error."""


Balance = Literal["conversation", "turn"]


class RasaClient:
    """Talks to one or several Rasa replicas.

    balance="conversation": a conversation always goes to the same replica (any tracker
    store). balance="turn": calls go round the replicas in turn and one that refuses the
    connection is skipped. That needs replicas sharing a lock store and a tracker store
    (endpoints.prod.yml): Rasa's lock serialises a conversation's turns across replicas.
    """

    def __init__(
        self,
        urls: list[str],
        token: str | None,
        timeout: float,
        balance: Balance = "conversation",
    ) -> None:
        if not urls:
            raise ValueError("at least one Rasa URL is needed")
        self.urls = urls
        self.token = token
        self.balance = balance
        self._next_turn = 0  # with balance="turn": the replica the next call tries first
        # Customer turns each replica answered, reported by GET /healthz.
        self.turns: Counter[str] = Counter()
        self._http = httpx.AsyncClient(timeout=timeout)

    def url_for(self, conversation_key: str) -> str:
        """The replica of a conversation's calls (with balance="turn": the one the next call
        tries first; asking does not move the turn on, so a background read between two
        turns cannot send both to the same replica)."""
        if self.balance == "turn":
            return self.urls[self._next_turn % len(self.urls)]
        return self._candidates(conversation_key)[0]

    def _candidates(self, conversation_key: str) -> list[str]:
        if self.balance == "turn":
            start = self._next_turn % len(self.urls)
            self._next_turn += 1
            return self.urls[start:] + self.urls[:start]
        digest = hashlib.sha1(conversation_key.encode("utf-8")).digest()
        return [self.urls[int.from_bytes(digest[:4], "big") % len(self.urls)]]

    async def _call(
        self,
        method: str,
        conversation_key: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        timeout: float | None = None,
    ) -> tuple[str, Any]:
        """One call on the conversation's replica: (replica URL, JSON answer). A replica that
        refuses the connection (nothing was sent) is skipped when balancing by turn."""
        *others, last = self._candidates(conversation_key)
        for url in others:
            try:
                return url, await self._json(
                    method, f"{url}{path}", params=params, json=json, timeout=timeout
                )
            except RasaUnavailable as exc:
                if not isinstance(exc.__cause__, httpx.ConnectError):
                    raise
                logger.warning("Rasa replica %s refused the connection; trying the next", url)
        return last, await self._json(
            method, f"{last}{path}", params=params, json=json, timeout=timeout
        )

    async def _json(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        timeout: float | None = None,
    ) -> Any:
        """One call to Rasa and its JSON answer; RasaUnavailable for anything else."""
        try:
            response = await self._http.request(
                method,
                url,
                params=params,
                json=json,
                timeout=timeout if timeout is not None else self._http.timeout,
            )
        except httpx.HTTPError as exc:
            raise RasaUnavailable(f"{type(exc).__name__} calling Rasa") from exc
        if response.status_code != 200:
            raise RasaUnavailable(f"Rasa answered HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise RasaUnavailable("Rasa answered with invalid JSON") from exc

    async def send(
        self, conversation_key: str, text: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Sends one customer message, returns the bot's replies (REST channel format)."""
        body = {"sender": conversation_key, "message": text, "metadata": metadata}
        url, replies = await self._call(
            "POST", conversation_key, "/webhooks/rest/webhook", json=body
        )
        if not isinstance(replies, list):
            raise RasaUnavailable("Rasa answered with something other than a list")
        self.turns[url] += 1
        return [r for r in replies if isinstance(r, dict)]

    def _params(self) -> dict[str, str]:
        return {"token": self.token} if self.token else {}

    async def append_event(self, conversation_key: str, event: dict[str, Any]) -> None:
        """Appends an event to the conversation's tracker (pause, resume, ...)."""
        path = f"/conversations/{conversation_key}/tracker/events"
        await self._call("POST", conversation_key, path, params=self._params(), json=event)

    async def tracker(
        self, conversation_key: str, *, timeout: float | None = None
    ) -> dict[str, Any]:
        """The conversation's tracker (events since the last restart) as Rasa returns it."""
        path = f"/conversations/{conversation_key}/tracker"
        _url, body = await self._call(
            "GET", conversation_key, path, params=self._params(), timeout=timeout
        )
        if not isinstance(body, dict):
            raise RasaUnavailable("Rasa answered with something other than a tracker")
        return body

    async def trigger_intent(
        self, conversation_key: str, intent: str, entities: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """An external event (a bot-initiated turn); returns what the bot said."""
        path = f"/conversations/{conversation_key}/trigger_intent"
        _url, body = await self._call(
            "POST",
            conversation_key,
            path,
            params=self._params(),
            json={"name": intent, "entities": entities},
        )
        messages = body.get("messages") if isinstance(body, dict) else None
        return [m for m in messages or [] if isinstance(m, dict)]

    async def status(self) -> dict[str, Any]:
        """Health of every replica and the customer turns each answered since start-up:
        {"ok": bool, "balance": ..., "replicas": {url: state}, "turns": {url: count}}."""
        replicas: dict[str, str] = {}
        for url in self.urls:
            try:
                response = await self._http.get(f"{url}/status", params=self._params(), timeout=3.0)
                if response.status_code == 200:
                    replicas[url] = "ok"
                else:
                    replicas[url] = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                replicas[url] = type(exc).__name__
        return {
            "ok": all(state == "ok" for state in replicas.values()),
            "balance": self.balance,
            "replicas": replicas,
            "turns": {url: self.turns[url] for url in self.urls},
        }

    async def close(self) -> None:
        await self._http.aclose()
