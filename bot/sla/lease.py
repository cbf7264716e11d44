"""Leases: a job only one process runs at a time, such as the SLA monitor's tick.

`DatabaseLease` keeps a row per job in `leases` and takes it with one conditional UPDATE
(free, expired, or already ours), or an INSERT ... ON CONFLICT DO NOTHING when the row does
not exist yet; of two processes trying at once exactly one changes a row (PostgreSQL
re-checks the condition after the first commits; SQLite has one writer at a time).
Expiry is counted on the caller's clock, so tests move it like every other deadline.

`RedisLease` is the usual Redis lock when COMPLAINTBOT_REDIS_URL is set: SET key holder NX
PX ttl, released only by its holder (a compare-and-delete script). While Redis is down it
falls back to the database lease rather than stopping the job.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from abc import ABC, abstractmethod
from datetime import datetime, timedelta

import redis
from sqlalchemy import delete, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.db import transaction
from bot.handoff.queue import REDIS_DOWN, connect_redis
from bot.sla.models import Lease as LeaseRow

logger = logging.getLogger(__name__)

DEFAULT_REDIS_PREFIX = "complaintbot:lease"
_RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


def new_holder() -> str:
    """Names this process (and this lease object within it) in the lease and the logs."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


class Lease(ABC):
    """A named lease; `acquire` again before `ttl` has passed to keep it."""

    def __init__(self, name: str, *, ttl: timedelta, holder: str | None = None) -> None:
        self.name = name
        self.ttl = ttl
        self.holder = holder or new_holder()

    @abstractmethod
    def acquire(self, now: datetime) -> bool:
        """True when this holder has the lease until `now + ttl`; False when another has it."""

    @abstractmethod
    def release(self) -> None:
        """Gives the lease up (only if still ours)."""

    @abstractmethod
    def close(self) -> None:
        """Releases the connections the lease holds."""


class DatabaseLease(Lease):
    """The lease as a row of the `leases` table (SQLite or PostgreSQL)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        name: str,
        *,
        ttl: timedelta,
        holder: str | None = None,
    ) -> None:
        super().__init__(name, ttl=ttl, holder=holder)
        self._sessions = sessions

    def acquire(self, now: datetime) -> bool:
        expires_at = now + self.ttl
        with transaction(self._sessions) as session:
            taken = session.execute(
                update(LeaseRow)
                .where(
                    LeaseRow.name == self.name,
                    or_(LeaseRow.holder == self.holder, LeaseRow.expires_at <= now),
                )
                .values(holder=self.holder, expires_at=expires_at)
                .returning(LeaseRow.name)
            ).scalar_one_or_none()
            if taken is None:
                module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
                taken = session.execute(
                    module.insert(LeaseRow)
                    .values(name=self.name, holder=self.holder, expires_at=expires_at)
                    .on_conflict_do_nothing(index_elements=[LeaseRow.name])
                    .returning(LeaseRow.name)
                ).scalar_one_or_none()
            return taken is not None

    def release(self) -> None:
        with transaction(self._sessions) as session:
            session.execute(
                delete(LeaseRow).where(LeaseRow.name == self.name, LeaseRow.holder == self.holder)
            )

    def close(self) -> None:
        """Nothing to close: the session factory belongs to the caller."""


class RedisLease(Lease):
    """The lease as a Redis key with an expiry; the database lease while Redis is down."""

    def __init__(
        self,
        client: redis.Redis,
        name: str,
        *,
        ttl: timedelta,
        fallback: Lease,
        holder: str | None = None,
        prefix: str = DEFAULT_REDIS_PREFIX,
    ) -> None:
        super().__init__(name, ttl=ttl, holder=holder or fallback.holder)
        self._redis = client
        self.key = f"{prefix}:{name}"
        self._release_script = client.register_script(_RELEASE_LUA)
        self._fallback = fallback
        self._on_fallback = False

    def acquire(self, now: datetime) -> bool:
        try:
            taken = self._redis.set(
                self.key, self.holder, nx=True, px=max(1, int(self.ttl.total_seconds() * 1000))
            )
            self._on_fallback = False
            return bool(taken)
        except REDIS_DOWN as exc:
            logger.warning(
                "Redis unreachable (%s): lease %s taken in the database",
                type(exc).__name__,
                self.name,
            )
            self._on_fallback = True
            return self._fallback.acquire(now)

    def release(self) -> None:
        if self._on_fallback:
            self._fallback.release()
            return
        try:
            self._release_script(keys=[self.key], args=[self.holder])
        except REDIS_DOWN:
            logger.warning("Redis unreachable: lease %s expires by itself", self.name)

    def close(self) -> None:
        self._redis.close()


def make_lease(
    settings: Settings,
    sessions: sessionmaker[Session],
    name: str,
    *,
    ttl: timedelta,
    prefix: str = DEFAULT_REDIS_PREFIX,
) -> Lease:
    """A Redis lock when COMPLAINTBOT_REDIS_URL is set, else the lease row in the database."""
    in_database = DatabaseLease(sessions, name, ttl=ttl)
    if not settings.redis_url:
        return in_database
    return RedisLease(
        connect_redis(settings.redis_url), name, ttl=ttl, fallback=in_database, prefix=prefix
    )
