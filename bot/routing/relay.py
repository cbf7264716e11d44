"""Messages for a customer whose web chat is open on another gateway (several gateways
behind a load balancer, COMPLAINTBOT_REDIS_URL set): an agent on gateway B answers a
customer connected to gateway A.

Outbound stores the message first and tries this gateway's sockets; when none has the
customer, it publishes a notice `{"channel", "sender"}` on a Redis channel. Every gateway
listens; one with an open socket for that customer claims the waiting messages (a
conditional UPDATE per message: exactly one gateway gets each) and pushes them. Without
Redis, or while it is down, nothing changes: the messages wait in the database and reach the
customer on their next connect, as they always did.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable

import redis
import redis.asyncio as aioredis

logger = logging.getLogger(__name__)

CHANNEL_NAME = "complaintbot:outbound"
RETRY_SECONDS = 1.0
# Channels whose customers hold a socket on one gateway.
RELAYED = frozenset({"webchat"})

# on_notice(channel, sender_id): push what waits for that customer if their socket is here.
NoticeHandler = Callable[[str, str], Awaitable[None]]


class Relay:
    def __init__(
        self, redis_url: str, on_notice: NoticeHandler, *, name: str = CHANNEL_NAME
    ) -> None:
        self.client = aioredis.Redis.from_url(
            redis_url, socket_connect_timeout=2.0, decode_responses=True
        )
        self.on_notice = on_notice
        self.name = name
        self.listening = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._listen())

    async def publish(self, channel: str, sender_id: str) -> None:
        """Tells every gateway that `sender_id` has messages waiting (never raises)."""
        if channel not in RELAYED:
            return
        try:
            await self.client.publish(
                self.name, json.dumps({"channel": channel, "sender": sender_id})
            )
        except redis.RedisError as exc:  # the messages wait for the next connect
            logger.warning("outbound notice not published (%s)", type(exc).__name__)

    async def _listen(self) -> None:
        while True:
            try:
                async with self.client.pubsub() as pubsub:
                    await pubsub.subscribe(self.name)
                    self.listening.set()
                    async for notice in pubsub.listen():
                        if notice.get("type") == "message":
                            await self._handle(notice.get("data"))
            except asyncio.CancelledError:
                raise
            except (redis.RedisError, OSError) as exc:
                self.listening.clear()
                logger.warning("outbound relay lost Redis (%s); retrying", type(exc).__name__)
                await asyncio.sleep(RETRY_SECONDS)

    async def _handle(self, data: object) -> None:
        try:
            notice = json.loads(data) if isinstance(data, str) else None
        except ValueError:
            notice = None
        if not isinstance(notice, dict):
            return
        channel, sender = notice.get("channel"), notice.get("sender")
        if channel in RELAYED and isinstance(sender, str):
            try:
                await self.on_notice(channel, sender)
            except Exception:  # the messages stay pending: the next connect gets them
                logger.exception("relayed delivery on %s failed", channel)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self.client.aclose()
