"""The human-handoff priority queue: one synchronous interface, two backends.

Order, highest first: severity (urgent > major > general), then `boost`, then the time
waited (oldest first), then the ticket id. Boost orders tickets *within* a severity: a
reopened ticket re-queued with boost 1 goes above every non-boosted ticket of its
severity, but never above a more severe one. Severity says how much harm is at stake (an
injured customer must not wait behind a reopened late parcel); a reopen can raise the
severity itself when it needs to.

`DatabaseQueue` keeps everything in three tables (bot.handoff.models) and is the embedded
default. `RedisQueue` writes every change to those same tables first, then mirrors it in
Redis, which serves the reads and picks the next item with a Lua script; `rebuild()`
restores the mirror from the database. While Redis is unreachable it runs on the
database, and it rebuilds the mirror once Redis answers again or has lost its keys.

Claims are atomic on every backend: an item leaves the queue through one conditional
DELETE ... RETURNING (PostgreSQL: on a row picked with FOR UPDATE SKIP LOCKED), so two
agents never get the same ticket; on Redis the Lua script pops each item once and the
database still confirms it.

Estimated wait = median(enqueue-to-claim time of the last RECENT_CLAIMS claims)
                 × position / agents on duty who may take the item,
None when there is no claim history or no such agent is on duty.

The gateway is async: call these methods through `anyio.to_thread.run_sync`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import statistics
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar, cast

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import ColumnElement, case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import utcnow
from bot.db import transaction
from bot.handoff.models import AgentPresence, QueueClaim, QueueEntry

if TYPE_CHECKING:
    from bot.config import Settings

logger = logging.getLogger(__name__)

T = TypeVar("T")

SEVERITY_RANK = {"general": 0, "major": 1, "urgent": 2}
MAX_BOOST = 9
MAX_TEAM_CHARS = 40
PRESENCE_STATUSES = ("on_duty", "away")
# Console heartbeats come every 30 s: two may be missed before an agent counts as gone.
PRESENCE_TTL = timedelta(seconds=90)
RECENT_CLAIMS = 20
DEFAULT_REDIS_PREFIX = "complaintbot:handoff"
REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)


@dataclass(frozen=True)
class QueueItem:
    """A ticket waiting for a human, and the conversation to hand over."""

    ticket_id: str
    conversation_id: int | None
    severity: str
    boost: int
    team: str | None
    enqueued_at: datetime

    def waiting(self, now: datetime) -> timedelta:
        return max(now - self.enqueued_at, timedelta(0))

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "enqueued_at": self.enqueued_at.isoformat()})

    @classmethod
    def from_json(cls, payload: str | bytes) -> QueueItem:
        data = json.loads(payload)
        data["enqueued_at"] = datetime.fromisoformat(data["enqueued_at"])
        return cls(**data)


@dataclass(frozen=True)
class Presence:
    """An agent on duty: the teams they take (None: all) and their last heartbeat."""

    agent: str
    teams: list[str] | None
    last_seen: datetime


def estimate_wait(
    recent_waits: Sequence[timedelta], position: int, agents: int
) -> timedelta | None:
    """median(recent waits) × position / agents, to the second; None without history or agents."""
    if not recent_waits or agents < 1:
        return None
    median = statistics.median(wait.total_seconds() for wait in recent_waits)
    return timedelta(seconds=round(median * position / agents))


def _check_item(severity: str, boost: int, team: str | None) -> None:
    if severity not in SEVERITY_RANK:
        raise ValueError(
            f"unknown severity {severity!r}; severities are {', '.join(SEVERITY_RANK)}"
        )
    if not 0 <= boost <= MAX_BOOST:
        raise ValueError(f"boost must be between 0 and {MAX_BOOST}")
    if team is not None and not 0 < len(team) <= MAX_TEAM_CHARS:
        raise ValueError(f"team: 1-{MAX_TEAM_CHARS} characters, or None for any agent")


def _to_millisecond(moment: datetime) -> datetime:
    """Both backends order by the millisecond, then by ticket id: they agree on ties."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; use an aware UTC datetime")
    return moment.astimezone(UTC).replace(microsecond=moment.microsecond // 1000 * 1000)


def _normal_teams(teams: Iterable[str] | None) -> list[str] | None:
    return None if teams is None else sorted({team.strip() for team in teams if team.strip()})


def _can_take(agent_teams: Sequence[str] | None, team: str | None) -> bool:
    """Items without a team go to anyone; agents without teams take any item."""
    return team is None or agent_teams is None or team in agent_teams


class HandoffQueue(ABC):
    """Tickets waiting for a human agent, and which agents are on duty to take them."""

    backend: str

    def __init__(
        self, sessions: sessionmaker[Session], *, presence_ttl: timedelta = PRESENCE_TTL
    ) -> None:
        self._sessions = sessions
        self.presence_ttl = presence_ttl

    @abstractmethod
    def enqueue(
        self,
        ticket_id: str,
        conversation_id: int | None,
        severity: str,
        *,
        team: str | None = None,
        boost: int = 0,
        now: datetime,
    ) -> QueueItem:
        """Queues a ticket, or updates it when already queued (never a duplicate).

        Severity, team and (when given) conversation take the new values; boost never
        decreases and the waiting time is kept.
        """

    @abstractmethod
    def prioritise(self, ticket_id: str, *, severity: str, boost: int) -> QueueItem | None:
        """Raises a waiting ticket's priority to at least `severity` and `boost` (neither
        ever goes down; the waiting time is kept). None when the ticket is not queued: a
        ticket an agent has claimed is never put back."""

    @abstractmethod
    def set_severity(self, ticket_id: str, severity: str) -> QueueItem | None:
        """A waiting ticket's severity changed, up or down (a person's judgement): it moves
        to its new place; boost and waiting time are kept. None when it is not queued."""

    @abstractmethod
    def claim_next(
        self, agent: str, *, teams: Iterable[str] | None = None, now: datetime
    ) -> QueueItem | None:
        """Takes the first item the agent may take (`teams` None: any), or None."""

    @abstractmethod
    def claim(self, ticket_id: str, agent: str, *, now: datetime) -> QueueItem | None:
        """Takes that ticket off the queue; None when it is not (or no longer) queued."""

    @abstractmethod
    def remove(self, ticket_id: str) -> bool:
        """Drops a ticket from the queue without a claim (withdrawn, answered elsewhere)."""

    @abstractmethod
    def items(self) -> list[QueueItem]:
        """Every waiting item, first to be served first."""

    @abstractmethod
    def get(self, ticket_id: str) -> QueueItem | None: ...

    @abstractmethod
    def position(self, ticket_id: str) -> int | None:
        """1 for the next item to be served; None when the ticket is not queued."""

    @abstractmethod
    def length(self) -> int: ...

    @abstractmethod
    def set_presence(
        self, agent: str, status: str, *, now: datetime, teams: Iterable[str] | None = None
    ) -> None:
        """`on_duty` (also a heartbeat) or `away`; `teams` None: the agent takes any team."""

    @abstractmethod
    def heartbeat(self, agent: str, *, now: datetime) -> bool:
        """Keeps an on-duty agent on duty. False when they were not (any more): the console
        must set them on duty again."""

    @abstractmethod
    def on_duty(self, *, now: datetime, team: str | None = None) -> list[str]:
        """Agents on duty with a heartbeat within the TTL (who may take `team`'s items)."""

    @abstractmethod
    def rebuild(self) -> int:
        """Restores any derived index from the database; returns the number of items."""

    @abstractmethod
    def health(self) -> dict[str, Any]:
        """A cheap state report for /healthz: ok, backend, length (and the problem)."""

    @abstractmethod
    def close(self) -> None:
        """Releases the connections the queue holds."""

    def estimated_wait(self, ticket_id: str, *, now: datetime) -> timedelta | None:
        """How long the ticket will probably still wait (see the module docstring)."""
        item = self.get(ticket_id)
        position = self.position(ticket_id)
        if item is None or position is None:
            return None
        with self._sessions() as session:
            waits = _recent_waits(session, RECENT_CLAIMS)
        return estimate_wait(waits, position, len(self.on_duty(now=now, team=item.team)))


# --- the database side, shared by both backends ---------------------------------------------

_COLUMNS = (
    QueueEntry.ticket_id,
    QueueEntry.conversation_id,
    QueueEntry.severity,
    QueueEntry.boost,
    QueueEntry.team,
    QueueEntry.enqueued_at,
)
_ORDER = (
    case(SEVERITY_RANK, value=QueueEntry.severity, else_=0).desc(),
    QueueEntry.boost.desc(),
    QueueEntry.enqueued_at,
    QueueEntry.ticket_id,
)


def _item(row: Any) -> QueueItem:
    """The item of a row selected or returned with _COLUMNS (named as QueueItem's fields)."""
    return QueueItem(**row._mapping)


def _upsert(
    session: Session,
    table: type[QueueEntry] | type[AgentPresence],
    key: str,
    values: dict[str, Any],
    changes: Callable[[Any], dict[str, Any]],
) -> Any:
    """INSERT ... ON CONFLICT (key) DO UPDATE, in the session's dialect."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = module.insert(table).values(**values)
    return stmt.on_conflict_do_update(index_elements=[key], set_=changes(stmt.excluded))


def _take(
    session: Session, which: ColumnElement[bool], agent: str, now: datetime
) -> QueueItem | None:
    """Deletes the matching entry and logs the claim; None when no row was there to delete.

    The conditional DELETE is what makes a claim atomic: of two transactions deleting the
    same row, the second finds nothing (PostgreSQL re-checks after the first commits;
    SQLite runs one writer at a time).
    """
    row = session.execute(delete(QueueEntry).where(which).returning(*_COLUMNS)).one_or_none()
    if row is None:
        return None
    item = _item(row)
    session.add(
        QueueClaim(
            ticket_id=item.ticket_id, agent=agent, enqueued_at=item.enqueued_at, claimed_at=now
        )
    )
    return item


def _recent_waits(session: Session, limit: int) -> list[timedelta]:
    rows = session.execute(
        select(QueueClaim.enqueued_at, QueueClaim.claimed_at)
        .order_by(QueueClaim.claimed_at.desc(), QueueClaim.id.desc())
        .limit(limit)
    )
    return [claimed - enqueued for enqueued, claimed in rows]


class DatabaseQueue(HandoffQueue):
    """The queue in the SQL database (SQLite or PostgreSQL): no other service needed."""

    backend = "database"

    def enqueue(
        self,
        ticket_id: str,
        conversation_id: int | None,
        severity: str,
        *,
        team: str | None = None,
        boost: int = 0,
        now: datetime,
    ) -> QueueItem:
        _check_item(severity, boost, team)
        values = dict(
            ticket_id=ticket_id,
            conversation_id=conversation_id,
            severity=severity,
            boost=boost,
            team=team,
            enqueued_at=_to_millisecond(now),
        )

        def changes(new: Any) -> dict[str, Any]:
            return {
                "conversation_id": func.coalesce(new.conversation_id, QueueEntry.conversation_id),
                "severity": new.severity,
                "team": new.team,
                "boost": case((new.boost > QueueEntry.boost, new.boost), else_=QueueEntry.boost),
            }

        with transaction(self._sessions) as session:
            stmt = _upsert(session, QueueEntry, "ticket_id", values, changes).returning(*_COLUMNS)
            item = _item(session.execute(stmt).one())
        logger.info("ticket %s queued (%s, boost %d)", ticket_id, item.severity, item.boost)
        return item

    def prioritise(self, ticket_id: str, *, severity: str, boost: int) -> QueueItem | None:
        _check_item(severity, boost, None)
        rank = case(SEVERITY_RANK, value=QueueEntry.severity, else_=0)
        item = self._update(ticket_id, {
            "severity": case((rank < SEVERITY_RANK[severity], severity),
                             else_=QueueEntry.severity),
            "boost": case((QueueEntry.boost < boost, boost), else_=QueueEntry.boost),
        })  # fmt: skip
        if item is not None:
            logger.info("ticket %s prioritised (%s, boost %d)", ticket_id, item.severity,
                        item.boost)  # fmt: skip
        return item

    def set_severity(self, ticket_id: str, severity: str) -> QueueItem | None:
        _check_item(severity, 0, None)
        item = self._update(ticket_id, {"severity": severity})
        if item is not None:
            logger.info("ticket %s now queued as %s", ticket_id, item.severity)
        return item

    def _update(self, ticket_id: str, values: dict[str, Any]) -> QueueItem | None:
        """A queued ticket's entry with `values` set; None when it is not queued."""
        stmt = (
            update(QueueEntry)
            .where(QueueEntry.ticket_id == ticket_id)
            .values(**values)
            .returning(*_COLUMNS)
        )
        with transaction(self._sessions) as session:
            row = session.execute(stmt).one_or_none()
        return None if row is None else _item(row)

    def claim_next(
        self, agent: str, *, teams: Iterable[str] | None = None, now: datetime
    ) -> QueueItem | None:
        pick = select(QueueEntry.ticket_id).order_by(*_ORDER).limit(1)
        allowed = _normal_teams(teams)
        if allowed is not None:
            pick = pick.where(or_(QueueEntry.team.is_(None), QueueEntry.team.in_(allowed)))
        # PostgreSQL: concurrent claimers pass over a row another one is taking instead of
        # queueing behind its lock (SQLite ignores the clause; it has one writer anyway).
        pick = pick.with_for_update(skip_locked=True)
        with transaction(self._sessions) as session:
            item = _take(session, QueueEntry.ticket_id == pick.scalar_subquery(), agent, now)
        if item is not None:
            logger.info("ticket %s claimed by %s", item.ticket_id, agent)
        return item

    def claim(self, ticket_id: str, agent: str, *, now: datetime) -> QueueItem | None:
        with transaction(self._sessions) as session:
            item = _take(session, QueueEntry.ticket_id == ticket_id, agent, now)
        if item is not None:
            logger.info("ticket %s claimed by %s", ticket_id, agent)
        return item

    def remove(self, ticket_id: str) -> bool:
        with transaction(self._sessions) as session:
            result = session.execute(delete(QueueEntry).where(QueueEntry.ticket_id == ticket_id))
            removed = bool(result.rowcount)  # type: ignore[attr-defined]
        if removed:
            logger.info("ticket %s removed from the queue", ticket_id)
        return removed

    def items(self) -> list[QueueItem]:
        with self._sessions() as session:
            return [_item(row) for row in session.execute(select(*_COLUMNS).order_by(*_ORDER))]

    def get(self, ticket_id: str) -> QueueItem | None:
        with self._sessions() as session:
            row = session.execute(
                select(*_COLUMNS).where(QueueEntry.ticket_id == ticket_id)
            ).one_or_none()
        return None if row is None else _item(row)

    def position(self, ticket_id: str) -> int | None:
        with self._sessions() as session:
            order = list(session.execute(select(QueueEntry.ticket_id).order_by(*_ORDER)).scalars())
        return order.index(ticket_id) + 1 if ticket_id in order else None

    def length(self) -> int:
        with self._sessions() as session:
            return int(session.execute(select(func.count()).select_from(QueueEntry)).scalar_one())

    def set_presence(
        self, agent: str, status: str, *, now: datetime, teams: Iterable[str] | None = None
    ) -> None:
        if status not in PRESENCE_STATUSES:
            raise ValueError(f"presence must be one of {', '.join(PRESENCE_STATUSES)}")
        values = dict(agent=agent, status=status, teams=_normal_teams(teams), last_seen=now)
        with transaction(self._sessions) as session:
            session.execute(
                _upsert(
                    session,
                    AgentPresence,
                    "agent",
                    values,
                    lambda new: {
                        "status": new.status,
                        "teams": new.teams,
                        "last_seen": new.last_seen,
                    },
                )
            )
        logger.info("agent %s is %s", agent, status)

    def heartbeat(self, agent: str, *, now: datetime) -> bool:
        return self.refresh(agent, now=now) is not None

    def refresh(self, agent: str, *, now: datetime) -> Presence | None:
        """The heartbeat: the agent's refreshed presence, or None when they were not on duty."""
        with transaction(self._sessions) as session:
            row = session.execute(
                update(AgentPresence)
                .where(
                    AgentPresence.agent == agent,
                    AgentPresence.status == "on_duty",
                    AgentPresence.last_seen >= now - self.presence_ttl,
                )
                .values(last_seen=now)
                .returning(AgentPresence.agent, AgentPresence.teams, AgentPresence.last_seen)
            ).one_or_none()
        return None if row is None else Presence(*row)

    def on_duty(self, *, now: datetime, team: str | None = None) -> list[str]:
        with self._sessions() as session:
            rows = session.execute(
                select(AgentPresence.agent, AgentPresence.teams)
                .where(
                    AgentPresence.status == "on_duty",
                    AgentPresence.last_seen >= now - self.presence_ttl,
                )
                .order_by(AgentPresence.agent)
            ).all()
        return [agent for agent, teams in rows if _can_take(teams, team)]

    def presences(self) -> list[Presence]:
        """Every agent marked on duty, whether their heartbeat is fresh or not."""
        with self._sessions() as session:
            rows = session.execute(
                select(AgentPresence.agent, AgentPresence.teams, AgentPresence.last_seen).where(
                    AgentPresence.status == "on_duty"
                )
            )
            return [Presence(*row) for row in rows]

    def rebuild(self) -> int:
        """Nothing to rebuild: the database is the queue."""
        return self.length()

    def close(self) -> None:
        """Nothing held: sessions come from the factory and go back to its pool."""

    def health(self) -> dict[str, Any]:
        try:
            return {"ok": True, "backend": self.backend, "length": self.length()}
        except SQLAlchemyError as exc:
            return {"ok": False, "backend": self.backend, "error": type(exc).__name__}


# --- Redis ------------------------------------------------------------------------------------

# Pops the first item (lowest score) the agent may take.
# KEYS[1]: the queue (sorted set), KEYS[2]: the items (hash of JSON).
# ARGV[1]: "1" to keep to the teams in ARGV[2..], "0" for any item.
# Returns {ticket_id, item JSON or ""}, or nil when nothing fits.
CLAIM_NEXT_LUA = """
local filtered = ARGV[1] == '1'
local allowed = {}
for i = 2, #ARGV do allowed[ARGV[i]] = true end
local offset = 0
while true do
  local batch = redis.call('ZRANGE', KEYS[1], offset, offset + 99)
  if #batch == 0 then return false end
  for _, id in ipairs(batch) do
    local payload = redis.call('HGET', KEYS[2], id)
    local team = nil
    if payload then team = cjson.decode(payload)['team'] end
    if not filtered or team == nil or team == cjson.null or allowed[team] then
      redis.call('ZREM', KEYS[1], id)
      redis.call('HDEL', KEYS[2], id)
      return {id, payload or ''}
    end
  end
  offset = offset + 100
end
"""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TOP_TIER = (len(SEVERITY_RANK) - 1) * (MAX_BOOST + 1) + MAX_BOOST


def redis_score(item: QueueItem) -> int:
    """Sorted-set score, lowest served first: the priority tier, then milliseconds waited.

    (tiers below the top) × 10^13 + enqueue time in ms stays below 2^53, exact in a double.
    """
    tier = SEVERITY_RANK[item.severity] * (MAX_BOOST + 1) + item.boost
    return (_TOP_TIER - tier) * 10**13 + (item.enqueued_at - _EPOCH) // timedelta(milliseconds=1)


def _text(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


class RedisKeys:
    """Every Redis key of one queue, under one prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.queue = f"{prefix}:queue"  # sorted set: ticket id -> redis_score
        self.items = f"{prefix}:items"  # hash: ticket id -> QueueItem JSON
        self.presence = f"{prefix}:presence"  # sorted set: agent -> last heartbeat (epoch s)
        self.built = f"{prefix}:built"  # when the last rebuild finished: the keys are complete

    def agent(self, name: str) -> str:
        """The agent's teams as JSON; expires with the presence TTL."""
        return f"{self.prefix}:agent:{name}"


class RedisQueue(HandoffQueue):
    """The database queue with a Redis index for ordering, positions and atomic claims."""

    backend = "redis"

    def __init__(
        self,
        redis_client: redis.Redis,
        sessions: sessionmaker[Session],
        *,
        prefix: str = DEFAULT_REDIS_PREFIX,
        presence_ttl: timedelta = PRESENCE_TTL,
        retry_after: float = 5.0,
    ) -> None:
        super().__init__(sessions, presence_ttl=presence_ttl)
        self._redis = redis_client
        self._db = DatabaseQueue(sessions, presence_ttl=presence_ttl)
        self.keys = RedisKeys(prefix)
        self._claim_next_script = redis_client.register_script(CLAIM_NEXT_LUA)
        # Set when Redis missed a change: the next operation that reaches it rebuilds first.
        self._stale = False
        self._retry_after = retry_after
        self._retry_at = 0.0

    # Degraded mode: the database answers while Redis is unreachable.

    def _went_down(self, exc: Exception) -> None:
        if not self._stale:
            logger.warning(
                "Redis unreachable (%s): the handoff queue runs on the database until it is back",
                type(exc).__name__,
            )
        self._stale = True
        self._retry_at = time.monotonic() + self._retry_after

    def _redis_or_db(self, on_redis: Callable[[], T], on_db: Callable[[], T]) -> T:
        if time.monotonic() >= self._retry_at:
            try:
                # No marker: Redis lost our keys (restarted without persistence, evicted).
                if self._stale or not self._redis.exists(self.keys.built):
                    self.rebuild()
                return on_redis()
            except REDIS_DOWN as exc:
                self._went_down(exc)
        return on_db()

    def _mirror(self, write: Callable[[], object]) -> None:
        """Copies a change already in the database to Redis (a rebuild when it is behind)."""
        self._redis_or_db(write, lambda: None)

    # Queue.

    def _write_items(self, items: Sequence[QueueItem], *, only_missing: bool = False) -> None:
        pipe = self._redis.pipeline(transaction=True)
        for item in items:
            pipe.zadd(self.keys.queue, {item.ticket_id: redis_score(item)}, nx=only_missing)
            if only_missing:
                pipe.hsetnx(self.keys.items, item.ticket_id, item.to_json())
            else:
                pipe.hset(self.keys.items, item.ticket_id, item.to_json())
        pipe.execute()

    def _forget_item(self, ticket_id: str) -> None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.zrem(self.keys.queue, ticket_id)
        pipe.hdel(self.keys.items, ticket_id)
        pipe.execute()

    def enqueue(
        self,
        ticket_id: str,
        conversation_id: int | None,
        severity: str,
        *,
        team: str | None = None,
        boost: int = 0,
        now: datetime,
    ) -> QueueItem:
        item = self._db.enqueue(
            ticket_id, conversation_id, severity, team=team, boost=boost, now=now
        )
        self._mirror(lambda: self._write_items([item]))
        return item

    def prioritise(self, ticket_id: str, *, severity: str, boost: int) -> QueueItem | None:
        return self._mirrored(self._db.prioritise(ticket_id, severity=severity, boost=boost))

    def set_severity(self, ticket_id: str, severity: str) -> QueueItem | None:
        return self._mirrored(self._db.set_severity(ticket_id, severity))

    def _mirrored(self, item: QueueItem | None) -> QueueItem | None:
        """A queued item the database has just changed, rewritten in Redis (its score too)."""
        if item is not None:
            self._mirror(lambda: self._write_items([item]))
        return item

    def claim_next(
        self, agent: str, *, teams: Iterable[str] | None = None, now: datetime
    ) -> QueueItem | None:
        allowed = _normal_teams(teams)
        return self._redis_or_db(
            lambda: self._claim_next_on_redis(agent, allowed, now),
            lambda: self._db.claim_next(agent, teams=allowed, now=now),
        )

    def _claim_next_on_redis(
        self, agent: str, teams: list[str] | None, now: datetime
    ) -> QueueItem | None:
        args = ["0"] if teams is None else ["1", *teams]
        while True:
            popped = self._claim_next_script(keys=[self.keys.queue, self.keys.items], args=args)
            if popped is None:
                return None
            ticket_id = _text(popped[0])
            try:
                item = self._db.claim(ticket_id, agent, now=now)
            except Exception:
                self._stale = True  # popped from Redis but still queued in the database
                raise
            if item is not None:
                return item
            logger.warning("handoff queue: dropped %s, in Redis but no longer queued", ticket_id)

    def claim(self, ticket_id: str, agent: str, *, now: datetime) -> QueueItem | None:
        item = self._db.claim(ticket_id, agent, now=now)
        if item is not None:
            self._mirror(lambda: self._forget_item(ticket_id))
        return item

    def remove(self, ticket_id: str) -> bool:
        removed = self._db.remove(ticket_id)
        self._mirror(lambda: self._forget_item(ticket_id))
        return removed

    def _items_on_redis(self) -> list[QueueItem]:
        ids = cast(list[str | bytes], self._redis.zrange(self.keys.queue, 0, -1))
        if not ids:
            return []
        payloads = self._redis.hmget(self.keys.items, ids)
        # An item claimed between the two calls has no payload any more: it is gone.
        return [QueueItem.from_json(payload) for payload in payloads if payload is not None]

    def items(self) -> list[QueueItem]:
        return self._redis_or_db(self._items_on_redis, self._db.items)

    def get(self, ticket_id: str) -> QueueItem | None:
        def on_redis() -> QueueItem | None:
            payload = self._redis.hget(self.keys.items, ticket_id)
            return None if payload is None else QueueItem.from_json(payload)

        return self._redis_or_db(on_redis, lambda: self._db.get(ticket_id))

    def position(self, ticket_id: str) -> int | None:
        def on_redis() -> int | None:
            rank = cast(int | None, self._redis.zrank(self.keys.queue, ticket_id))
            return None if rank is None else int(rank) + 1

        return self._redis_or_db(on_redis, lambda: self._db.position(ticket_id))

    def length(self) -> int:
        return self._redis_or_db(lambda: int(self._redis.zcard(self.keys.queue)), self._db.length)

    # Presence: written to the database, mirrored in Redis with TTL keys.

    def _write_presence(self, presences: Sequence[Presence], now: datetime) -> None:
        ttl = max(1, math.ceil(self.presence_ttl.total_seconds()))
        pipe = self._redis.pipeline(transaction=True)
        for presence in presences:
            pipe.zadd(self.keys.presence, {presence.agent: presence.last_seen.timestamp()}, gt=True)
            pipe.set(self.keys.agent(presence.agent), json.dumps(presence.teams), ex=ttl)
        cutoff = (now - self.presence_ttl).timestamp()
        pipe.zremrangebyscore(self.keys.presence, "-inf", f"({cutoff}")
        pipe.execute()

    def set_presence(
        self, agent: str, status: str, *, now: datetime, teams: Iterable[str] | None = None
    ) -> None:
        teams = _normal_teams(teams)
        self._db.set_presence(agent, status, now=now, teams=teams)

        def write() -> None:
            if status == "on_duty":
                self._write_presence([Presence(agent, teams, now)], now)
            else:
                pipe = self._redis.pipeline(transaction=True)
                pipe.zrem(self.keys.presence, agent)
                pipe.delete(self.keys.agent(agent))
                pipe.execute()

        self._mirror(write)

    def heartbeat(self, agent: str, *, now: datetime) -> bool:
        presence = self._db.refresh(agent, now=now)
        if presence is not None:
            self._mirror(lambda: self._write_presence([presence], now))
        return presence is not None

    def _on_duty_on_redis(self, now: datetime, team: str | None) -> list[str]:
        cutoff = (now - self.presence_ttl).timestamp()
        found = cast(
            list[str | bytes], self._redis.zrangebyscore(self.keys.presence, cutoff, "+inf")
        )
        names = [_text(name) for name in found]
        if not names:
            return []
        teams = self._redis.mget([self.keys.agent(name) for name in names])
        # A missing key expired in Redis: that agent is gone even if the score looks fresh.
        return sorted(
            name
            for name, agent_teams in zip(names, teams, strict=True)
            if agent_teams is not None and _can_take(json.loads(agent_teams), team)
        )

    def on_duty(self, *, now: datetime, team: str | None = None) -> list[str]:
        return self._redis_or_db(
            lambda: self._on_duty_on_redis(now, team),
            lambda: self._db.on_duty(now=now, team=team),
        )

    # Maintenance.

    def rebuild(self) -> int:
        """Clears this queue's Redis keys and restores them from the database.

        Clear first, read the database next, then add only what is missing: a change made
        meanwhile is either in what was read or reaches Redis after the clear, so nothing
        is lost; an item claimed meanwhile may come back, and a claim drops it when the
        database says it is gone. The `built` marker, set last, tells every process that
        the keys are complete; without it (Redis restarted empty) the next operation rebuilds.
        """
        self._redis.delete(self.keys.queue, self.keys.items, self.keys.presence)
        items = self._db.items()
        agents = self._db.presences()
        if items:
            self._write_items(items, only_missing=True)
        if agents:
            self._write_presence(agents, max(agent.last_seen for agent in agents))
        self._redis.set(self.keys.built, utcnow().isoformat())
        self._stale = False
        logger.info(
            "handoff queue rebuilt in Redis: %d item(s), %d agent(s)", len(items), len(agents)
        )
        return len(items)

    def health(self) -> dict[str, Any]:
        try:
            pipe = self._redis.pipeline(transaction=False)
            pipe.zcard(self.keys.queue)
            pipe.exists(self.keys.built)
            length, built = pipe.execute()
        except redis.RedisError as exc:
            report: dict[str, Any] = {
                "ok": False,
                "backend": self.backend,
                "error": type(exc).__name__,
                "fallback": "database",
            }
            with contextlib.suppress(SQLAlchemyError):
                report["length"] = self._db.length()
            return report
        report = {"ok": True, "backend": self.backend, "length": int(length)}
        if self._stale or not built:
            report["rebuild_pending"] = True
        return report

    def close(self) -> None:
        self._redis.close()


def connect_redis(url: str, *, timeout: float = 5.0) -> redis.Redis:
    """A Redis client that gives up fast: one immediate retry (a pooled connection that
    went stale in a restart), not redis-py's default ten with backoff, so an outage costs
    an operation milliseconds before the queue turns to the database."""
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 1),
        decode_responses=True,
    )


def make_queue(
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    prefix: str = DEFAULT_REDIS_PREFIX,
    timeout: float = 5.0,
) -> HandoffQueue:
    """RedisQueue when COMPLAINTBOT_REDIS_URL is set, else the embedded DatabaseQueue."""
    if not settings.redis_url:
        return DatabaseQueue(sessions)
    return RedisQueue(connect_redis(settings.redis_url, timeout=timeout), sessions, prefix=prefix)
