"""Request-rate caps on the customer entry points: per sender and per client address.

A sliding window of the last minute, counted in this gateway process's memory: behind a
load balancer every replica counts its own share, so the effective cap is the setting times
the number of replicas a client's requests are spread over. A refused request is not
recorded (so a client that waits `Retry-After` seconds gets through) and nothing it carried
is stored: the caller answers 429 and tells the client to send it again later.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_address

from fastapi import HTTPException, Request
from starlette.requests import HTTPConnection

from bot.config import Settings

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0
# REST clients that cannot be pushed to poll GET /webhooks/rest/messages: their polls get a
# budget of their own, this many times the per-sender message cap.
POLLS_PER_MESSAGE = 4
# Keys kept before idle ones are swept (a flood of made-up sender ids must not grow memory).
SWEEP_AT_KEYS = 50_000

Network = IPv4Network | IPv6Network
# (key, most hits allowed in the window, what the client is told it sent too many of)
Check = tuple[Hashable, int, str]


@dataclass(frozen=True)
class Refusal:
    """Why a request was refused and when the client may try again."""

    reason: str
    retry_after: int

    def explain(self, then: str) -> str:
        """What the client reads: the cap it hit, then `then` ({n}: seconds to wait)."""
        return f"Too many {self.reason} in the last minute. " + then.format(n=self.retry_after)


class RateLimiter:
    """Counts hits per key over a sliding window; one instance per gateway process."""

    def __init__(
        self, window: float = WINDOW_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.window = window
        self.clock = clock
        self._hits: dict[Hashable, deque[float]] = {}

    def _recent(self, key: Hashable, now: float) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            return deque()
        while hits and round(now - hits[0], 6) >= self.window:  # rounded as Retry-After is
            hits.popleft()
        return hits

    def _sweep(self, now: float) -> None:
        for key in [k for k, hits in self._hits.items() if not self._recent(k, now)]:
            del self._hits[key]

    def hit(self, checks: Sequence[Check]) -> Refusal | None:
        """Records one hit on every `(key, limit, reason)` when all are under their limit
        (a limit of 0 is no limit) and returns None; otherwise records nothing and returns
        the refusal of the key that frees up last."""
        now = self.clock()
        refusal: Refusal | None = None
        for key, limit, reason in checks:
            if limit <= 0:
                continue
            hits = self._recent(key, now)
            if len(hits) >= limit:
                # The oldest hit that must expire before one more fits in the window.
                wait = max(1, math.ceil(round(hits[len(hits) - limit] + self.window - now, 6)))
                if refusal is None or wait > refusal.retry_after:
                    refusal = Refusal(reason, wait)
        if refusal is not None:
            return refusal
        if len(self._hits) >= SWEEP_AT_KEYS:
            self._sweep(now)
        for key, limit, _reason in checks:
            if limit > 0:
                self._hits.setdefault(key, deque()).append(now)
        return None


def client_ip(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """The client's address: the direct peer, unless the peer is a trusted proxy, in which
    case X-Forwarded-For is read from the right, skipping trusted proxies (anything left of
    the first untrusted hop could be made up by the client)."""
    candidate = peer or "unknown"
    if not forwarded_for or not _trusted(candidate, trusted):
        return candidate
    for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
        try:
            address = str(ip_address(hop))
        except ValueError:
            return candidate  # garbage in the header: the last hop we could trust
        candidate = address
        if not _trusted(address, trusted):
            return address
    return candidate


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in trusted)


def request_ip(connection: HTTPConnection, settings: Settings) -> str:
    """The client address of a request or a WebSocket: the one function every per-address
    decision uses (rate caps, the web chat's connections, the console sign-in throttle)."""
    peer = connection.client.host if connection.client is not None else None
    forwarded = connection.headers.get("x-forwarded-for")
    trusted = settings.trusted_proxy_networks
    if not trusted and peer is not None:
        _note_private_peer(peer)
    return client_ip(peer, forwarded, trusted)


_warned_private_peer = False


def shared_address_warning(peer: str) -> str | None:
    """Why a direct peer at `peer` (with no trusted proxies) may stand for many clients: a
    private, non-loopback address is a reverse proxy, a load balancer or a Docker bridge."""
    try:
        address = ip_address(peer)
    except ValueError:
        return None
    if address.is_loopback or not address.is_private:
        return None
    return (
        f"clients reach this gateway from the private address {peer} and "
        "COMPLAINTBOT_TRUSTED_PROXIES is empty: if that is a reverse proxy, a load balancer "
        "or a Docker bridge, every client shares its address for the rate caps and the "
        "console sign-in throttle; list it in COMPLAINTBOT_TRUSTED_PROXIES"
    )


def _note_private_peer(peer: str) -> None:
    """Warns once per process about the first private direct peer (see above)."""
    global _warned_private_peer
    if _warned_private_peer:
        return
    warning = shared_address_warning(peer)
    if warning is not None:
        _warned_private_peer = True
        logger.warning(warning)


def address_check(settings: Settings, ip: str) -> Check:
    """The cap shared by every customer request and web chat connection from one address."""
    return (("ip", ip), settings.rate_limit_per_ip, "requests from your address")


def sender_checks(
    settings: Settings, channel: str, sender: str, ip: str, *, poll: bool = False
) -> list[Check]:
    """The caps one customer message (or poll) counts against."""
    per_sender = settings.rate_limit_per_sender
    if poll:
        own: Check = (
            ("poll", channel, sender),
            per_sender * POLLS_PER_MESSAGE,
            "polls for this sender",
        )
    else:
        own = (("send", channel, sender), per_sender, "messages from this sender")
    return [own, address_check(settings, ip)]


NOT_SAVED = "It was not saved: please send it again in {n} seconds."
NOTHING_LOST = "Nothing is lost: messages for you wait here; ask again in {n} seconds."
RECONNECT = "Connect again in {n} seconds."


def enforce(request: Request, checks: Sequence[Check], then: str = NOT_SAVED) -> None:
    """Raises HTTP 429 (with Retry-After) when the request is over one of its caps; `then`
    tells the client what became of its request and when to try again."""
    limiter: RateLimiter = request.app.state.limiter
    refusal = limiter.hit(checks)
    if refusal is not None:
        raise HTTPException(
            status_code=429,
            detail=refusal.explain(then),
            headers={"Retry-After": str(refusal.retry_after)},
        )
