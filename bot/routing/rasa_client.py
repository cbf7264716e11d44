"""HTTP client for the Rasa server's REST channel and API."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import httpx

logger = logging.getLogger(__name__)


class RasaUnavailable(RuntimeError):
    """Rasa did not answer in time, or answered with an error."""


class RasaClient:
    """Talks to one or several Rasa replicas; a conversation always goes to the same one."""

    def __init__(self, urls: list[str], token: str | None, timeout: float) -> None:
        if not urls:
            raise ValueError("at least one Rasa URL is needed")
        self.urls = urls
        self.token = token
        self._http = httpx.AsyncClient(timeout=timeout)

    def url_for(self, conversation_key: str) -> str:
        digest = hashlib.sha1(conversation_key.encode("utf-8")).digest()
        return self.urls[int.from_bytes(digest[:4], "big") % len(self.urls)]

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
        url = f"{self.url_for(conversation_key)}/webhooks/rest/webhook"
        body = {"sender": conversation_key, "message": text, "metadata": metadata}
        replies = await self._json("POST", url, json=body)
        if not isinstance(replies, list):
            raise RasaUnavailable("Rasa answered with something other than a list")
        return [r for r in replies if isinstance(r, dict)]

    async def append_event(self, conversation_key: str, event: dict[str, Any]) -> None:
        """Appends an event to the conversation's tracker (pause, resume, ...)."""
        url = f"{self.url_for(conversation_key)}/conversations/{conversation_key}/tracker/events"
        params = {"token": self.token} if self.token else {}
        try:
            response = await self._http.post(url, params=params, json=event)
        except httpx.HTTPError as exc:
            raise RasaUnavailable(f"{type(exc).__name__} calling Rasa") from exc
        if response.status_code != 200:
            raise RasaUnavailable(f"Rasa answered HTTP {response.status_code}")

    async def tracker(
        self, conversation_key: str, *, timeout: float | None = None
    ) -> dict[str, Any]:
        """The conversation's tracker (events since the last restart) as Rasa returns it."""
        url = f"{self.url_for(conversation_key)}/conversations/{conversation_key}/tracker"
        params = {"token": self.token} if self.token else {}
        body = await self._json("GET", url, params=params, timeout=timeout)
        if not isinstance(body, dict):
            raise RasaUnavailable("Rasa answered with something other than a tracker")
        return body

    async def trigger_intent(
        self, conversation_key: str, intent: str, entities: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """An external event (a bot-initiated turn); returns what the bot said."""
        url = f"{self.url_for(conversation_key)}/conversations/{conversation_key}/trigger_intent"
        params = {"token": self.token} if self.token else {}
        body = await self._json(
            "POST", url, params=params, json={"name": intent, "entities": entities}
        )
        messages = body.get("messages") if isinstance(body, dict) else None
        return [m for m in messages or [] if isinstance(m, dict)]

    async def status(self) -> dict[str, Any]:
        """Health of every replica: {"ok": bool, "replicas": {url: state}}."""
        replicas: dict[str, str] = {}
        for url in self.urls:
            params = {"token": self.token} if self.token else {}
            try:
                response = await self._http.get(f"{url}/status", params=params, timeout=3.0)
                if response.status_code == 200:
                    replicas[url] = "ok"
                else:
                    replicas[url] = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                replicas[url] = type(exc).__name__
        return {"ok": all(state == "ok" for state in replicas.values()), "replicas": replicas}

    async def close(self) -> None:
        await self._http.aclose()
