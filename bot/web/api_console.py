"""The agent console's API: sign-in, presence, the queue, claiming, the conversation and
the ticket actions that end or pass on a human's work (DESIGN §5 handoff)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, TypeVar

import anyio
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from bot.agents.passwords import MAX_PASSWORD_CHARS, authenticate
from bot.agents.service import agent_locale
from bot.agents.sessions import SESSION_LIFETIME, end_session, start_session
from bot.clock import utcnow
from bot.db import transaction
from bot.handoff import desk
from bot.handoff.queue import HandoffQueue
from bot.privacy import username_hint
from bot.routing.agent_desk import AgentDesk, Claimed
from bot.routing.customer_context import EARLIER_LIMIT, customer_context
from bot.routing.handover import Handover
from bot.tickets.lifecycle import InvalidTransition
from bot.tickets.models import Ticket
from bot.tickets.numbering import normalise_ticket_id
from bot.tickets.permissions import Forbidden, check_update
from bot.tickets.service import (
    InvalidChange,
    TicketNotFound,
    add_note,
    apply_changes,
    lock_ticket,
    ticket_to_dict,
)
from bot.tickets.teams import mine_first
from bot.web.api_tickets import Severity, TicketOut, _policy
from bot.web.auth import (
    CONSOLE_COOKIE,
    LOGIN_FAILURES_PER_ADDRESS,
    LOGIN_FAILURES_PER_USERNAME,
    LOGIN_WINDOW,
    ConsoleAgent,
    console_agent,
    login_address,
    login_throttle,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

AUTH_DOC = """
Sign in with `POST /api/console/login`: the answer sets an HttpOnly, SameSite=Strict
session cookie (12 hours, ended by logout or when the agent is deactivated). Scripts may
send an agent's own token as `Authorization: Bearer` instead. The service token cannot
work tickets: every action here is done by, and audited as, a person.

Agents act on their own tickets and conversations; supervisors and admins on anyone's.
"""

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "not signed in, or the session ended"},
    403: {"description": "the ticket or conversation belongs to another agent"},
    404: {"description": "no such ticket or conversation"},
    409: {"description": "not possible in the current state (already claimed, not yours yet)"},
    422: {"description": "invalid input"},
}

router = APIRouter(tags=["console"], responses=ERRORS)

MAX_MESSAGE_CHARS = 4000
MAX_NOTE_CHARS = 4000


def _clock(request: Request) -> Callable[[], Any]:
    return getattr(request.app.state, "clock", utcnow)


@contextmanager
def _http_errors() -> Iterator[None]:
    """Turns the services' refusals into HTTP answers."""
    try:
        yield
    except (LookupError, TicketNotFound) as exc:
        raise HTTPException(404, detail=str(exc).strip("'\"")) from None
    except Forbidden as exc:
        raise HTTPException(403, detail=str(exc)) from None
    except (desk.Conflict, InvalidTransition) as exc:
        raise HTTPException(409, detail=str(exc)) from None
    except (InvalidChange, ValueError) as exc:
        raise HTTPException(422, detail=str(exc)) from None


async def _run(work: Callable[[], T]) -> T:
    """Runs service code in a thread and turns its refusals into HTTP answers."""
    with _http_errors():
        return await anyio.to_thread.run_sync(work)


def _desk(request: Request) -> AgentDesk:
    """Claims, messages, resolve and release: the same code path as the Telegram group's."""
    agent_desk: AgentDesk = request.app.state.desk
    return agent_desk


def ticket_id_or_404(raw: str) -> str:
    """The canonical ticket id, or HTTP 404 for one that cannot be a ticket's."""
    canonical = normalise_ticket_id(raw)
    if canonical is None:
        raise HTTPException(404, detail="no such ticket")
    return canonical


def _wake(request: Request) -> None:
    """Tells the console sockets of this gateway that something changed."""
    live = getattr(request.app.state, "console_live", None)
    if live is not None:
        live.wake()


# --- sign-in ---------------------------------------------------------------------------------


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=40)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_CHARS)


class Me(BaseModel):
    username: str
    display_name: str = Field(description="what customers see for this agent")
    role: str
    locale: str | None = Field(
        default=None, description="the console language they chose; null: not chosen yet"
    )


@router.post(
    "/api/console/login",
    summary="Sign in to the console with a username and password",
    description="Sets the session cookie. 401 for any wrong username or password (the "
    "answer does not say which). Passwords are set with `complaintbot agents set-password`. "
    f"After {LOGIN_FAILURES_PER_USERNAME} failed attempts for one username from one address, "
    f"or {LOGIN_FAILURES_PER_ADDRESS} from one address, within "
    f"{int(LOGIN_WINDOW.total_seconds()) // 60} minutes: 429 with `Retry-After` (seconds), "
    "even for the right password; a success clears that username's failures.",
    response_model=Me,
    responses={429: {"description": "too many failed sign-ins lately; see Retry-After"}},
)
async def login(request: Request, response: Response, body: Login) -> dict[str, Any]:
    now = _clock(request)()
    throttle, address = login_throttle(request), login_address(request)
    wait = throttle.admit(body.username, address, now)
    if wait is not None:
        logger.warning("console sign-in as %s from %s refused: too many failed attempts, "
                       "locked for %d s", username_hint(body.username), address, wait)  # fmt: skip
        raise HTTPException(
            429,
            detail=f"too many failed sign-ins; try again in {wait} seconds",
            headers={"Retry-After": str(wait)},
        )

    def work() -> tuple[dict[str, Any], str] | None:
        with transaction(request.app.state.sessions) as session:
            agent = authenticate(session, username=body.username, password=body.password)
            if agent is None:
                return None
            token = start_session(session, agent=agent, now=now)
            me = {"username": agent.username, "display_name": agent.display_name,
                  "role": agent.role, "locale": agent.locale}  # fmt: skip
            return me, token

    found = await anyio.to_thread.run_sync(work)
    if found is None:
        logger.info("console sign-in as %s from %s refused: wrong username or password",
                    username_hint(body.username), address)  # fmt: skip
        raise HTTPException(401, detail="wrong username or password")
    throttle.succeeded(body.username, address, now)
    me, token = found
    response.set_cookie(
        CONSOLE_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        # Always in production: behind a TLS-terminating proxy the gateway itself sees http.
        secure=request.url.scheme == "https" or request.app.state.settings.env == "production",
        path="/",
    )
    return me


@router.post("/api/console/logout", status_code=204, summary="Sign out (ends the session)")
async def logout(request: Request, response: Response) -> Response:
    token = request.cookies.get(CONSOLE_COOKIE)
    if token:

        def work() -> None:
            with transaction(request.app.state.sessions) as session:
                end_session(session, token)

        await anyio.to_thread.run_sync(work)
    response = Response(status_code=204)
    response.delete_cookie(CONSOLE_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/api/console/me", summary="The signed-in agent", response_model=Me)
async def me(request: Request, agent: ConsoleAgent = Depends(console_agent)) -> dict[str, Any]:
    def work() -> str | None:
        with request.app.state.sessions() as session:
            return agent_locale(session, agent.username)

    return {"username": agent.username, "display_name": agent.display_name,
            "role": agent.actor.role, "locale": await _run(work)}  # fmt: skip


# --- presence --------------------------------------------------------------------------------


class PresenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["on_duty", "away"]


class PresenceOut(BaseModel):
    status: Literal["on_duty", "away"]
    agents_on_duty: int


@router.post(
    "/api/console/presence",
    summary="Go on duty or away",
    description="On duty, the agent counts for wait estimates and must send a heartbeat "
    "at least every 90 s (the console does every 30 s)." + AUTH_DOC,
    response_model=PresenceOut,
)
async def presence(
    request: Request, body: PresenceIn, agent: ConsoleAgent = Depends(console_agent)
) -> dict[str, Any]:
    queue: HandoffQueue = request.app.state.queue
    now = _clock(request)()

    def work() -> int:
        queue.set_presence(agent.username, body.status, now=now)
        return len(queue.on_duty(now=now))

    return {"status": body.status, "agents_on_duty": await anyio.to_thread.run_sync(work)}


@router.post(
    "/api/console/heartbeat",
    summary="Stay on duty",
    description="`on_duty` false: the agent had dropped off (or is away) and must go on "
    "duty again.",
)
async def heartbeat(
    request: Request, agent: ConsoleAgent = Depends(console_agent)
) -> dict[str, bool]:
    queue: HandoffQueue = request.app.state.queue
    now = _clock(request)()
    alive = await anyio.to_thread.run_sync(lambda: queue.heartbeat(agent.username, now=now))
    return {"on_duty": alive}


# --- the queue -------------------------------------------------------------------------------


class TicketSummary(BaseModel):
    id: str
    status: str
    category: str
    severity: str
    emotion_peak: str | None
    description: str = Field(description="the first 160 characters")
    channel: str
    language: str
    assigned_agent: str | None
    created_at: str | None
    first_response_due: str | None
    sla_breached: bool


class QueueRow(BaseModel):
    position: int = Field(description="1: served next")
    ticket_id: str
    conversation_id: int | None
    severity: str
    boost: int
    team: str | None
    enqueued_at: str | None
    waiting_seconds: int
    ticket: TicketSummary | None


class QueueOut(BaseModel):
    items: list[QueueRow]
    agents_on_duty: int


def queue_snapshot(request_state: Any, now: Any) -> dict[str, Any]:
    """The queue as the console shows it (also pushed over the console socket)."""
    queue: HandoffQueue = request_state.queue
    items = queue.items()
    with request_state.sessions() as session:
        rows = desk.queue_rows(session, items, now=now)
    return {"items": rows, "agents_on_duty": len(queue.on_duty(now=now))}


@router.get(
    "/api/queue",
    summary="Tickets waiting for an agent, in serving order",
    description="Severity first (urgent, major, general), then reopened tickets, then "
    "the longest wait. With teams (COMPLAINTBOT_TEAMS), the tickets of the agent's teams "
    "come first, each part in that order; `position` stays the serving order." + AUTH_DOC,
    response_model=QueueOut,
)
async def queue_list(
    request: Request, agent: ConsoleAgent = Depends(console_agent)
) -> dict[str, Any]:
    now = _clock(request)()
    snapshot = await anyio.to_thread.run_sync(queue_snapshot, request.app.state, now)
    teams = getattr(request.app.state, "teams", None)
    if teams is not None:  # my teams' tickets first; `position` stays the serving order
        snapshot["items"] = mine_first(snapshot["items"], teams.of_member(agent.username))
    return snapshot


class ClaimedOut(BaseModel):
    ticket: TicketSummary
    conversation_id: int | None = Field(description="the customer's conversation, now yours")


def _claimed(claimed: Claimed) -> dict[str, Any]:
    return {"ticket": claimed.ticket, "conversation_id": claimed.conversation_id}


@router.post(
    "/api/queue/claim",
    summary="Take the next ticket in the queue",
    description="Atomic: two agents never get the same ticket. The ticket is assigned to "
    "the agent and in progress; the agent owns the conversation (the bot stays silent). "
    "404 when nothing is waiting." + AUTH_DOC,
    response_model=ClaimedOut,
)
async def claim_next(
    request: Request, agent: ConsoleAgent = Depends(console_agent)
) -> dict[str, Any]:
    with _http_errors():
        claimed = await _desk(request).claim_next(agent)
    if claimed is None:
        raise HTTPException(404, detail="nothing is waiting in the queue")
    return _claimed(claimed)


@router.post(
    "/api/queue/{ticket_id}/claim",
    summary="Take one ticket from the queue",
    description="409 when another agent took it first or it is no longer queued." + AUTH_DOC,
    response_model=ClaimedOut,
)
async def claim_one(
    request: Request, ticket_id: str, agent: ConsoleAgent = Depends(console_agent)
) -> dict[str, Any]:
    canonical = ticket_id_or_404(ticket_id)
    with _http_errors():
        return _claimed(await _desk(request).claim(canonical, agent))


# --- my tickets ------------------------------------------------------------------------------


class MyTicket(TicketSummary):
    conversation_id: int | None
    conversation_owner: str | None


@router.get(
    "/api/console/tickets",
    summary="The tickets assigned to the signed-in agent and not finished",
    response_model=list[MyTicket],
)
async def my_tickets(
    request: Request, agent: ConsoleAgent = Depends(console_agent)
) -> list[dict[str, Any]]:
    from sqlalchemy import select

    def work() -> list[dict[str, Any]]:
        with request.app.state.sessions() as session:
            tickets = session.scalars(
                select(Ticket)
                .where(
                    Ticket.assigned_agent == agent.username,
                    Ticket.status.not_in(desk.FINISHED_STATUSES),
                )
                .order_by(Ticket.created_at)
            )
            out = []
            for ticket in tickets:
                conversation = desk.conversation_of(session, ticket)
                out.append(
                    {
                        **desk.ticket_summary(ticket),
                        "conversation_id": conversation.id if conversation else None,
                        "conversation_owner": conversation.owner if conversation else None,
                    }
                )
            return out

    return await anyio.to_thread.run_sync(work)


@router.get(
    "/api/console/tickets/{ticket_id}",
    summary="One ticket with its audit trail, for the console's ticket pane",
    response_model=TicketOut,
)
async def console_ticket(
    request: Request, ticket_id: str, _agent: ConsoleAgent = Depends(console_agent)
) -> dict[str, Any]:
    canonical = ticket_id_or_404(ticket_id)

    def work() -> dict[str, Any]:
        with request.app.state.sessions() as session:
            ticket = session.get(Ticket, canonical)
            if ticket is None:
                raise LookupError("no such ticket")
            return ticket_to_dict(ticket)

    return await _run(work)


class EarlierComplaint(BaseModel):
    id: str
    created_at: str | None
    category: str
    status: str
    severity: str
    csat: int | None


class EmotionPoint(BaseModel):
    at: str | None = Field(description="when the customer wrote it, ISO 8601 UTC")
    level: Literal["calm", "upset", "angry", "furious"]
    score: float = Field(ge=0, le=1)
    excerpt: str = Field(description="the message's start, phone numbers and e-mails masked")


class CustomerContextOut(BaseModel):
    ticket_id: str
    earlier_complaints: list[EarlierComplaint] = Field(
        description=f"the customer's other tickets, newest first, at most {EARLIER_LIMIT}"
    )
    earlier_total: int = Field(description="how many other tickets the customer has in all")
    emotion: list[EmotionPoint] | None = Field(
        description="the emotion of each customer message the bot parsed in this "
        "conversation, oldest first; null when Rasa could not be asked"
    )
    emotion_note: str | None = Field(description="why `emotion` is null")


@router.get(
    "/api/console/tickets/{ticket_id}/context",
    summary="The customer beside the chat: earlier complaints and emotion over time",
    description="Emotion comes from the Rasa tracker of the ticket's conversation (the "
    "level the NLU gave each message); messages written to an agent are not parsed. When "
    "Rasa is unreachable the earlier complaints still come, with `emotion` null and a "
    "note." + AUTH_DOC,
    response_model=CustomerContextOut,
)
async def ticket_context(
    request: Request, ticket_id: str, _agent: ConsoleAgent = Depends(console_agent)
) -> dict[str, Any]:
    canonical = ticket_id_or_404(ticket_id)
    with _http_errors():
        return await customer_context(
            sessions=request.app.state.sessions, rasa=request.app.state.rasa, ticket_id=canonical
        )


# --- the conversation ------------------------------------------------------------------------
# --- the conversation ------------------------------------------------------------------------


class PressedButton(BaseModel):
    title: str | None = Field(description="the title of the button the bot offered; null: "
                              "no offered button had this payload")  # fmt: skip
    payload: str


class MessageOut(BaseModel):
    id: int
    conversation_id: int
    direction: Literal["in", "out"]
    # "from" is a Python keyword: the field is named from_ and serialised as "from".
    from_: str = Field(alias="from", description="customer, bot, agent or system")
    author: str = Field(description="customer, bot, system or agent:<username>")
    text: str
    buttons: list[dict[str, Any]]
    at: str | None
    name: str | None = Field(default=None, description="an agent's display name")
    button: PressedButton | None = Field(
        default=None, description="a customer's button press: what they saw and chose"
    )

    model_config = ConfigDict(populate_by_name=True)


class ConversationOut(BaseModel):
    id: int
    channel: str
    sender_id: str
    language: str | None
    owner: Literal["bot", "queue", "agent"]
    assigned_agent: str | None


class Transcript(BaseModel):
    conversation: ConversationOut
    messages: list[MessageOut]


@router.get(
    "/api/conversations/{conversation_id}/messages",
    summary="A conversation's transcript, the bot's part included",
    description="Oldest first; `after` returns only newer messages." + AUTH_DOC,
    response_model=Transcript,
    response_model_by_alias=True,
)
async def transcript(
    request: Request,
    conversation_id: int,
    after: int = Query(default=0, ge=0),
    limit: int = Query(default=500, ge=1, le=2000),
    _agent: ConsoleAgent = Depends(console_agent),
) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        with request.app.state.sessions() as session:
            return desk.transcript_page(
                session, conversation_id=conversation_id, after=after, limit=limit
            )

    return await _run(work)


class AgentMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)


class Sent(BaseModel):
    delivered: bool = Field(description="false: kept pending until the customer's next contact")
    first_response: bool = Field(description="this was the ticket's first human response")


@router.post(
    "/api/conversations/{conversation_id}/messages",
    status_code=201,
    summary="Send the customer a message as the agent",
    description="Stored, then pushed on the customer's channel (REST customers receive it "
    "on their next request or from `GET /webhooks/rest/messages`); shown with the "
    "agent's display name. The first one counts as the ticket's first response. 409 "
    "unless an agent has the conversation." + AUTH_DOC,
    response_model=Sent,
)
async def send_message(
    request: Request,
    conversation_id: int,
    body: AgentMessage,
    agent: ConsoleAgent = Depends(console_agent),
) -> dict[str, Any]:
    with _http_errors():
        sent = await _desk(request).send(conversation_id, agent, body.text)
    return {"delivered": sent.delivered, "first_response": sent.first_response}


# --- ending or passing on the work -----------------------------------------------------------


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_NOTE_CHARS)


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resolution_note: str = Field(
        min_length=1, max_length=MAX_NOTE_CHARS, description="what was done; kept on the ticket"
    )


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=MAX_NOTE_CHARS)


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_agent: str = Field(min_length=1, max_length=40, description="an active agent")
    note: str | None = Field(default=None, max_length=MAX_NOTE_CHARS)


async def _ticket_action(
    request: Request,
    ticket_id: str,
    agent: ConsoleAgent,
    change: Callable[[Any, Ticket], None],
) -> tuple[dict[str, Any], int | None, str | None]:
    """Locks the ticket, applies `change(session, ticket)`; returns the ticket record, its
    conversation id and that conversation's owner."""
    canonical = ticket_id_or_404(ticket_id)

    def work() -> tuple[dict[str, Any], int | None, str | None]:
        with transaction(request.app.state.sessions) as session:
            ticket = lock_ticket(session, canonical)
            change(session, ticket)
            conversation = desk.conversation_of(session, ticket)
            return (ticket_to_dict(ticket), conversation.id if conversation else None,
                    conversation.owner if conversation else None)  # fmt: skip

    return await _run(work)


@router.post(
    "/api/tickets/{ticket_id}/notes",
    status_code=201,
    summary="Add an internal note (never shown to the customer)",
    response_model=TicketOut,
)
async def note(
    request: Request, ticket_id: str, body: NoteIn, agent: ConsoleAgent = Depends(console_agent)
) -> dict[str, Any]:
    now = _clock(request)()
    text = body.text.strip()
    if not text:
        raise HTTPException(422, detail="the note is empty")

    def change(_session: Any, ticket: Ticket) -> None:
        check_update(agent.actor, ticket, {"note": text})
        add_note(ticket, text, actor=agent.actor, now=now)

    record, _conv, _owner = await _ticket_action(request, ticket_id, agent, change)
    return record


class SeverityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    severity: Severity
    reason: str = Field(min_length=1, max_length=MAX_NOTE_CHARS, description="kept on the trail")


@router.post(
    "/api/tickets/{ticket_id}/severity",
    summary="Change the ticket's severity, with a reason",
    description="The rules of `PATCH /api/tickets/{id}`: agents raise the severity of "
    "their own or unassigned tickets but never lower it (403), supervisors and admins "
    "change any. Both deadlines are recomputed from the ticket's creation; the audit "
    "event keeps the reason. A ticket waiting in the queue moves to its new severity's "
    "place, up or down. 422 when it is unchanged." + AUTH_DOC,
    response_model=TicketOut,
)
async def severity_change(
    request: Request,
    ticket_id: str,
    body: SeverityIn,
    agent: ConsoleAgent = Depends(console_agent),
) -> dict[str, Any]:
    now = _clock(request)()
    policy = _policy(request)
    reason = body.reason.strip()
    if not reason:
        raise HTTPException(422, detail="say why the severity changes")

    def change(session: Any, ticket: Ticket) -> None:
        if ticket.severity == body.severity:
            raise InvalidChange(f"the severity is already {body.severity}")
        changes = {"severity": body.severity}
        check_update(agent.actor, ticket, changes)
        apply_changes(session, ticket=ticket, changes=changes, actor=agent.actor, now=now,
                      policy=policy, severity_reason=reason)  # fmt: skip

    record, _conv, _owner = await _ticket_action(request, ticket_id, agent, change)
    queue: HandoffQueue = request.app.state.queue
    moved = await anyio.to_thread.run_sync(
        lambda: queue.set_severity(record["id"], record["severity"])
    )
    if moved is not None:
        _wake(request)  # the queue's order changed
    return record


@router.post(
    "/api/tickets/{ticket_id}/resolve",
    summary="Resolve the ticket with a resolution note; the bot has the conversation again",
    description="The status goes to resolved through the lifecycle (409 from a final "
    "status), the ticket leaves the queue if it was still there, the customer's "
    "conversation goes back to the bot, and the bot's follow-up asks for a rating." + AUTH_DOC,
    response_model=TicketOut,
)
async def resolve(
    request: Request,
    ticket_id: str,
    body: ResolveIn,
    agent: ConsoleAgent = Depends(console_agent),
) -> dict[str, Any]:
    canonical = ticket_id_or_404(ticket_id)
    with _http_errors():
        return await _desk(request).resolve(canonical, agent, body.resolution_note)


@router.post(
    "/api/tickets/{ticket_id}/release",
    summary="Hand the conversation back to the bot; the ticket stays yours",
    description="For work that goes on away from the chat (waiting on a warehouse, a "
    "refund): the bot answers the customer again, the ticket keeps its status and agent, "
    "with an optional note on the trail." + AUTH_DOC,
    response_model=TicketOut,
)
async def release(
    request: Request,
    ticket_id: str,
    body: ReleaseIn | None = None,
    agent: ConsoleAgent = Depends(console_agent),
) -> dict[str, Any]:
    canonical = ticket_id_or_404(ticket_id)
    note_text = body.note if body is not None else None
    with _http_errors():
        return await _desk(request).release(canonical, agent, note_text)


@router.post(
    "/api/tickets/{ticket_id}/transfer",
    summary="Give the ticket and its live conversation to another agent",
    description="Agents transfer their own tickets; supervisors and admins any. The "
    "new agent owns the conversation from now on." + AUTH_DOC,
    response_model=TicketOut,
)
async def transfer(
    request: Request,
    ticket_id: str,
    body: TransferIn,
    agent: ConsoleAgent = Depends(console_agent),
) -> dict[str, Any]:
    now = _clock(request)()
    policy = _policy(request)
    note_text = (body.note or "").strip() or None

    def change(session: Any, ticket: Ticket) -> None:
        desk.transfer(session, ticket_id=ticket.id, to_agent=body.to_agent, actor=agent.actor,
                      now=now, policy=policy, note=note_text)  # fmt: skip

    record, conversation_id, owner = await _ticket_action(request, ticket_id, agent, change)
    if conversation_id is not None and owner == "agent":
        handover: Handover = request.app.state.handover
        await handover.assign(conversation_id, record["assigned_agent"])
    _wake(request)
    return record
