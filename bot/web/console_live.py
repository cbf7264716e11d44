"""Live updates for the agent console: one WebSocket per console tab at /console/ws.

Frames to the console (JSON objects with a "type"):
    {"type": "hello", "agent": {"username", "display_name", "role"}}
    {"type": "queue", "items": [queue row, ...], "agents_on_duty": N}   when the queue changed
    {"type": "messages", "messages": [message, ...]}   new messages of conversations the
                                                       agent has (customer's, bot's, theirs)
    {"type": "flash", "kind": "team_handover", "ticket_id", "team", "reason", "by"}
                                                       a ticket was handed to one of the
                                                       agent's teams (teams.yml)
    {"type": "signed_out"}                             the session ended; the socket closes
    {"type": "pong"}
    {"type": "error", "message": "..."}              a frame it could not read (the socket
                                                       stays open; a binary or oversized one
                                                       closes it with 1003 / 1009)
From the console: {"type": "ping"}.

The database is the source of truth and every socket re-reads it at least every
POLL_SECONDS, so a change made on another gateway replica shows up too; on this gateway a
customer message for a human (the router's hook) or a console action wakes the sockets at
once.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any

import anyio
from fastapi import APIRouter, WebSocket
from sqlalchemy import func, select
from starlette.websockets import WebSocketDisconnect

from bot.clock import utcnow
from bot.conversations.models import Conversation, Message
from bot.handoff import desk
from bot.tickets.models import TicketEvent
from bot.web.api_console import queue_snapshot
from bot.web.auth import CONSOLE_COOKIE, ConsoleAgent, console_agent_for

logger = logging.getLogger(__name__)

POLL_SECONDS = 2.0
RECHECK_SESSION_EVERY = 15  # polls (about 30 s)
UNAUTHORISED = 4401
UNSUPPORTED_DATA, MESSAGE_TOO_BIG = 1003, 1009
MAX_FRAME_CHARS = 4096  # the console only ever sends pings

router = APIRouter(include_in_schema=False)


class ConsoleLive:
    """Wakes every console socket of this process (cheap: they re-read what changed)."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Event] = set()

    def wake(self, _conversation_id: int | None = None) -> None:
        for event in self._waiters:
            event.set()

    def waiter(self) -> asyncio.Event:
        event = asyncio.Event()
        self._waiters.add(event)
        return event

    def forget(self, event: asyncio.Event) -> None:
        self._waiters.discard(event)

    def sockets(self) -> int:
        """Open console sockets of this process (each waits on one event)."""
        return len(self._waiters)


def _queue_key(snapshot: dict[str, Any]) -> str:
    """What makes the queue look different (not the waiting times: the console ticks those;
    a ticket's team, since a hand-over moves it in the queue of its old and new team)."""
    rows = [(r["ticket_id"], r["severity"], r["boost"], r["position"], r.get("team"))
            for r in snapshot["items"]]  # fmt: skip
    return json.dumps([rows, snapshot["agents_on_duty"]])


def _new_messages(state: Any, username: str, after: int) -> tuple[list[dict[str, Any]], int]:
    """Messages after id `after` in the conversations `username` has; and the new cursor."""
    with state.sessions() as session:
        rows = list(
            session.scalars(
                select(Message)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(
                    Message.id > after,
                    Conversation.owner == "agent",
                    Conversation.assigned_agent == username,
                )
                .order_by(Message.id)
                .limit(500)
            )
        )
        cursor = rows[-1].id if rows else after
        return desk.messages_json(session, rows), cursor


def _last_message_id(state: Any) -> int:
    with state.sessions() as session:
        return int(session.execute(select(func.max(Message.id))).scalar_one() or 0)


def _last_event_id(state: Any) -> int:
    with state.sessions() as session:
        return int(session.execute(select(func.max(TicketEvent.id))).scalar_one() or 0)


def _handovers(state: Any, username: str, after: int) -> tuple[list[dict[str, Any]], int]:
    """Flashes for the hand-overs to `username`'s teams after event id `after`; the cursor."""
    teams = getattr(state, "teams", None)
    if teams is None:
        return [], after
    mine = set(teams.of_member(username))
    with state.sessions() as session:
        rows = session.execute(
            select(TicketEvent.id, TicketEvent.ticket_id, TicketEvent.actor, TicketEvent.data)
            .where(TicketEvent.id > after, TicketEvent.action == "handed_over")
            .order_by(TicketEvent.id)
            .limit(100)
        ).all()
    flashes = [
        {"type": "flash", "kind": "team_handover", "ticket_id": ticket_id,
         "team": data["to"], "reason": data.get("reason"), "by": actor}
        for _id, ticket_id, actor, data in rows
        if data and data.get("to") in mine and actor != f"agent:{username}"
    ]  # fmt: skip
    return flashes, rows[-1][0] if rows else after


def _same_origin(websocket: WebSocket) -> bool:
    """Browsers send Origin on every WebSocket handshake; it must be this gateway."""
    origin = websocket.headers.get("origin")
    host = websocket.headers.get("host")
    return origin is None or origin.split("://", 1)[-1] == host


async def _push(websocket: WebSocket, agent: ConsoleAgent, live: ConsoleLive) -> None:
    state = websocket.app.state
    clock = getattr(state, "clock", utcnow)
    token = websocket.cookies.get(CONSOLE_COOKIE, "")
    wake = live.waiter()
    try:
        cursor = await anyio.to_thread.run_sync(_last_message_id, state)
        event_cursor = await anyio.to_thread.run_sync(_last_event_id, state)
        shown_queue = ""
        polls = 0
        while True:
            wake.clear()
            snapshot = await anyio.to_thread.run_sync(queue_snapshot, state, clock())
            key = _queue_key(snapshot)
            if key != shown_queue:
                await websocket.send_json({"type": "queue", **snapshot})
                shown_queue = key
            messages, cursor = await anyio.to_thread.run_sync(
                _new_messages, state, agent.username, cursor
            )
            if messages:
                await websocket.send_json({"type": "messages", "messages": messages})
            flashes, event_cursor = await anyio.to_thread.run_sync(
                _handovers, state, agent.username, event_cursor
            )
            for flash in flashes:
                await websocket.send_json(flash)
            polls += 1
            if polls % RECHECK_SESSION_EVERY == 0:
                still = await anyio.to_thread.run_sync(
                    console_agent_for, state.sessions, token, clock()
                )
                if still is None:
                    await websocket.send_json({"type": "signed_out"})
                    await websocket.close(code=UNAUTHORISED)
                    return
            with anyio.move_on_after(POLL_SECONDS):
                await wake.wait()
    finally:
        live.forget(wake)


@router.websocket("/console/ws")
async def console_socket(websocket: WebSocket) -> None:
    state = websocket.app.state
    token = websocket.cookies.get(CONSOLE_COOKIE, "")
    clock = getattr(state, "clock", utcnow)
    agent = None
    if token and _same_origin(websocket):
        agent = await anyio.to_thread.run_sync(console_agent_for, state.sessions, token, clock())
    await websocket.accept()
    if agent is None:
        await websocket.send_json({"type": "signed_out"})
        await websocket.close(code=UNAUTHORISED)
        return
    await websocket.send_json(
        {
            "type": "hello",
            "agent": {
                "username": agent.username,
                "display_name": agent.display_name,
                "role": agent.actor.role,
            },
        }  # fmt: skip
    )
    live: ConsoleLive = state.console_live
    ending: tuple[int, str] | None = None
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(_push, websocket, agent, live)
        try:
            ending = await _answer_frames(websocket)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            tasks.cancel_scope.cancel()
    if ending is not None:  # closed once the pushes have stopped, so none follows the close
        await websocket.close(code=ending[0], reason=ending[1])


async def _answer_frames(websocket: WebSocket) -> tuple[int, str] | None:
    """Answers the console's frames until it goes away (None) or sends one that ends the
    socket (its close code and reason)."""
    while True:
        raw = await websocket.receive()
        if raw["type"] == "websocket.disconnect":
            return None
        close_code, error = _read_frame(raw)
        if close_code is not None:
            return close_code, error or ""
        if error is not None:
            await websocket.send_json({"type": "error", "message": error})
        else:
            await websocket.send_json({"type": "pong"})


def _read_frame(raw: Mapping[str, Any]) -> tuple[int | None, str | None]:
    """(close code, reason) for a frame that ends the socket, (None, error) for one answered
    with an error frame, (None, None) for a ping."""
    text = raw.get("text")
    if text is None:
        return UNSUPPORTED_DATA, "binary frames are not accepted"
    if len(text) > MAX_FRAME_CHARS:
        return MESSAGE_TOO_BIG, f"frames are limited to {MAX_FRAME_CHARS} characters"
    try:
        frame = json.loads(text)
    except ValueError:
        return None, "frames must be JSON objects"
    if not isinstance(frame, dict) or frame.get("type") != "ping":
        return None, 'the only frame the console sends is {"type": "ping"}'
    return None, None
