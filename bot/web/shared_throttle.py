"""The console's sign-in throttle (bot.web.auth.LoginThrottle) counted in Redis, shared by
every gateway replica when COMPLAINTBOT_REDIS_URL is set: N gateways give a guesser the
allowance once, not N times.

Same rules as the in-memory throttle: per username + client address and per client
address, a sliding window, an attempt counted when it starts (one Lua script checks and
records both keys atomically), a success takes it back and clears the username's failures.
Key names and members are hashes: no username or address is stored in Redis. Redis
unreachable: this process's in-memory throttle takes over (logged), never an error.
"""

from __future__ import annotations

import hashlib
import logging
import math
from datetime import datetime

import redis

from bot.web.auth import LoginThrottle

logger = logging.getLogger(__name__)

DEFAULT_PREFIX = "complaintbot:login"

# KEYS[1]: the username + address key, KEYS[2]: the address key. ARGV: now (µs), window
# (µs), limit of KEYS[1], limit of KEYS[2], the attempt's member. Returns 0 when counted,
# else the µs until the attempt would be admitted (nothing counted).
ADMIT_LUA = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local limits = {tonumber(ARGV[3]), tonumber(ARGV[4])}
local wait = 0
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count >= limits[i] then
    local entry = redis.call('ZRANGE', key, count - limits[i], count - limits[i], 'WITHSCORES')
    local free_in = tonumber(entry[2]) + window - now
    if free_in > wait then wait = free_in end
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[5])
  redis.call('PEXPIRE', key, math.ceil(window / 1000) + 1000)
end
return 0
"""


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


class RedisLoginThrottle(LoginThrottle):
    """LoginThrottle's admit() and succeeded(), counted in Redis."""

    def __init__(self, client: redis.Redis, *, prefix: str = DEFAULT_PREFIX) -> None:
        super().__init__()  # the in-memory counts: used while Redis is unreachable
        self.client = client
        self.prefix = prefix
        self._admit = client.register_script(ADMIT_LUA)

    def _redis_keys(self, username: str, address: str) -> list[str]:
        user = username.strip().lower()
        return [
            f"{self.prefix}:user:{_digest(user, address)}",
            f"{self.prefix}:addr:{_digest(address)}",
        ]

    @staticmethod
    def _member(username: str, address: str, now: datetime) -> str:
        return _digest(username.strip().lower(), address, now.isoformat())

    def _down(self, exc: redis.RedisError) -> None:
        logger.warning(
            "Redis unreachable for the sign-in throttle (%s): counting in this process",
            type(exc).__name__,
        )

    def admit(self, username: str, address: str, now: datetime) -> int | None:
        now_us = round(now.timestamp() * 1_000_000)
        window_us = round(self.window.total_seconds() * 1_000_000)
        args = [now_us, window_us, self.limits["username"], self.limits["address"]]
        try:
            wait_us = self._admit(
                keys=self._redis_keys(username, address),
                args=[*args, self._member(username, address, now)],
            )
        except redis.RedisError as exc:
            self._down(exc)
            return super().admit(username, address, now)
        if int(wait_us) <= 0:
            return None
        return max(1, math.ceil(int(wait_us) / 1_000_000))

    def succeeded(self, username: str, address: str, now: datetime) -> None:
        user_key, address_key = self._redis_keys(username, address)
        try:
            pipe = self.client.pipeline(transaction=True)
            pipe.delete(user_key)
            pipe.zrem(address_key, self._member(username, address, now))
            pipe.execute()
        except redis.RedisError as exc:
            self._down(exc)
        super().succeeded(username, address, now)

    def close(self) -> None:
        self.client.close()


def make_login_throttle(redis_url: str | None, *, timeout: float = 2.0) -> LoginThrottle:
    """Shared in Redis when a Redis URL is set, else this process's own."""
    if not redis_url:
        return LoginThrottle()
    client = redis.Redis.from_url(
        redis_url, socket_timeout=timeout, socket_connect_timeout=timeout, decode_responses=True
    )
    return RedisLoginThrottle(client)
