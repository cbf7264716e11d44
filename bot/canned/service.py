"""Reading, checking and saving canned replies. The shipped set of a language is its YAML
file (bot/canned/replies/<language>.yml); a supervisor's save stores the whole new set as a version in
the database, and the newest version is the one in use."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.canned.models import CannedReplyVersion
from bot.clock import iso
from bot.tickets.audit import Actor

CANNED_DIR = Path(__file__).resolve().parent / "replies"
# The customer languages replies are written in (tickets' `language`).
LANGUAGES = ("en", "zh")
# FEP: restate the facts, acknowledge the feeling, say what happens next and by when.
PARTS = ("fact", "empathy", "plan", "other")
# What the console fills in when an agent inserts a reply.
PLACEHOLDERS = ("customer", "agent", "ticket", "category", "due")
MAX_REPLIES = 50
MAX_TITLE_CHARS = 100
MAX_TEXT_CHARS = 2000
REPLY_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class CannedError(ValueError):
    """A set of canned replies that cannot be used; the message says what to fix."""


def check_replies(raw: Any) -> list[dict[str, str]]:
    """The replies as stored, or CannedError naming the first problem."""
    if not isinstance(raw, list) or not raw:
        raise CannedError("replies: a non-empty list is needed")
    if len(raw) > MAX_REPLIES:
        raise CannedError(f"replies: at most {MAX_REPLIES}")
    seen: set[str] = set()
    replies = []
    for number, reply in enumerate(raw, 1):
        where = f"reply {number}"
        if not isinstance(reply, dict) or set(reply) != {"id", "part", "title", "text"}:
            raise CannedError(f"{where}: needs exactly id, part, title and text")
        if not all(isinstance(value, str) for value in reply.values()):
            raise CannedError(f"{where}: id, part, title and text are text")
        reply_id, title, text = reply["id"], reply["title"].strip(), reply["text"].strip()
        if not REPLY_ID.match(reply_id):
            raise CannedError(
                f"{where}: id {reply_id!r} must be lower-case letters, digits, - or _"
            )
        if reply_id in seen:
            raise CannedError(f"{where}: id {reply_id!r} is used twice")
        seen.add(reply_id)
        if reply["part"] not in PARTS:
            raise CannedError(f"{where}: part must be one of {', '.join(PARTS)}")
        if not 0 < len(title) <= MAX_TITLE_CHARS:
            raise CannedError(f"{where}: title must have 1 to {MAX_TITLE_CHARS} characters")
        if not 0 < len(text) <= MAX_TEXT_CHARS:
            raise CannedError(f"{where}: text must have 1 to {MAX_TEXT_CHARS} characters")
        unknown = sorted(set(PLACEHOLDER.findall(text)) - set(PLACEHOLDERS))
        if unknown:
            raise CannedError(
                f"{where}: unknown placeholder {{{unknown[0]}}}; the placeholders are "
                + ", ".join("{" + name + "}" for name in PLACEHOLDERS)
            )
        replies.append({"id": reply_id, "part": reply["part"], "title": title, "text": text})
    return replies


def shipped_replies(language: str, directory: Path = CANNED_DIR) -> list[dict[str, str]]:
    """A language's replies from its YAML file (checked like a supervisor's save)."""
    path = directory / f"{language}.yml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return check_replies(data.get("replies") if isinstance(data, dict) else None)
    except (OSError, yaml.YAMLError, CannedError) as exc:
        raise CannedError(f"{path}: {exc}") from exc


def _newest(session: Session, language: str) -> CannedReplyVersion | None:
    return session.execute(
        select(CannedReplyVersion)
        .where(CannedReplyVersion.language == language)
        .order_by(CannedReplyVersion.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _version_json(version: CannedReplyVersion) -> dict[str, Any]:
    return {"version": version.id, "replies": version.replies,
            "changed_by": version.changed_by, "changed_at": iso(version.changed_at)}  # fmt: skip


def current_replies(
    session: Session, language: str, directory: Path = CANNED_DIR
) -> dict[str, Any]:
    """The replies in use: the newest saved version, else the shipped file (version 0)."""
    newest = _newest(session, language)
    if newest is not None:
        return _version_json(newest)
    replies = shipped_replies(language, directory)
    return {"version": 0, "replies": replies, "changed_by": None, "changed_at": None}


def save_replies(
    session: Session, *, language: str, replies: Any, actor: Actor, now: datetime
) -> dict[str, Any]:
    """Stores a new version of a language's replies, audited as `actor`."""
    if language not in LANGUAGES:
        raise CannedError(f"language must be one of {', '.join(LANGUAGES)}")
    version = CannedReplyVersion(language=language, replies=check_replies(replies),
                                 changed_by=actor.name, changed_at=now)  # fmt: skip
    session.add(version)
    session.flush()
    return _version_json(version)


def reply_history(session: Session, language: str, limit: int = 20) -> list[dict[str, Any]]:
    """The saved versions, newest first: who changed the replies and when."""
    rows = session.scalars(
        select(CannedReplyVersion)
        .where(CannedReplyVersion.language == language)
        .order_by(CannedReplyVersion.id.desc())
        .limit(limit)
    )
    return [_version_json(row) for row in rows]
