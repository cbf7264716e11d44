"""A response of domain.yml in a given language, for actions that must choose it themselves
(the language slot is being set in the same step, or the buttons are reordered)."""

from __future__ import annotations

from typing import Any

from rasa_sdk.types import DomainDict


def variant(domain: DomainDict, response: str, lang: str) -> dict[str, Any] | None:
    """The `lang` variation of `response` (the one conditioned on it, else the one with no
    language condition), or None when the domain does not have it."""
    variants = (domain.get("responses") or {}).get(response) or []
    return next(
        (v for v in variants if _lang_of(v) == lang),
        next((v for v in variants if _lang_of(v) is None), None),
    )


def _lang_of(variation: dict[str, Any]) -> str | None:
    for condition in variation.get("condition") or []:
        if condition.get("name") == "lang":
            return condition.get("value")
    return None
