"""`complaintbot nlu review`: customer messages the bot was unsure about, ready to label.

The messages come from Rasa's SQL tracker store (the `events` table, one JSON document per
event), read directly: Rasa's HTTP API cannot list conversations, and reading the table
works while Rasa is down, on SQLite (a file path) and on PostgreSQL (a URL) alike.

The output is Rasa NLU training data (version "3.1"). Each message is its own
`- intent:` item under the intent the bot guessed, with a `# review:` comment above it
(language, confidence, the next two guesses, how often it was seen): the file validates
as it is, a wrong guess is fixed by changing one intent name, and the items still
carrying a `# review:` line are the ones nobody has looked at yet.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import column, create_engine, select, table
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.clock import iso
from bot.nlu.language import detect_language
from bot.privacy import mask_pii

FALLBACK_INTENT = "nlu_fallback"
# A message with no guess at all (no ranking stored) is most likely nonsense.
NO_GUESS_INTENT = "out_of_scope"
# Entities worth keeping as annotations. Phones and e-mail addresses are masked instead,
# so a trainer writes made-up ones back in when the example needs them.
ANNOTATED_ENTITIES = frozenset(
    {"order_id", "ticket_id", "desired_resolution", "escalation_threat", "rating", "product"}
)
# Longer messages make poor training examples (and carry the most personal detail).
MAX_EXAMPLE_CHARS = 300

_SINCE_RE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$", re.IGNORECASE)
_SINCE_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_MARKUP_RE = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
# The shapes bot.privacy.mask_pii leaves behind.
_MASKED_PHONE_RE = re.compile(r"\+?\d{3}\*{4}\d{2}")
_MASKED_EMAIL_RE = re.compile(r"\S?\*\*\*@[A-Za-z0-9.-]+")
_EVENTS = table("events", column("id"), column("type_name"), column("timestamp"), column("data"))


class ReviewError(ValueError):
    """The review cannot be made; the message says what to fix."""


@dataclass
class ReviewItem:
    """One distinct message, as it will appear in the review file."""

    example: str  # the example line: masked text with Rasa entity markup
    key: str  # what counts as "the same message" (see `normalise`)
    intent: str  # the bot's guess (the best real intent when it fell back)
    confidence: float
    fallback: bool
    alternatives: tuple[tuple[str, float], ...]
    language: str | None
    last_seen: float
    seen: int = 1


@dataclass
class ReviewReport:
    items: list[ReviewItem] = field(default_factory=list)
    scanned: int = 0  # customer messages with text in the time window
    confident: int = 0  # at or above the threshold: not for review
    payloads: int = 0  # button payloads and commands ("/affirm")
    too_long: int = 0
    duplicates: int = 0  # repeats of a message already in the review
    known: int = 0  # already a training example
    over_limit: int = 0

    @property
    def fallbacks(self) -> int:
        return sum(1 for item in self.items if item.fallback)


def parse_since(value: str) -> timedelta:
    """'7d', '24h', '2w', '90m' → a time span."""
    match = _SINCE_RE.match(value)
    if not match or int(match.group(1)) == 0:
        raise ReviewError(f"--since {value!r}: give a number and a unit, e.g. 7d, 24h, 2w, 90m")
    return timedelta(**{_SINCE_UNITS[match.group(2).lower()]: int(match.group(1))})


def normalise(text: str) -> str:
    """The duplicate key: entity markup removed, case and spacing ignored, and every masked
    phone number or e-mail address alike ("138****00" and "139****78" are one message)."""
    plain = _MARKUP_RE.sub(r"\1", text)
    plain = _MASKED_EMAIL_RE.sub("<email>", _MASKED_PHONE_RE.sub("<phone>", plain))
    return " ".join(plain.casefold().split())


def tracker_engine(location: str) -> Engine:
    """An engine on the tracker store: a SQLite file path (opened read-only) or a URL."""
    if "://" in location:
        url = make_url(location)
        if url.drivername == "postgresql":  # the app environment has psycopg 3, not psycopg2
            url = url.set(drivername="postgresql+psycopg")
        return create_engine(url, pool_pre_ping=True)
    path = Path(location).expanduser().resolve()
    if not path.is_file():
        raise ReviewError(f"no Rasa tracker store at {path} (has the bot had conversations yet?)")
    uri = f"{path.as_uri()}?mode=ro"
    return create_engine(
        "sqlite://",
        creator=lambda: sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False),
    )


def user_events(engine: Engine, since: datetime) -> Iterator[dict[str, Any]]:
    """The customers' messages (Rasa `user` events) stored since `since`, oldest first."""
    query = (
        select(_EVENTS.c.data)
        .where(_EVENTS.c.type_name == "user", _EVENTS.c.timestamp >= since.timestamp())
        .order_by(_EVENTS.c.id)
    )
    try:
        with engine.connect() as conn:
            for (data,) in conn.execution_options(stream_results=True, yield_per=500).execute(
                query
            ):
                try:
                    event = json.loads(data or "")
                except ValueError:
                    continue
                if isinstance(event, dict):
                    yield event
    except (OperationalError, ProgrammingError) as exc:
        raise ReviewError(
            f"cannot read Rasa's events table ({type(exc.orig).__name__}: {exc.orig}); is this "
            "the tracker store Rasa writes to?"
        ) from exc


def known_examples(nlu_dir: Path) -> set[str]:
    """The duplicate keys of every training example in `nlu_dir` (data/nlu)."""
    keys: set[str] = set()
    for path in sorted(nlu_dir.rglob("*.yml")):
        document = yaml.safe_load(path.read_text("utf-8")) or {}
        for item in document.get("nlu") or []:
            examples = item.get("examples") if isinstance(item, dict) else None
            if isinstance(examples, str):
                keys.update(
                    normalise(line.strip()[2:])
                    for line in examples.splitlines()
                    if line.strip().startswith("- ")
                )
    return keys


def _clean(text: str) -> str:
    """One line of printable text: a block scalar line cannot hold a newline or a control."""
    return "".join(ch for ch in re.sub(r"\s+", " ", text) if ch.isprintable())


def _plain(text: str) -> str:
    # "[x](y)" typed by a customer would read as an annotation.
    return _clean(mask_pii(text)).replace("](", "] (").replace("]{", "] {")


def _annotated(text: str, entities: Iterable[Any]) -> str:
    """The masked text with the kept entities in Rasa markup."""
    spans: list[tuple[int, int, str, str]] = []
    for entity in entities:
        if not isinstance(entity, dict) or entity.get("entity") not in ANNOTATED_ENTITIES:
            continue
        start, end = entity.get("start"), entity.get("end")
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            continue
        spans.append((start, end, entity["entity"], str(entity.get("value", text[start:end]))))
    parts: list[str] = []
    cursor = 0
    for start, end, name, value in sorted(spans):
        if start < cursor:
            continue  # overlapping predictions: the first one wins
        surface = _clean(text[start:end]).strip()
        if not surface or mask_pii(surface) != surface or "]" in surface:
            continue  # personal data, or text the markup cannot hold: left as plain text
        parts.append(_plain(text[cursor:start]))
        if value == surface:
            parts.append(f"[{surface}]({name})")
        else:
            markup = json.dumps({"entity": name, "value": value}, ensure_ascii=False)
            parts.append(f"[{surface}]{markup}")
        cursor = end
    parts.append(_plain(text[cursor:]))
    return _clean("".join(parts)).strip()


def _ranking(parse_data: Mapping[str, Any]) -> list[tuple[str, float]]:
    ranking = []
    for entry in parse_data.get("intent_ranking") or []:
        if isinstance(entry, dict) and entry.get("name") and entry["name"] != FALLBACK_INTENT:
            ranking.append((str(entry["name"]), float(entry.get("confidence") or 0.0)))
    return ranking


def select_for_review(
    events: Iterable[Mapping[str, Any]], *, threshold: float, limit: int, known: set[str]
) -> ReviewReport:
    """The distinct low-confidence and fallback messages, the most frequent first."""
    report = ReviewReport()
    by_key: dict[str, ReviewItem] = {}
    for event in events:
        text = event.get("text")
        if not isinstance(text, str) or not text.strip():
            continue
        report.scanned += 1
        if text.lstrip().startswith("/"):
            report.payloads += 1
            continue
        parse_data = event.get("parse_data") or {}
        intent = parse_data.get("intent") or {}
        fallback = intent.get("name") == FALLBACK_INTENT
        ranking = _ranking(parse_data)
        if not fallback and float(intent.get("confidence") or 0.0) >= threshold:
            report.confident += 1
            continue
        if len(text) > MAX_EXAMPLE_CHARS:
            report.too_long += 1
            continue
        example = _annotated(text, parse_data.get("entities") or [])
        key = normalise(example)
        if not key:
            continue
        if key in known:
            report.known += 1
            continue
        when = float(event.get("timestamp") or 0.0)
        if key in by_key:
            report.duplicates += 1
            seen = by_key[key]
            seen.seen += 1
            seen.last_seen = max(seen.last_seen, when)
            continue
        if fallback:
            guess, confidence = ranking[0] if ranking else (NO_GUESS_INTENT, 0.0)
            alternatives = ranking[1:3]
        else:
            guess, confidence = str(intent.get("name")), float(intent.get("confidence") or 0.0)
            alternatives = [entry for entry in ranking if entry[0] != guess][:2]
        by_key[key] = ReviewItem(
            example=example,
            key=key,
            intent=guess,
            confidence=confidence,
            fallback=fallback,
            alternatives=tuple(alternatives),
            language=detect_language(_MARKUP_RE.sub(r"\1", example)),
            last_seen=when,
        )
    ranked = sorted(by_key.values(), key=lambda i: (-i.seen, not i.fallback, i.confidence))
    report.items, report.over_limit = ranked[:limit], max(0, len(ranked) - limit)
    return report


def _comment(item: ReviewItem) -> str:
    parts = [item.language or "language unclear"]
    if item.fallback:
        parts.append(f"not understood (nlu_fallback), best guess {item.confidence:.2f}")
    else:
        parts.append(f"confidence {item.confidence:.2f}")
    if item.alternatives:
        parts.append("next: " + ", ".join(f"{name} {conf:.2f}" for name, conf in item.alternatives))
    if item.seen > 1:
        parts.append(f"seen {item.seen}x")
    return "# review: " + " · ".join(parts)


def render(
    report: ReviewReport, *, generated_at: datetime, since: datetime, threshold: float, source: str
) -> str:
    """The review file: Rasa NLU data, one item per message, grouped by the bot's guess."""
    lines = [
        "# NLU review: customer messages the bot was unsure about (complaintbot nlu review).",
        f"# Made {iso(generated_at)} from {source}: messages since {iso(since)}, "
        f"confidence below {threshold:g} or not understood.",
        f"# {len(report.items)} to review ({report.fallbacks} not understood); left out: "
        f"{report.duplicates} repeats, {report.known} already in data/nlu, {report.payloads} "
        f"button payloads, {report.too_long} longer than {MAX_EXAMPLE_CHARS} characters, "
        f"{report.over_limit} over the limit.",
        "# Phone numbers and e-mail addresses are masked; order numbers are kept.",
        "#",
        "# To label (docs/TRAINING.md): each message sits under the intent the bot guessed.",
        "#   right guess  -> delete its '# review:' line",
        "#   wrong guess  -> change the intent name, then delete its '# review:' line",
        "#   useless      -> delete the whole item (comment, intent, examples, the line)",
        "# Then add the lines to data/nlu/ (English before Chinese) and delete this file.",
        'version: "3.1"',
    ]
    if not report.items:
        lines.append("nlu: []  # nothing to review")
        return "\n".join(lines) + "\n"
    lines.append("nlu:")
    groups: dict[str, list[ReviewItem]] = {}
    for item in report.items:
        groups.setdefault(item.intent, []).append(item)
    for intent in sorted(groups):
        items = sorted(groups[intent], key=lambda i: (not i.fallback, i.confidence))
        lines += ["", f"# ===== guessed {intent}: {len(items)} =====", ""]
        for item in items:
            lines += [
                _comment(item),
                f"- intent: {intent}",
                "  examples: |",
                f"    - {item.example}",
            ]
    return "\n".join(lines) + "\n"


def build_review(
    location: str,
    *,
    since: timedelta,
    threshold: float,
    limit: int,
    nlu_dir: Path,
    now: datetime,
) -> tuple[str, ReviewReport]:
    """Reads the tracker store at `location` and returns the review file's text."""
    if not 0.0 < threshold <= 1.0:
        raise ReviewError(f"--threshold {threshold}: give a confidence between 0 and 1")
    if limit < 1:
        raise ReviewError(f"--limit {limit}: give at least 1")
    engine = tracker_engine(location)
    try:
        report = select_for_review(
            user_events(engine, now - since),
            threshold=threshold,
            limit=limit,
            known=known_examples(nlu_dir),
        )
    finally:
        engine.dispose()
    source = engine.url.render_as_string(hide_password=True) if "://" in location else location
    text = render(report, generated_at=now, since=now - since, threshold=threshold, source=source)
    return text, report
