"""Severity and motive rules (DESIGN §5), pure functions of what the bot learned."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAJOR_CATEGORIES = {"safety", "privacy"}
COMPENSATION_REMEDIES = {"refund", "compensation", "replacement"}
RESOLUTION_REMEDIES = {"repair", "explanation", "apology"}

# Ongoing danger or injury: the complaint goes straight to the top of the queue.
_DANGER = re.compile(
    r"着火|起火|冒烟|烧起来|爆炸|漏电|触电|漏气|煤气|燃气|受伤|摔伤|割伤|划伤|砸伤|烫伤|烧伤|烫到|"
    r"水泡|流血|出血|住院|急诊|送医|医院|中毒|昏迷|晕倒|呼吸困难|休克|骨折|缝针|"
    r"过敏.{0,6}(?:严重|休克|肿|喘)|严重过敏|"
    r"\bfire\b|on fire|smok(?:e|ing)|explod|electric shock|electrocut|gas leak|bleed|injur|"
    r"\bhurt\b|\bcut (?:his|her|my|their|our) |stitches|hospital|\ber\b|emergency|poison|"
    r"can'?t breathe|unconscious|faint|burn(?:ed|t|s)?\b|fractur|blister|choking|allergic reaction",
    re.IGNORECASE,
)
# "幸好没人受伤" / "no one was hurt": the danger words are there, the danger is not.
_NO_HARM = re.compile(
    r"(?:没|没有|无)人?(?:受伤|伤到|烫到|出事)|幸好没|好在没|"
    r"(?:no ?one|nobody) (?:was |got )?(?:hurt|injured)|(?:wasn'?t|was not|weren'?t) (?:hurt|injured)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Assessment:
    severity: str
    motive: str
    reasons: tuple[str, ...]


def is_danger(text: str | None) -> bool:
    """Whether the text reports ongoing danger or an injury (negated mentions excluded)."""
    return bool(text and _DANGER.search(_NO_HARM.sub(" ", text)))


def assess(
    *,
    category: str,
    description: str | None,
    desired_resolution: str | None,
    emotion_peak: str | None,
    escalation_threat: str | None,
    recent_complaints: int = 0,
) -> Assessment:
    """Severity and motive of a complaint.

    `recent_complaints` counts the customer's earlier complaints in the last 30 days
    (this one excluded): the third complaint in 30 days is major.
    """
    reasons: list[str] = []
    if category == "safety" and is_danger(description):
        reasons.append("ongoing danger or injury")
        severity = "urgent"
    else:
        if category in MAJOR_CATEGORIES:
            reasons.append(f"{category} complaint")
        if escalation_threat:
            reasons.append(f"escalation threat: {escalation_threat}")
        if emotion_peak == "furious":
            reasons.append("customer furious")
        if recent_complaints >= 2:
            reasons.append(f"complaint number {recent_complaints + 1} in 30 days")
        severity = "major" if reasons else "general"

    if category == "suggestion":
        motive = "suggestion"
    elif desired_resolution in COMPENSATION_REMEDIES:
        motive = "compensation"
    elif desired_resolution in RESOLUTION_REMEDIES:
        motive = "resolution"
    else:
        motive = "venting"
    return Assessment(severity=severity, motive=motive, reasons=tuple(reasons))
