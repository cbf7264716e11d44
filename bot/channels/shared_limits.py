"""The rate caps of bot.channels.limits counted in Redis, shared by every gateway replica
(when COMPLAINTBOT_REDIS_URL is set): N gateways behind a load balancer allow the cap once,
not N times.

The same sliding window of the last minute, one sorted set of hit times per key, checked
and recorded by one Lua script: atomic across gateways, with Redis' own clock (gateways'
clocks need not agree). Key names carry a hash of the key, never a sender id or an address.
Redis unreachable: this process's in-memory counts take over (a cap per replica, as without
Redis) and a warning is logged; a customer never gets an error for it.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
import time
from collections.abc import Callable, Hashable, Sequence

import redis

from bot.channels.limits import WINDOW_SECONDS, Check, RateLimiter, Refusal

logger = logging.getLogger(__name__)

DEFAULT_PREFIX = "complaintbot:limits"
# Seconds between two warnings that Redis is down (each refused call would log otherwise).
WARN_EVERY = 60.0

# KEYS: one sorted set per check. ARGV[1]: window (µs), ARGV[2]: a unique member suffix,
# ARGV[3..]: the limit of each key. Returns {0, 0} when recorded, else {i, wait µs} of the
# key that frees up last (nothing recorded).
HIT_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
local worst, wait = 0, 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[i + 2])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count >= limit then
    local oldest = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
    local free_in = tonumber(oldest[2]) + window - now
    if worst == 0 or free_in > wait then
      worst, wait = i, free_in
    end
  end
end
if worst > 0 then
  return {worst, wait}
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, now .. ':' .. ARGV[2])
  redis.call('PEXPIRE', key, math.ceil(window / 1000) + 1000)
end
return {0, 0}
"""


def key_name(prefix: str, key: Hashable) -> str:
    """The Redis key of a limiter key: a hash (the key may hold a sender id or address)."""
    digest = hashlib.sha256(repr(key).encode("utf-8")).hexdigest()[:32]
    return f"{prefix}:{digest}"


class RedisRateLimiter:
    """RateLimiter's `hit()`, counted in Redis for every gateway at once."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = DEFAULT_PREFIX,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.window = window
        self.clock = clock
        self.local = RateLimiter(window=window, clock=clock)
        self._script = client.register_script(HIT_LUA)
        self._warned_at = float("-inf")

    def hit(self, checks: Sequence[Check]) -> Refusal | None:
        """Records one hit on every key when all are under their limits; otherwise records
        nothing and returns the refusal of the key that frees up last."""
        active = [(key, limit, reason) for key, limit, reason in checks if limit > 0]
        if not active:
            return None
        keys = [key_name(self.prefix, key) for key, _limit, _reason in active]
        window_us = round(self.window * 1_000_000)
        args: list[str | int] = [window_us, secrets.token_hex(8)]
        args += [limit for _key, limit, _reason in active]
        try:
            worst, wait_us = self._script(keys=keys, args=args)
        except redis.RedisError as exc:
            now = self.clock()
            if now - self._warned_at >= WARN_EVERY:
                self._warned_at = now
                logger.warning(
                    "Redis unreachable for the shared rate caps (%s): counting in this "
                    "process until it is back",
                    type(exc).__name__,
                )
            return self.local.hit(checks)
        if int(worst) == 0:
            return None
        reason = active[int(worst) - 1][2]
        return Refusal(reason, max(1, math.ceil(int(wait_us) / 1_000_000)))

    def close(self) -> None:
        self.client.close()


def make_limiter(redis_url: str | None, *, timeout: float = 2.0) -> RateLimiter | RedisRateLimiter:
    """Shared caps in Redis when a Redis URL is set, else this process's own counts."""
    if not redis_url:
        return RateLimiter()
    client = redis.Redis.from_url(
        redis_url, socket_timeout=timeout, socket_connect_timeout=timeout, decode_responses=True
    )
    return RedisRateLimiter(client)
