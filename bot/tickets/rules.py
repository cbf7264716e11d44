"""Severity and motive rules (DESIGN §5), pure functions of what the bot learned."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAJOR_CATEGORIES = {"safety", "privacy"}
COMPENSATION_REMEDIES = {"refund", "compensation", "replacement"}
RESOLUTION_REMEDIES = {"repair", "explanation", "apology"}

# Ongoing danger or injury: the complaint goes straight to the top of the queue, whatever its
# category (DESIGN §5; the intake also files it as `safety` unless the customer picks another).
_DANGER = re.compile(
    r"着火|起火|冒烟|冒火|烧起来|烧焦|爆炸|漏电|触电|被电|电到|电了一下|电击|打火花|冒火花|冒火星|燎(?:了|到|着)|"
    r"漏气|煤气|燃气|受伤|摔伤|割伤|划伤|砸伤|烫伤|烧伤|烫到|"
    r"水泡|流血|出血|住院|急诊|送医|医院|中毒|昏迷|晕倒|呼吸困难|休克|骨折|缝针|"
    r"过敏.{0,6}(?:严重|休克|肿|喘)|严重过敏|上吐下泻|呕吐|吐了一|噎住|噎到|卡住?喉咙|卡在喉咙|窒息|"
    r"摔倒|跌倒|滑倒|摔了一跤|差点(?:摔|掉下|被电|烧|噎|撞|砸|晕|追尾|出车祸)|误食|(?:孩子|宝宝|小孩|儿子|女儿|婴儿).{0,10}吞|"
    r"电梯.{0,8}(?:下坠|坠落|掉下|掉到|掉了|往下掉|急停|困住|困在|关在|卡住|夹)|"
    r"(?:困在|关在|被困)[^，。！？]{0,8}电梯|"
    r"\bfire\b|on fire|smok(?:e|ing)|explod|electric shock|electrocut|gas leak|bleed|injur|carbon monoxide|\bco alarm|"
    r"smel(?:t|led|ls|l|ling) (?:of )?gas|smel(?:t|led) a (?:gas )?leak|evacuat|brakes? (?:[\w-]+ ){0,4}(?:failed|gave out|stopped working)|刹车(?:就|突然|完全)?(?:失灵|不灵|失效)|over the handlebars|"
    r"缝了[一二三四五六七八九十几\d]+针|打伤|exposed (?:live )?wir(?:es|ing)|电线裸露|裸露的电线|"
    r"\bhurt\b|\bcut (?:his|her|my|their|our) |stitches|hospital|\ber\b|emergency|poison|"
    r"can'?t breathe|unconscious|faint|burn(?:ed|t|s)?\b|fractur|blister|choking(?! hazard)|choked|"
    r"allergic reaction|vomit|throwing up|threw up|"
    r"(?:got|gave (?:me|him|her|us|them)) an? (?:electric )?shock|shocked (?:me|him|her|us|them)|"
    r"zapped|\bsparks?\b|sparking|\bmelt(?:ed|ing)\b|"
    r"(?:i|he|she|they|we|kid|child|son|daughter|baby|mum|mom|dad|grandma|grandpa|grandmother|"
    r"grandfather|wife|husband|partner|mother|father|sister|brother|friend|girlfriend|boyfriend) "
    r"(?:fell|slipped|tripped)\b|"
    r"(?:kid|child|son|daughter|baby|toddler) (?:\w+ ){0,2}swallowed|"
    r"(?:elevator|lift) (?:\w+ ){0,3}(?:dropped|fell|plunged|stuck|trapped|jerked)",
    re.IGNORECASE,
)
# Cues of a safety problem that is not (or not yet) an emergency: the complaint is filed as
# `safety` (major) rather than as a quality or delivery issue.
_SAFETY = re.compile(
    r"过敏|起疹|红疹|皮疹|疹子|拉肚子|腹泻|肚子疼|不安全|安全隐患|危险|锋利|小零件|异物|玻璃渣|"
    r"allerg|\brash\b|\bhives\b|diarrh|stomach ache|unsafe|dangerous|hazard|sharp edges?|"
    r"small parts|choking hazard|foreign object|(?:glass|metal|plastic) (?:shard|piece|fragment)s?",
    re.IGNORECASE,
)
# "幸好没人受伤" / "no one was hurt": the danger words are there, the danger is not.
_NO_HARM = re.compile(
    r"(?:没|没有|无)人?(?:受伤|伤到|烫到|出事)|幸好没|好在没|"
    r"(?:没|没有|不)(?:漏电|过敏|起疹|冒烟|着火)|"
    r"(?:no ?one|nobody) (?:was |got )?(?:hurt|injured)|(?:wasn'?t|was not|weren'?t) (?:hurt|injured)|"
    r"\bno (?:rash|sparks?|smoke|fire|shock)\b|not allergic",
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


def is_safety_concern(text: str | None) -> bool:
    """Whether the text reports danger, an injury or another safety problem (an allergy, a
    sharp edge, a foreign object): such a complaint is a safety complaint."""
    if not text:
        return False
    text = _NO_HARM.sub(" ", text)
    return bool(_DANGER.search(text) or _SAFETY.search(text))


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
    if is_danger(description):
        reasons.append("ongoing danger or injury")
        severity = "urgent"
    else:
        if category in MAJOR_CATEGORIES:
            reasons.append(f"{category} complaint")
        elif is_safety_concern(description):
            reasons.append("safety concern")
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
