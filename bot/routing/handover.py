"""Handing a conversation to a human and back: queueing, ownership, what the customer hears.

A conversation's `owner` is `bot` (Rasa answers), `queue` (waiting for an agent: the
customer's messages are stored for the agent and answered with their place in the queue)
or `agent` (an agent answers; the bot stays silent). Rasa's own tracker is paused while a
human has the conversation and resumed when it comes back (ConversationPaused/Resumed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import anyio
from sqlalchemy.orm import Session, sessionmaker

from bot import i18n
from bot.clock import Clock, utcnow
from bot.conversations.keys import conversation_key
from bot.conversations.models import Conversation
from bot.db import transaction
from bot.handoff.escalation import Handoff
from bot.handoff.queue import HandoffQueue
from bot.routing.messages import Reply
from bot.routing.rasa_client import RasaClient, RasaUnavailable
from bot.tickets.models import Ticket

logger = logging.getLogger(__name__)

QUEUED = {
    "zh": "已为您转接人工专员（工单 {ticket}）。您前面还有 {ahead} 位客户，预计等待约 {wait}。"
    "等待期间您发的消息，专员接手时都能看到。",
    "en": "I've passed you to a specialist (ticket {ticket}). There {are} {ahead} customer{s} "
    "ahead of you; the expected wait is about {wait}. Anything you send meanwhile will be "
    "in front of them when they pick it up.",
}
QUEUED_NO_ESTIMATE = {
    "zh": "已为您转接人工专员（工单 {ticket}）。您前面还有 {ahead} 位客户，专员会按顺序尽快接手。"
    "等待期间您发的消息，专员接手时都能看到。",
    "en": "I've passed you to a specialist (ticket {ticket}). There {are} {ahead} customer{s} "
    "ahead of you and they are taken in turn. Anything you send meanwhile will be in front "
    "of them when they pick it up.",
}
NO_AGENT = {
    "zh": "已为您转接人工专员（工单 {ticket}）。现在没有专员在线，我们会在 {due} 前联系您。"
    "您留下的消息专员上线后都能看到，不用重复发送。",
    "en": "I've passed you to a specialist (ticket {ticket}). No specialist is online right "
    "now; we will contact you by {due}. Anything you leave here will be read, so there's "
    "no need to repeat it.",
}
HOLDING = {
    "zh": "收到，已转给专员。您目前排在第 {position} 位，请稍候。",
    "en": "Got it, passed on to the specialist. You are number {position} in the queue; "
    "please bear with us.",
}
HOLDING_UNQUEUED = {
    "zh": "收到，已转给专员，请稍候。",
    "en": "Got it, passed on to the specialist; please bear with us.",
}


def _wait_text(wait: timedelta, lang: str) -> str:
    minutes = max(1, round(wait.total_seconds() / 60))
    if lang == "zh":
        return f"{minutes} 分钟" if minutes < 90 else f"{round(minutes / 60)} 小时"
    if minutes < 90:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{round(minutes / 60)} hours"


@dataclass(frozen=True)
class QueueState:
    ticket_id: str
    position: int | None
    wait: timedelta | None
    agents_on_duty: int
    first_response_due: str | None
    newly_queued: bool = False  # False: it was already waiting (a repeat handoff)


class Handover:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        queue: HandoffQueue,
        rasa: RasaClient,
        timezone: ZoneInfo,
        on_queued: Callable[[str], None] | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.sessions = sessions
        self.queue = queue
        self.rasa = rasa
        self.timezone = timezone
        # Told the ticket id when a ticket starts waiting (not again while it waits), so
        # agents can be notified (the Telegram agents' group); it must not block.
        self.on_queued = on_queued
        self.clock = clock

    def _enqueue(
        self, handoff: Handoff, conversation_id: int, take_ownership: bool, lang: str
    ) -> QueueState:
        now = self.clock()
        boost = 0
        with transaction(self.sessions) as session:
            ticket = session.get(Ticket, handoff.ticket_id)
            if ticket is not None and ticket.reopen_count:
                boost = 1  # the customer was let down once: above its old priority
            if take_ownership:
                conv = session.get(Conversation, conversation_id)
                if conv is not None and conv.owner == "bot":
                    conv.owner = "queue"
            due = ticket.first_response_due if ticket is not None else None
        newly_queued = self.queue.get(handoff.ticket_id) is None
        self.queue.enqueue(
            handoff.ticket_id, conversation_id, handoff.severity, boost=boost, now=now
        )
        return QueueState(
            ticket_id=handoff.ticket_id,
            position=self.queue.position(handoff.ticket_id),
            wait=self.queue.estimated_wait(handoff.ticket_id, now=now),
            agents_on_duty=len(self.queue.on_duty(now=now)),
            first_response_due=i18n.format_deadline(due, self.timezone, lang) if due else None,
            newly_queued=newly_queued,
        )

    async def to_queue(
        self,
        handoff: Handoff,
        *,
        conversation_id: int,
        conversation_key: str,
        lang: str,
        take_ownership: bool,
    ) -> Reply | None:
        """Queues the ticket; with `take_ownership` the conversation leaves the bot (Rasa is
        paused) and the customer is told their place and wait. Returns that message."""
        state = await anyio.to_thread.run_sync(
            self._enqueue, handoff, conversation_id, take_ownership, lang
        )
        logger.info(
            "%s queued at %s (%s, %s)", state.ticket_id, state.position, handoff.severity,
            handoff.reason,
        )  # fmt: skip
        if state.newly_queued and self.on_queued is not None:
            try:
                self.on_queued(state.ticket_id)
            except Exception:  # the ticket is queued; the console shows it all the same
                logger.exception("queued-ticket notification failed for %s", state.ticket_id)
        if not take_ownership:
            return None
        try:
            await self.rasa.append_event(conversation_key, {"event": "pause"})
        except RasaUnavailable as exc:  # owner=queue already keeps the bot out
            logger.info("could not pause %s in Rasa: %s", conversation_key, exc)
        return Reply(self.queued_text(state, lang), author="system")

    @staticmethod
    def queued_text(state: QueueState, lang: str) -> str:
        ahead = max((state.position or 1) - 1, 0)
        plural = {"are": "is" if ahead == 1 else "are", "s": "" if ahead == 1 else "s"}
        if state.agents_on_duty == 0:
            return NO_AGENT[lang].format(
                ticket=state.ticket_id, due=state.first_response_due or "—"
            )
        if state.wait is None:
            return QUEUED_NO_ESTIMATE[lang].format(ticket=state.ticket_id, ahead=ahead, **plural)
        return QUEUED[lang].format(
            ticket=state.ticket_id, ahead=ahead, wait=_wait_text(state.wait, lang), **plural
        )

    def _position_of(self, conversation_id: int) -> int | None:
        for index, item in enumerate(self.queue.items(), start=1):
            if item.conversation_id == conversation_id:
                return index
        return None

    async def holding_reply(self, conversation_id: int, lang: str) -> Reply:
        """What a customer waiting in the queue hears when they write again."""
        position = await anyio.to_thread.run_sync(self._position_of, conversation_id)
        if position is None:
            return Reply(HOLDING_UNQUEUED[lang], author="system")
        return Reply(HOLDING[lang].format(position=position), author="system")

    def _set_owner(self, conversation_id: int, owner: str, agent: str | None) -> str:
        with transaction(self.sessions) as session:
            conv = session.get(Conversation, conversation_id)
            if conv is None:
                raise LookupError(f"no conversation {conversation_id}")
            conv.owner = owner
            conv.assigned_agent = agent
            return conversation_key(conv.channel, conv.sender_id)

    async def assign(self, conversation_id: int, agent: str) -> None:
        """An agent took the conversation: from now on the bot stays silent."""
        await anyio.to_thread.run_sync(self._set_owner, conversation_id, "agent", agent)

    async def back_to_bot(self, conversation_id: int) -> None:
        """Resolve or release: Rasa owns the conversation again (ConversationResumed)."""
        key = await anyio.to_thread.run_sync(self._set_owner, conversation_id, "bot", None)
        try:
            await self.rasa.append_event(key, {"event": "resume"})
        except RasaUnavailable as exc:
            logger.warning("could not resume %s in Rasa: %s", key, exc)
