"""The one path every customer message takes: store → bot or agent → store replies."""

from __future__ import annotations

import json
import logging
import re
import time
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, utcnow
from bot.conversations.keys import conversation_key
from bot.conversations.models import Message
from bot.conversations.store import (
    add_message,
    add_messages,
    get_or_create_conversation,
    inbound_message_id,
    link_inbound_message,
)
from bot.db import transaction
from bot.handoff.escalation import Handoff
from bot.nlu.language import detect_language
from bot.routing.handover import Handover
from bot.routing.messages import Reply
from bot.routing.rasa_client import RasaClient, RasaUnavailable
from bot.routing.startup import StartupGrace
from bot.routing.unavailable import hold_for_human
from bot.tickets.sla import SlaPolicy
from bot.tickets.teams import Teams

if TYPE_CHECKING:
    from bot.metrics import Metrics

logger = logging.getLogger(__name__)

# Takes the messages waiting for (channel, sender) inside the given transaction.
PendingTaker = Callable[[Session, str, str], list[Reply]]


# Button payloads the customer may send through ("/affirm", '/inform{"desired_resolution": ...}').
_PAYLOAD = re.compile(r"^/([a-z_]{2,40})(\{.{0,200}\})?$", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

APOLOGY = {
    "zh": "抱歉，系统暂时繁忙，您的消息已完整保存，专员会尽快联系您，无需重复发送。",
    "en": "Sorry, our assistant is busy right now. Your message is saved and a specialist "
    "will get back to you; there is no need to send it again.",
}
APOLOGY_TICKET = {
    "zh": "抱歉，系统暂时繁忙。您的消息已完整保存在工单 {ticket} 中，并已转给人工专员，"
    "专员会尽快联系您，无需重复发送。",
    "en": "Sorry, our assistant is busy right now. Your message is saved on ticket {ticket} "
    "and passed to a specialist, who will get back to you; there is no need to send it again.",
}
EMPTY = {
    "zh": "请输入文字告诉我您遇到的问题。",
    "en": "Please type a message telling me what happened.",
}
TRUNCATED = {
    "zh": "您的消息较长，我先按前 {n} 个字处理，全文已保存。",
    "en": "Your message was long: I've read the first {n} characters, and the full text is saved.",
}


def _visible(char: str) -> bool:
    # Not a control, format (zero-width), unassigned or private-use character, nor a space.
    return unicodedata.category(char)[0] not in ("C", "Z")


def clean_text(raw: str) -> str:
    """Printable text: control characters out, Unicode normalised, ends trimmed; "" when
    nothing visible is left (zero-width and other invisible characters alone are empty)."""
    # Lone surrogates (a JSON "\ud800" escape) cannot be stored or sent on: "?" instead.
    valid = raw.encode("utf-8", "replace").decode("utf-8")
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", valid)).strip()
    return text if any(_visible(char) for char in text) else ""


def safe_for_rasa(text: str, allowed_intents: frozenset[str]) -> str:
    """Lets known button payloads through; any other leading slash is neutralised.

    Rasa reads "/intent{...}" as a command, so a customer could otherwise force intents
    or slot values by typing them.
    """
    if not text.startswith("/"):
        return text
    match = _PAYLOAD.match(text)
    if match and match.group(1) in allowed_intents:
        if match.group(2) is None:
            return text
        try:
            entities = json.loads(match.group(2))
        except ValueError:
            entities = None
        if isinstance(entities, dict) and set(entities) <= {"desired_resolution", "rating"}:
            return text
    return "\uff0f" + text[1:]  # a full-width slash: read as text, never as a command


def handoff_in(answers: list[dict[str, Any]]) -> Handoff | None:
    """The `{"custom": {"handoff": {...}}}` message the action server sends when a human must
    take over (never shown to the customer)."""
    for answer in answers:
        custom = answer.get("custom")
        data = custom.get("handoff") if isinstance(custom, dict) else None
        if isinstance(data, dict) and isinstance(data.get("ticket_id"), str):
            severity = data.get("severity")
            return Handoff(
                ticket_id=data["ticket_id"],
                severity=severity if severity in ("general", "major", "urgent") else "general",
                reason=str(data.get("reason") or "bot"),
            )
    return None


class Router:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        rasa: RasaClient,
        allowed_intents: frozenset[str],
        max_chars: int,
        policy: SlaPolicy | None = None,
        teams: Teams | None = None,
        handover: Handover | None = None,
        on_customer_message: Callable[[int], None] | None = None,
        clock: Clock = utcnow,
        startup: StartupGrace | None = None,
        metrics: Metrics | None = None,
        parse_watch: Callable[[str], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.rasa = rasa
        self.allowed_intents = allowed_intents
        self.max_chars = max_chars
        # With a policy, a message the bot cannot answer is put on a ticket for a human;
        # with a handover, that ticket is queued, and the bot's own handoffs are carried out.
        self.policy = policy
        self.teams = teams  # routes those tickets to their team (teams.yml)
        self.handover = handover
        # Told the conversation id when a message arrives for a human (owner queue or
        # agent), so the console can show it at once.
        self.on_customer_message = on_customer_message
        self.clock = clock
        # While Rasa has not been ready since start-up, messages wait for it (the grace).
        self.startup = startup
        # Counts turns, outcomes and latencies; `parse_watch` is told the conversation key
        # of each turn the bot answered (to count its intent and emotion, in the background).
        self.metrics = metrics
        self.parse_watch = parse_watch

    def _store_inbound(
        self,
        channel: str,
        sender_id: str,
        text: str,
        update_id: str | None = None,
        pending: PendingTaker | None = None,
    ) -> tuple[int, str, str, list[Reply]]:
        """Commits the customer's message; returns (conversation id, owner, language, the
        messages `pending` took).

        With the channel's `update_id` (claimed with take_update), the message is linked to
        the update in the same transaction; when an earlier attempt at that update already
        stored it (the process died before answering), it is not stored again."""
        now = self.clock()
        with transaction(self.sessions) as session:
            waiting = pending(session, channel, sender_id) if pending is not None else []
            conv = get_or_create_conversation(
                session, channel=channel, sender_id=sender_id, now=now
            )
            if update_id is not None:
                earlier = inbound_message_id(session, channel=channel, external_id=update_id)
                if earlier is not None and session.get(Message, earlier) is not None:
                    logger.info("update %s:%s was stored before: answering it", channel, update_id)
                    return conv.id, conv.owner, conv.language or "en", waiting
            if not text.startswith("/"):  # a button payload ("/affirm") is no language
                conv.language = detect_language(text, conv.language) or conv.language
            message = add_message(
                session, conversation=conv, direction="in", author="customer", text=text, now=now
            )
            if update_id is not None:
                link_inbound_message(
                    session, channel=channel, external_id=update_id, message_id=message.id
                )
            return conv.id, conv.owner, conv.language or "en", waiting

    def _take_pending(self, pending: PendingTaker, channel: str, sender_id: str) -> list[Reply]:
        with transaction(self.sessions) as session:
            return pending(session, channel, sender_id)

    def _store_replies(self, conversation_id: int, replies: list[Reply]) -> None:
        if not replies:
            return
        now = self.clock()
        with transaction(self.sessions) as session:
            # One flush for the turn's replies (delivered: returned to the channel now).
            add_messages(
                session,
                conversation_id=conversation_id,
                direction="out",
                messages=[(reply.author, reply.text, reply.buttons) for reply in replies],
                now=now,
                delivered=True,
            )

    def _hold(self, channel: str, sender_id: str, lang: str, text: str, reason: str) -> Handoff:
        assert self.policy is not None
        with transaction(self.sessions) as session:
            return hold_for_human(
                session,
                channel=channel,
                sender_id=sender_id,
                language=lang,
                text=text,
                reason=reason,
                policy=self.policy,
                now=self.clock(),
                teams=self.teams,
            )

    async def _bot_unavailable(
        self, channel: str, sender_id: str, conversation_id: int, lang: str, text: str
    ) -> Reply:
        """The apology, after the message has been put on a ticket waiting for a human."""
        if self.policy is None:
            return Reply(APOLOGY[lang], author="system")
        try:
            held = await anyio.to_thread.run_sync(
                self._hold, channel, sender_id, lang, text, "bot unavailable"
            )
        except Exception:  # the message itself is stored; say sorry all the same
            logger.exception("could not put the message of %s:%s on a ticket", channel, sender_id)
            return Reply(APOLOGY[lang], author="system")
        if self.handover is not None:
            try:  # queued, but the bot keeps the conversation: it answers once Rasa is back
                await self.handover.to_queue(
                    held,
                    conversation_id=conversation_id,
                    conversation_key=conversation_key(channel, sender_id),
                    lang=lang,
                    take_ownership=False,
                )
            except Exception:  # the ticket is escalated in the database: a rebuild finds it
                logger.exception("could not queue %s", held.ticket_id)
        if self.metrics is not None:
            self.metrics.handoff(held.severity, "bot_unavailable")
        return Reply(APOLOGY_TICKET[lang].format(ticket=held.ticket_id), author="system")

    async def handle(
        self,
        channel: str,
        sender_id: str,
        raw_text: str,
        *,
        update_id: str | None = None,
        pending: PendingTaker | None = None,
    ) -> list[Reply]:
        """Stores the message, gets the answer, stores the answer, returns it.

        `update_id`: the channel's id of the delivery (Telegram's update_id), already taken
        with take_update; a redelivery then never stores the message twice.
        `pending`: for channels that cannot push (REST), takes the messages waiting for this
        customer in the transaction that stores theirs; they come first in the answer."""
        started = time.perf_counter()
        replies, outcome = await self._handle(channel, sender_id, raw_text, update_id, pending)
        if self.metrics is not None:
            self.metrics.turn(channel, outcome, time.perf_counter() - started)
        return replies

    async def _handle(
        self,
        channel: str,
        sender_id: str,
        raw_text: str,
        update_id: str | None,
        pending: PendingTaker | None,
    ) -> tuple[list[Reply], str]:
        """handle()'s work; also returns the turn's outcome (bot.metrics.OUTCOMES)."""
        text = clean_text(raw_text)
        if not text:
            lang = detect_language(raw_text) or "en"
            waiting = []
            if pending is not None:
                waiting = await anyio.to_thread.run_sync(
                    self._take_pending, pending, channel, sender_id
                )
            return [*waiting, Reply(EMPTY[lang], author="system")], "empty"
        conversation_id, owner, lang, waiting = await anyio.to_thread.run_sync(
            self._store_inbound, channel, sender_id, text, update_id, pending
        )
        answer, outcome = await self._answer(channel, sender_id, text, conversation_id, owner, lang)
        return [*waiting, *answer], outcome

    async def _ask_rasa(
        self, key: str, text: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Rasa's answer to one message. While Rasa has not been ready since start-up, a
        message that could not reach it waits (up to the start-up grace) and is sent again."""
        started = self.startup.clock() if self.startup is not None else 0.0
        try:
            return await self._timed_send(key, text, metadata)
        except RasaUnavailable as exc:
            if self.startup is None or not self.startup.applies(key, exc):
                raise
        logger.info("Rasa is starting: %s waits up to %.0f s for it", key, self.startup.grace)
        async with self.startup.turn(key):
            ready = await self.startup.wait(key, started)
            if self.metrics is not None:
                self.metrics.startup_waits.labels("answered" if ready else "expired").inc()
            if not ready:
                raise RasaUnavailable(
                    f"Rasa not ready within the start-up grace ({self.startup.grace:.0f} s)"
                )
            return await self._timed_send(key, text, metadata)

    async def _timed_send(
        self, key: str, text: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if self.metrics is None:
            return await self.rasa.send(key, text, metadata)
        started = time.perf_counter()
        try:
            answers = await self.rasa.send(key, text, metadata)
        except RasaUnavailable as exc:
            self.metrics.rasa_call(time.perf_counter() - started, exc)
            raise
        self.metrics.rasa_call(time.perf_counter() - started)
        return answers

    async def _answer(
        self, channel: str, sender_id: str, text: str, conversation_id: int, owner: str, lang: str
    ) -> tuple[list[Reply], str]:
        """The answer to a stored message, by whoever owns the conversation; stored; and
        the turn's outcome."""
        if owner != "bot" and self.on_customer_message is not None:
            try:
                self.on_customer_message(conversation_id)
            except Exception:  # the message is stored: the console finds it on its next poll
                logger.exception("console notification failed for %s", conversation_id)
        if owner == "agent":
            return [], "agent"  # the agent sees the message live; the bot stays silent
        if owner == "queue":
            if self.handover is None:
                return [], "queue"
            reply = await self.handover.holding_reply(conversation_id, lang)
            await anyio.to_thread.run_sync(self._store_replies, conversation_id, [reply])
            return [reply], "queue"
        replies: list[Reply] = []
        for_bot = text
        if len(text) > self.max_chars:
            for_bot = text[: self.max_chars]
            replies.append(Reply(TRUNCATED[lang].format(n=self.max_chars), author="system"))
        key = conversation_key(channel, sender_id)
        outcome = "bot"
        try:
            answers = await self._ask_rasa(
                key,
                safe_for_rasa(for_bot, self.allowed_intents),
                {"channel": channel, "sender_id": sender_id},
            )
        except RasaUnavailable as exc:
            logger.warning("Rasa unavailable for %s: %s", key, exc)
            outcome = "bot_unavailable"
            replies.append(
                await self._bot_unavailable(channel, sender_id, conversation_id, lang, text)
            )
        else:
            if self.parse_watch is not None:
                self.parse_watch(key)
            replies.extend(
                Reply(str(a.get("text") or ""), list(a.get("buttons") or []))
                for a in answers
                if a.get("text") or a.get("buttons")
            )
            handoff = handoff_in(answers)
            if handoff is not None and self.handover is not None:
                queued = await self.handover.to_queue(
                    handoff,
                    conversation_id=conversation_id,
                    conversation_key=key,
                    lang=lang,
                    take_ownership=True,
                )
                if queued is not None:
                    replies.append(queued)
                outcome = "handoff"
                if self.metrics is not None:
                    self.metrics.handoff(handoff.severity, "bot")
        await anyio.to_thread.run_sync(self._store_replies, conversation_id, replies)
        return replies, outcome
