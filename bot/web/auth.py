"""Authentication for the API: who is calling, or 401.

Two kinds of token: the service token (COMPLAINTBOT_API_TOKEN, full access, for
integrations and tests) and agents' own tokens (`complaintbot agents add`), stored hashed.
What each role may do is decided in bot.tickets.permissions (403 when it may not).
The agent console signs in with a password instead and holds a session cookie.
"""

from __future__ import annotations

import hmac
import math
from collections import OrderedDict, deque
from datetime import datetime, timedelta
from ipaddress import IPv6Address, ip_address, ip_network
from urllib.parse import urlparse

import anyio
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from bot.agents.service import agent_for_token
from bot.agents.sessions import agent_for_session
from bot.channels.limits import request_ip
from bot.clock import utcnow
from bot.routing.agent_desk import DeskAgent
from bot.tickets.audit import SERVICE, Actor

_bearer = HTTPBearer(
    auto_error=False,
    description="COMPLAINTBOT_API_TOKEN (service, full access) or an agent's own token",
)


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


def _is_service_token(request: Request, token: str) -> bool:
    expected = request.app.state.settings.api_token
    return expected is not None and hmac.compare_digest(
        token.encode("utf-8"), expected.get_secret_value().encode("utf-8")
    )


async def current_actor(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> Actor:
    """Who is calling: the service, or an active agent with their role; 401 otherwise."""
    if credentials is None or not credentials.credentials:
        raise _unauthorised("missing bearer token")
    token = credentials.credentials
    if _is_service_token(request, token):
        return SERVICE

    def lookup() -> Actor | None:
        with request.app.state.sessions() as session:
            agent = agent_for_token(session, token)
            return Actor.agent(agent.username, agent.role) if agent is not None else None

    actor = await anyio.to_thread.run_sync(lookup)
    if actor is None:
        raise _unauthorised("invalid token")
    return actor


# Kept for routers that only need "some valid token".
require_api_token = current_actor


# --- the agent console: a session cookie (or an agent's own bearer token) ------------------

CONSOLE_COOKIE = "cb_console"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CROSS_SITE = "cross-site request refused: the console's changes come from its own pages"


def cross_site(request: Request) -> bool:
    """True when a browser says the request comes from another site: `Sec-Fetch-Site`
    (every current browser sends it) other than same-origin or none (typed, bookmarked),
    else an `Origin` that is not this gateway's host. Clients that send neither (scripts,
    old browsers) are not browsers on another site's page; the cookie's SameSite=Strict
    covers those browsers."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site.strip().lower() not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return False
    own = {request.headers.get("host", ""), request.headers.get("x-forwarded-host", "")}
    return urlparse(origin.strip()).netloc.lower() not in {h.strip().lower() for h in own if h}


# The agent using the console: who they are for the audit trail and for customers (the
# same identity the Telegram agents' group acts with).
ConsoleAgent = DeskAgent


def console_agent_for(
    sessions: sessionmaker[Session], token: str, now: datetime
) -> ConsoleAgent | None:
    """The agent of a console session token or an agent API token; None otherwise."""
    with sessions() as session:
        agent = agent_for_session(session, token, now=now) or agent_for_token(session, token)
        if agent is None:
            return None
        return ConsoleAgent(Actor.agent(agent.username, agent.role), agent.display_name)


async def console_agent(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> ConsoleAgent:
    """The signed-in agent (console cookie, or an agent's bearer token for scripts); 401
    otherwise. The service token has no person behind it, so it cannot work tickets here."""
    cookie = request.cookies.get(CONSOLE_COOKIE)
    token = cookie or (credentials.credentials if credentials is not None else "")
    if not token:
        raise _unauthorised("not signed in")
    if cookie and request.method not in SAFE_METHODS and cross_site(request):
        # A page elsewhere making the agent's browser claim, release or acknowledge.
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=CROSS_SITE)
    clock = getattr(request.app.state, "clock", utcnow)
    found = await anyio.to_thread.run_sync(
        console_agent_for, request.app.state.sessions, token, clock()
    )
    if found is None:
        raise _unauthorised("session expired or signed out; sign in again")
    return found


async def actor_or_console(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> Actor:
    """A bearer token (the service's or an agent's), or else the console's session cookie:
    for endpoints both integrations and the console page use (SLA alerts)."""
    if credentials is not None and credentials.credentials:
        return await current_actor(request, credentials)
    if request.cookies.get(CONSOLE_COOKIE):
        return (await console_agent(request, None)).actor
    raise _unauthorised("missing bearer token or console session")


# --- the console sign-in: guessing is throttled ---------------------------------------------

# Failed sign-ins allowed within LOGIN_WINDOW: per username from one address, and per address
# whatever the usernames (someone trying many names). Module constants, not settings: no
# deployment has asked to change them.
LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_FAILURES_PER_USERNAME = 5
LOGIN_FAILURES_PER_ADDRESS = 20
# Keys kept at most (least recently used dropped first): random usernames cannot fill memory.
LOGIN_THROTTLE_MAX_KEYS = 10_000


class LoginThrottle:
    """Failed console sign-ins in a sliding window, per username + client address and per
    client address.

    In memory and per gateway process: a restart forgets, and with N gateway replicas a
    guesser gets N times the attempts (still a handful per quarter hour each). The client
    address is the rate caps' (client_address): behind a proxy listed in
    COMPLAINTBOT_TRUSTED_PROXIES, the client its X-Forwarded-For names.

    An attempt counts when it starts (`admit`), so a burst of parallel requests cannot all
    slip in before the first one fails; a success takes it back and clears the username's
    failures from that address.
    """

    def __init__(
        self,
        *,
        window: timedelta = LOGIN_WINDOW,
        per_username: int = LOGIN_FAILURES_PER_USERNAME,
        per_address: int = LOGIN_FAILURES_PER_ADDRESS,
        max_keys: int = LOGIN_THROTTLE_MAX_KEYS,
    ) -> None:
        self.window = window
        self.limits = {"username": per_username, "address": per_address}
        self.max_keys = max_keys
        self._failures: OrderedDict[tuple[str, ...], deque[datetime]] = OrderedDict()

    @staticmethod
    def _keys(username: str, address: str) -> dict[str, tuple[str, ...]]:
        return {
            "username": ("username", username.strip().lower(), address),
            "address": ("address", address),
        }

    def _recent(
        self, key: tuple[str, ...], now: datetime, *, create: bool = True
    ) -> deque[datetime]:
        failures = self._failures.get(key)
        if failures is None:
            if not create:
                return deque()  # nothing to keep for a key that has no failures
            failures = self._failures[key] = deque()
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)
        self._failures.move_to_end(key)
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def admit(self, username: str, address: str, now: datetime) -> int | None:
        """Counts an attempt and returns None, or returns the seconds to wait (nothing
        counted) when too many attempts failed lately."""
        keys = self._keys(username, address)
        recent = {kind: self._recent(key, now, create=False) for kind, key in keys.items()}
        waits = [
            (failures[-self.limits[kind]] + self.window - now).total_seconds()
            for kind, failures in recent.items()
            if len(failures) >= self.limits[kind]
        ]
        if waits:
            return max(1, math.ceil(max(waits)))  # refused: no key made, nothing counted
        for key in keys.values():
            self._recent(key, now).append(now)
        return None

    def succeeded(self, username: str, address: str, now: datetime) -> None:
        """The attempt admitted at `now` was right: it does not count, nor do the earlier
        failures of this username from this address."""
        keys = self._keys(username, address)
        self._failures.pop(keys["username"], None)
        by_address = self._failures.get(keys["address"])
        if by_address is not None and now in by_address:
            by_address.remove(now)


def login_throttle(request: Request) -> LoginThrottle:
    """The gateway's throttle, made on first use."""
    throttle: LoginThrottle | None = getattr(request.app.state, "login_throttle", None)
    if throttle is None:
        throttle = request.app.state.login_throttle = LoginThrottle()
    return throttle


def client_address(request: Request) -> str:
    """The client's address as the rate caps see it (X-Forwarded-For believed only from
    COMPLAINTBOT_TRUSTED_PROXIES): behind a proxy, not the proxy's address for everyone."""
    return request_ip(request, request.app.state.settings)


def login_address(request: Request) -> str:
    """The client address the sign-in throttle counts: an IPv6 client's /64 (one home or
    one server gets a whole /64 to pick addresses from), an IPv4 client's address."""
    return address_group(client_address(request))


def address_group(address: str) -> str:
    """`address` itself for IPv4 (also IPv4-mapped IPv6), its /64 network for IPv6; text that
    is not an address unchanged."""
    try:
        parsed = ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
