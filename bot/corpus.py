"""The conversation corpus (tests/corpus/*.yml): messy customer conversations played through
the real gateway, each turn checked against what the bot should do.

`make conversations` starts a stack of its own and plays every conversation; the suite plays
them against its shared stack (tests/corpus/test_corpus.py). Both print the pass rate and
every failure with its transcript. Agent practice (bot/practice) builds its simulated
customers from the conversations that carry a `persona`.

A conversation:

    - id: en-fury-wrong-colour            # unique across the corpus
      lang: en                            # en | zh: the language every reply must be in
      tags: [fury, threat]
      persona: {...}                      # optional, for practice mode
      turns:
        - user: "you sent the wrong colour AGAIN!!!"
          expect: {says_any: [sorry], buttons_any: [/request_human]}
        - resolve: "We exchanged it"      # an agent resolves the newest ticket; the
          expect: {says_any: ["1"]}       #   follow-up it triggers is this turn's reply
      end: {tickets: 1, ticket: {category: delivery, severity: [major, urgent]}}

Turn checks (`expect`): says_any / says_all / not_says (case-insensitive substrings of the
turn's replies), buttons_any (payload prefixes, one must be offered), ticket_id (a new
CP- number in the replies), silent (no reply: an agent owns the conversation), fallback (the
"didn't understand" answer is allowed here), reply_lang (overrides `lang` for this turn).
Every turn, whatever its `expect`: HTTP 200, a reply unless silent, the reply in the
conversation's language, and never the fallback unless allowed. `end` checks the customer's
tickets through the tickets API: their number and the newest ticket's fields (a list means
any of these values).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from bot.paths import PROJECT_ROOT

CORPUS_DIR = PROJECT_ROOT / "tests" / "corpus"
PASS_RATE = 0.97

LANGS = ("en", "zh")
TURN_KINDS = ("user", "resolve")
EXPECT_KEYS = {
    "says_any", "says_all", "not_says", "buttons_any", "ticket_id", "silent", "fallback",
    "reply_lang",
}  # fmt: skip
END_KEYS = {"tickets", "ticket"}
TICKET_FIELDS = {
    "category", "severity", "status", "order_id", "product", "desired_resolution", "csat",
    "language", "emotion_peak", "motive", "reopen_count",
}  # fmt: skip
PERSONA_KEYS = {
    "name", "category", "product", "order_id", "facts", "emotion_curve", "satisfied_by",
}  # fmt: skip
# The bot's "didn't understand" answers (utter_default, utter_please_rephrase, utter_offer_human).
FALLBACK_MARKS = ("didn't quite get", "没完全理解", "keep missing what you mean", "一直没理解")
TICKET_ID = re.compile(r"CP-\d{8}-\d{4}")
_CJK = re.compile(r"[\u4e00-\u9fff]")


class CorpusError(ValueError):
    """A corpus file that does not follow the format."""


@dataclass(frozen=True)
class Turn:
    kind: str  # user | resolve
    text: str
    expect: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Conversation:
    id: str
    lang: str
    turns: tuple[Turn, ...]
    tags: tuple[str, ...] = ()
    persona: dict[str, Any] | None = None
    end: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    @property
    def customer_lines(self) -> list[str]:
        return [turn.text for turn in self.turns if turn.kind == "user"]


@dataclass
class Result:
    conversation: Conversation
    failures: list[str] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return value
    raise CorpusError(f"{where}: expected a string or a list of strings, got {value!r}")


def _parse_turn(raw: Any, where: str) -> Turn:
    if not isinstance(raw, dict):
        raise CorpusError(f"{where}: a turn is a mapping, got {raw!r}")
    kinds = [kind for kind in TURN_KINDS if kind in raw]
    if len(kinds) != 1:
        raise CorpusError(f"{where}: a turn has exactly one of {TURN_KINDS}")
    unknown = set(raw) - {*TURN_KINDS, "expect"}
    if unknown:
        raise CorpusError(f"{where}: unknown keys {sorted(unknown)}")
    text = raw[kinds[0]]
    if not isinstance(text, str) or not text.strip():
        raise CorpusError(f"{where}: {kinds[0]} needs a non-empty string")
    expect = raw.get("expect") or {}
    if not isinstance(expect, dict) or set(expect) - EXPECT_KEYS:
        raise CorpusError(f"{where}: expect keys must be among {sorted(EXPECT_KEYS)}")
    for key in ("says_any", "says_all", "not_says", "buttons_any"):
        if key in expect:
            expect[key] = _strings(expect[key], f"{where}.expect.{key}")
    if expect.get("reply_lang", "en") not in LANGS:
        raise CorpusError(f"{where}: reply_lang must be one of {LANGS}")
    return Turn(kinds[0], text, expect)


def _parse(raw: Any, where: str) -> Conversation:
    if not isinstance(raw, dict):
        raise CorpusError(f"{where}: a conversation is a mapping")
    unknown = set(raw) - {"id", "lang", "tags", "persona", "turns", "end"}
    if unknown:
        raise CorpusError(f"{where}: unknown keys {sorted(unknown)}")
    ident = raw.get("id")
    if not isinstance(ident, str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]{2,80}", ident):
        raise CorpusError(f"{where}: id must be lower-case letters, digits and dashes")
    where = f"{where} ({ident})"
    if raw.get("lang") not in LANGS:
        raise CorpusError(f"{where}: lang must be one of {LANGS}")
    turns = raw.get("turns")
    if not isinstance(turns, list) or not turns:
        raise CorpusError(f"{where}: turns must be a non-empty list")
    if not isinstance(turns[0], dict) or "user" not in turns[0]:
        raise CorpusError(f"{where}: the customer speaks first")
    end = raw.get("end") or {}
    if not isinstance(end, dict) or set(end) - END_KEYS:
        raise CorpusError(f"{where}: end keys must be among {sorted(END_KEYS)}")
    if set(end.get("ticket") or {}) - TICKET_FIELDS:
        raise CorpusError(f"{where}: end.ticket fields must be among {sorted(TICKET_FIELDS)}")
    persona = raw.get("persona")
    if persona is not None and (not isinstance(persona, dict) or set(persona) - PERSONA_KEYS):
        raise CorpusError(f"{where}: persona keys must be among {sorted(PERSONA_KEYS)}")
    return Conversation(
        id=ident,
        lang=raw["lang"],
        turns=tuple(_parse_turn(turn, f"{where} turn {n + 1}") for n, turn in enumerate(turns)),
        tags=tuple(str(tag) for tag in raw.get("tags") or ()),
        persona=persona,
        end=end,
        source=where.split(" ")[0],
    )


def load_corpus(directory: Path = CORPUS_DIR) -> list[Conversation]:
    """Every conversation of every *.yml file in `directory`, validated; ids are unique."""
    conversations: list[Conversation] = []
    for path in sorted(directory.glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        items = document.get("conversations") if isinstance(document, dict) else None
        if not isinstance(items, list):
            raise CorpusError(f"{path.name}: expected a top-level `conversations:` list")
        conversations += [_parse(item, f"{path.name}[{n}]") for n, item in enumerate(items)]
    seen: set[str] = set()
    for conversation in conversations:
        if conversation.id in seen:
            raise CorpusError(f"duplicate conversation id {conversation.id}")
        seen.add(conversation.id)
    return conversations


def _text(replies: Sequence[dict[str, Any]]) -> str:
    return "\n".join(str(reply.get("text") or "") for reply in replies)


def _payloads(replies: Sequence[dict[str, Any]]) -> list[str]:
    return [str(b.get("payload", "")) for r in replies for b in r.get("buttons") or ()]


def _shown(replies: Sequence[dict[str, Any]]) -> list[str]:
    lines = []
    for reply in replies:
        line = f"  < {reply.get('text') or ''}"
        titles = [str(b.get("title", "")) for b in reply.get("buttons") or ()]
        lines.append(line + (f"  [{' | '.join(titles)}]" if titles else ""))
    return lines or ["  < (no reply)"]


def check_turn(turn: Turn, lang: str, replies: Sequence[dict[str, Any]]) -> list[str]:
    """What is wrong with the bot's replies to one turn (empty: nothing)."""
    expect = turn.expect
    text = _text(replies)
    lowered = text.lower()
    problems: list[str] = []
    if expect.get("silent"):
        if text.strip():
            problems.append("expected no reply (an agent owns the conversation)")
        return problems
    if not text.strip():
        return ["no reply"]
    wanted = expect.get("reply_lang", lang)
    if wanted == "zh" and not _CJK.search(text):
        problems.append("the reply is not in Chinese")
    if wanted == "en" and _CJK.search(text):
        problems.append("the reply is not in English")
    if not expect.get("fallback") and any(mark in lowered for mark in FALLBACK_MARKS):
        problems.append("the bot fell back ('didn't understand')")
    if "says_any" in expect and not any(s.lower() in lowered for s in expect["says_any"]):
        problems.append(f"says none of {expect['says_any']}")
    for wanted_text in expect.get("says_all", ()):
        if wanted_text.lower() not in lowered:
            problems.append(f"does not say {wanted_text!r}")
    for unwanted in expect.get("not_says", ()):
        if unwanted.lower() in lowered:
            problems.append(f"says {unwanted!r}")
    if "buttons_any" in expect:
        payloads = _payloads(replies)
        if not any(p.startswith(prefix) for p in payloads for prefix in expect["buttons_any"]):
            problems.append(f"offers none of the buttons {expect['buttons_any']} ({payloads})")
    if "ticket_id" in expect and bool(TICKET_ID.search(text)) != bool(expect["ticket_id"]):
        problems.append("a ticket number was " + ("expected" if expect["ticket_id"] else "given"))
    return problems


def check_end(end: dict[str, Any], tickets: Sequence[dict[str, Any]]) -> list[str]:
    """What is wrong with the customer's tickets at the end of the conversation."""
    problems: list[str] = []
    if "tickets" in end and len(tickets) != end["tickets"]:
        problems.append(f"{len(tickets)} tickets, expected {end['tickets']}")
    wanted = end.get("ticket") or {}
    if wanted:
        if not tickets:
            return [*problems, "no ticket was opened"]
        newest = max(tickets, key=lambda t: str(t.get("created_at", "")) + str(t["id"]))
        for name, value in wanted.items():
            allowed = value if isinstance(value, list) else [value]
            if newest.get(name) not in allowed:
                problems.append(f"ticket {name} is {newest.get(name)!r}, expected {value!r}")
    return problems


class Player:
    """Plays conversations through a running gateway (REST channel and the tickets API)."""

    def __init__(self, base_url: str, api_headers: dict[str, str], *, run: str = "") -> None:
        self.base_url = base_url
        self.api_headers = api_headers
        self.run = run or uuid.uuid4().hex[:6]

    def _say(self, client: httpx.Client, sender: str, text: str) -> list[dict[str, Any]]:
        response = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
        if response.status_code != 200:
            raise AssertionError(f"HTTP {response.status_code}: {response.text[:300]}")
        return list(response.json())

    def _tickets(self, client: httpx.Client, sender: str) -> list[dict[str, Any]]:
        response = client.get(
            "/api/tickets", params={"sender_id": sender, "limit": 50}, headers=self.api_headers
        )
        response.raise_for_status()
        return list(response.json()["items"])

    def _resolve(self, client: httpx.Client, sender: str, note: str) -> list[dict[str, Any]]:
        tickets = self._tickets(client, sender)
        if not tickets:
            raise AssertionError("nothing to resolve: no ticket was opened")
        newest = max(tickets, key=lambda t: str(t.get("created_at", "")) + str(t["id"]))
        response = client.patch(
            f"/api/tickets/{newest['id']}",
            json={"status": "resolved", "resolution_note": note},
            headers=self.api_headers,
        )
        if response.status_code != 200:
            raise AssertionError(f"resolving {newest['id']}: HTTP {response.status_code}")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            got = client.get("/webhooks/rest/messages", params={"sender": sender}).json()
            if got:
                return list(got)
            time.sleep(0.25)
        raise AssertionError("the follow-up never arrived")

    def play(self, conversation: Conversation, client: httpx.Client) -> Result:
        result = Result(conversation)
        sender = f"corpus-{self.run}-{conversation.id}"[:64]
        for number, turn in enumerate(conversation.turns, 1):
            label = "> " + turn.text if turn.kind == "user" else f"[agent resolves: {turn.text}]"
            result.transcript.append(f"  {label}")
            try:
                if turn.kind == "user":
                    replies = self._say(client, sender, turn.text)
                else:
                    replies = self._resolve(client, sender, turn.text)
            except (AssertionError, httpx.HTTPError) as exc:
                result.failures.append(f"turn {number}: {exc}")
                return result
            result.transcript += _shown(replies)
            result.failures += [
                f"turn {number}: {p}" for p in check_turn(turn, conversation.lang, replies)
            ]
        if conversation.end:
            try:
                tickets = self._tickets(client, sender)
            except httpx.HTTPError as exc:
                result.failures.append(f"end: tickets API: {exc}")
                return result
            result.failures += [f"end: {p}" for p in check_end(conversation.end, tickets)]
            result.transcript.append(
                "  = tickets: "
                + (
                    "; ".join(
                        f"{t['id']} {t.get('category')}/{t.get('severity')} {t.get('status')}"
                        for t in tickets
                    )
                    or "none"
                )
            )
        return result

    def play_all(self, conversations: Iterable[Conversation], *, workers: int = 4) -> list[Result]:
        """Conversations in parallel (each one's turns in order), results in corpus order."""
        with (
            httpx.Client(base_url=self.base_url, timeout=90.0) as client,
            ThreadPoolExecutor(max_workers=workers) as pool,
        ):
            return list(pool.map(lambda c: self.play(c, client), conversations))


def pass_rate(results: Sequence[Result]) -> float:
    return sum(r.passed for r in results) / len(results) if results else 0.0


def report(results: Sequence[Result]) -> str:
    """The pass rate (overall, per language and per tag) and every failure with its transcript."""
    lines = []
    for result in results:
        if result.passed:
            continue
        lines.append(f"FAILED {result.conversation.id} ({result.conversation.source})")
        lines += [f"  ! {failure}" for failure in result.failures]
        lines += result.transcript
        lines.append("")
    by: dict[str, list[Result]] = {}
    for result in results:
        by.setdefault(f"lang {result.conversation.lang}", []).append(result)
        for tag in result.conversation.tags:
            by.setdefault(f"tag {tag}", []).append(result)
    for name in sorted(by):
        group = by[name]
        lines.append(f"  {name:<24} {sum(r.passed for r in group):3d}/{len(group):<3d}")
    passed = sum(r.passed for r in results)
    lines.append(
        f"conversations: {passed}/{len(results)} passed, pass rate {pass_rate(results):.1%}"
        f" (required {PASS_RATE:.0%})"
    )
    return "\n".join(lines)


def select(
    conversations: Sequence[Conversation], only: Sequence[str] = (), tags: Sequence[str] = ()
) -> list[Conversation]:
    chosen = [c for c in conversations if not only or c.id in only]
    return [c for c in chosen if not tags or set(tags) & set(c.tags)]


def main(argv: Sequence[str] | None = None, say: Callable[[str], None] = print) -> int:
    """`make conversations`: a stack of its own, every conversation played, the report."""
    parser = argparse.ArgumentParser(prog="make conversations", description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", default=(), help="conversation ids to play")
    parser.add_argument("--tag", nargs="*", default=(), help="play conversations with these tags")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--gateway", help="play against this running gateway (e.g. http://127.0.0.1:8000) "
        "instead of starting a stack; its API token in COMPLAINTBOT_API_TOKEN"
    )  # fmt: skip
    args = parser.parse_args(argv)
    conversations = select(load_corpus(), args.only, args.tag)
    if not conversations:
        say("no conversation matches")
        return 2
    if args.gateway:
        token = os.environ.get("COMPLAINTBOT_API_TOKEN", "")
        player = Player(args.gateway.rstrip("/"), {"Authorization": f"Bearer {token}"})
        results = player.play_all(conversations, workers=args.workers)
        say(report(results))
        return 0 if pass_rate(results) >= PASS_RATE else 1

    from bot.model import ensure_model
    from bot.stack import Stack, local_settings

    var_dir = Path(tempfile.mkdtemp(prefix="complaintbot-corpus-"))
    settings = local_settings(var_dir, rate_limit_per_ip=100_000)
    stack = Stack(settings, ensure_model(PROJECT_ROOT), PROJECT_ROOT)
    stack.start()
    try:
        assert settings.api_token is not None
        headers = {"Authorization": f"Bearer {settings.api_token.get_secret_value()}"}
        player = Player(f"http://127.0.0.1:{settings.port}", headers)
        started = time.monotonic()
        results = player.play_all(conversations, workers=args.workers)
        say(report(results))
        say(f"played {len(results)} conversations in {time.monotonic() - started:.0f} s")
    finally:
        stack.stop()
    return 0 if pass_rate(results) >= PASS_RATE else 1


if __name__ == "__main__":
    sys.exit(main())
