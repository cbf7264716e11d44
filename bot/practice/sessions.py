"""A practice chat: the simulated customer says the persona's lines in order, one after each
answer of the agent, and moves along its emotion curve: a step calmer after an answer that
acknowledges the feeling without blame, a step angrier after one that does not. The
session ends when the customer has said every line (or the agent ends it); then it is
scored (bot.practice.scoring). Deterministic: no model, no Rasa, no ticket."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import iso
from bot.practice.models import PracticeSession
from bot.practice.scoring import BLAME, EMPATHY, has_any, score
from bot.tickets.remedy_policy import RemedyPolicy

MAX_REPLY_CHARS = 2000


class PracticeError(ValueError):
    """An answer the session cannot take (finished, empty)."""


def _emotion(persona: dict[str, Any], step: int) -> str:
    curve = persona["emotion_curve"]
    return str(curve[max(0, min(step, len(curve) - 1))])


def start(
    session: Session, *, agent: str, persona: dict[str, Any], now: datetime
) -> PracticeSession:
    practice = PracticeSession(
        agent=agent, persona_id=persona["id"], started_at=now, step=0,
        turns=[{"from": "customer", "text": persona["lines"][0], "at": iso(now),
                "emotion": _emotion(persona, 0)}],
    )  # fmt: skip
    session.add(practice)
    session.flush()
    return practice


def answer(
    session: Session,
    practice: PracticeSession,
    persona: dict[str, Any],
    text: str,
    *,
    now: datetime,
    policy: RemedyPolicy,
    role: str,
) -> None:
    text = text.strip()[:MAX_REPLY_CHARS]
    if not text:
        raise PracticeError("the answer is empty")
    if practice.finished_at is not None:
        raise PracticeError("this practice session is over")
    turns = list(practice.turns)
    turns.append({"from": "agent", "text": text, "at": iso(now)})
    good = bool(has_any(text, EMPATHY)) and not has_any(text, BLAME)
    practice.step = practice.step + 1 if good else max(practice.step - 1, 0)
    said = sum(1 for turn in turns if turn["from"] == "customer")
    if said < len(persona["lines"]):
        turns.append({"from": "customer", "text": persona["lines"][said], "at": iso(now),
                      "emotion": _emotion(persona, practice.step)})  # fmt: skip
        practice.turns = turns
    else:
        practice.turns = turns
        finish(practice, persona, now=now, policy=policy, role=role)
    session.flush()


def finish(
    practice: PracticeSession, persona: dict[str, Any], *, now: datetime, policy: RemedyPolicy,
    role: str,
) -> None:  # fmt: skip
    if practice.finished_at is not None:
        return
    replies = [turn for turn in practice.turns if turn["from"] == "agent"]
    first_at = datetime.fromisoformat(replies[0]["at"].replace("Z", "+00:00")) if replies else now
    found = score(persona, [turn["text"] for turn in replies],
                  first_reply_seconds=(first_at - practice.started_at).total_seconds(),
                  policy=policy, role=role)  # fmt: skip
    practice.finished_at = now
    practice.points = found.points
    practice.score = {**found.as_dict(), "satisfied_by": persona.get("satisfied_by")}


def view(practice: PracticeSession, persona: dict[str, Any] | None) -> dict[str, Any]:
    """What the console shows; the hidden wish only once the session is over."""
    shown = persona or {}
    return {
        "id": practice.id,
        "agent": practice.agent,
        "persona": {
            key: shown.get(key) for key in ("id", "name", "lang", "category", "product", "order_id")
        },  # fmt: skip
        "started_at": iso(practice.started_at),
        "finished_at": iso(practice.finished_at),
        "emotion": _emotion(shown, practice.step) if shown else None,
        "turns": practice.turns,
        "score": practice.score,
    }


def history(session: Session, agent: str | None, limit: int = 100) -> list[PracticeSession]:
    stmt = select(PracticeSession).order_by(
        PracticeSession.started_at.desc(), PracticeSession.id.desc()
    )
    if agent is not None:
        stmt = stmt.where(PracticeSession.agent == agent)
    return list(session.scalars(stmt.limit(limit)))
