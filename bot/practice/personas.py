"""Simulated customers for agent practice, built from the conversation corpus.

Every corpus conversation with a `persona` block becomes one persona: who the customer is
(name, language, category, product, order), the facts of the case, the emotion of each of
their turns, what would satisfy them (hidden from the agent until the end), and their
lines: the customer turns of the conversation, in order. `bot/practice/personas.yml` is
generated (`python scripts/build-personas.py`) and a test keeps it in sync with the corpus.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from bot.corpus import CORPUS_DIR, Conversation, load_corpus
from bot.paths import PROJECT_ROOT

PERSONAS_FILE = PROJECT_ROOT / "bot" / "practice" / "personas.yml"
HEADER = (
    "# Generated from tests/corpus/*.yml by scripts/build-personas.py: do not edit here,\n"
    "# edit the corpus's persona blocks and run the script again.\n"
)


def persona_of(conversation: Conversation) -> dict[str, Any]:
    persona = conversation.persona or {}
    lines = conversation.customer_lines
    return {
        "id": conversation.id,
        "lang": conversation.lang,
        "name": persona.get("name"),
        "category": persona.get("category"),
        "product": persona.get("product"),
        "order_id": persona.get("order_id"),
        "facts": persona.get("facts"),
        "emotion_curve": list(persona.get("emotion_curve") or ["calm"]),
        "satisfied_by": persona.get("satisfied_by"),
        "lines": lines,
    }


def build_personas(conversations: Iterable[Conversation]) -> list[dict[str, Any]]:
    """The personas of the conversations that carry one, ordered by id."""
    found = [persona_of(c) for c in conversations if c.persona]
    return sorted(found, key=lambda p: p["id"])


def render(personas: list[dict[str, Any]]) -> str:
    body = yaml.safe_dump({"personas": personas}, allow_unicode=True, sort_keys=False, width=100)
    return HEADER + body


def build_file(corpus_dir: Path = CORPUS_DIR, out: Path = PERSONAS_FILE) -> int:
    """Writes the personas file; returns how many personas it holds."""
    personas = build_personas(load_corpus(corpus_dir))
    out.write_text(render(personas), encoding="utf-8")
    return len(personas)


def load_personas(path: Path = PERSONAS_FILE) -> list[dict[str, Any]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return list(raw.get("personas") or [])
