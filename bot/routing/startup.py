"""Start-up grace: a Rasa that has not been ready since this gateway started is loading its
model (about 40 s, minutes on small machines), not broken. A customer message that meets it
waits up to COMPLAINTBOT_RASA_STARTUP_GRACE seconds and then gets the bot's real answer,
instead of the apology and a ticket for a human that an outage gets (bot.routing.router).

Only calls that never reached Rasa are retried (the connection refused, or a proxy in front
answering 502/503): a turn Rasa may have processed is never sent twice. Once a replica has
answered, a later failure is an outage again and takes the apology path at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx

from bot.routing.rasa_client import RasaClient, RasaUnavailable

# Seconds between two looks at a loading Rasa (shared by every waiting message).
POLL_SECONDS = 1.0
# What a proxy in front of a Rasa that is not listening yet answers.
NOT_LISTENING = ("Rasa answered HTTP 502", "Rasa answered HTTP 503")


def never_reached_rasa(exc: RasaUnavailable) -> bool:
    """True when the failed call cannot have been processed by Rasa."""
    return isinstance(exc.__cause__, httpx.ConnectError) or str(exc) in NOT_LISTENING


class StartupGrace:
    """Knows which Rasa replicas have answered since start-up and lets messages wait for the
    others. One per gateway process."""

    def __init__(
        self,
        rasa: RasaClient,
        grace: float,
        *,
        poll: float = POLL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rasa = rasa
        self.grace = grace
        self.poll = poll
        self.clock = clock
        self._ready: set[str] = set()
        self._probe_lock = asyncio.Lock()
        self._probed_at = float("-inf")
        self._turns: dict[str, tuple[asyncio.Lock, int]] = {}

    def _urls(self, conversation_key: str) -> list[str]:
        if self.rasa.balance == "turn":
            return list(self.rasa.urls)
        return [self.rasa.url_for(conversation_key)]

    def seen(self, replicas: dict[str, str]) -> None:
        """Records the replicas a status check found answering ({url: "ok" | problem})."""
        self._ready.update(url for url, state in replicas.items() if state == "ok")

    def ever_ready(self, url: str) -> bool:
        return url in self._ready or self.rasa.turns[url] > 0

    def starting(self) -> bool:
        """Some replica has not answered since start-up (for /metrics and /healthz)."""
        return not all(self.ever_ready(url) for url in self.rasa.urls)

    def applies(self, conversation_key: str, exc: RasaUnavailable) -> bool:
        """Whether a message whose call failed with `exc` should wait for Rasa."""
        if self.grace <= 0 or not never_reached_rasa(exc):
            return False
        return not all(self.ever_ready(url) for url in self._urls(conversation_key))

    async def _probe(self) -> None:
        """One status check of every replica per poll interval, whoever is waiting."""
        async with self._probe_lock:
            if self.clock() - self._probed_at < self.poll:
                return
            status = await self.rasa.status()
            self._probed_at = self.clock()
            self.seen(status["replicas"])

    async def wait(self, conversation_key: str, started: float) -> bool:
        """Waits until a replica of the conversation answers (True) or until `grace` seconds
        after `started` (a `clock()` reading) have passed (False)."""
        urls = self._urls(conversation_key)
        deadline = started + self.grace
        while True:
            await self._probe()
            if any(url in self._ready for url in urls):
                return True
            remaining = deadline - self.clock()
            if remaining <= 0:
                return False
            await asyncio.sleep(min(self.poll, remaining))

    @asynccontextmanager
    async def turn(self, conversation_key: str) -> AsyncIterator[None]:
        """Waiting messages of one conversation go to Rasa one by one, in arrival order."""
        lock, users = self._turns.get(conversation_key, (asyncio.Lock(), 0))
        self._turns[conversation_key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._turns[conversation_key]
            if users <= 1:
                del self._turns[conversation_key]
            else:
                self._turns[conversation_key] = (lock, users - 1)
