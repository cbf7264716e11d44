"""Detects whether a customer writes Chinese or English."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# What says nothing about the language a customer prefers: e-mail addresses, URLs, ids
# with digits, and short words every Chinese speaker types in Latin letters. An address is
# matched from the start of its run of non-spaces only (the same matches as a bare
# \S+@\S+, which tries every position of a long run without "@": quadratic, 90 s for a
# 120,000-character message).
_NEUTRAL = re.compile(
    r"(?<!\S)\S+@\S+|https?://\S+|www\.\S+|\b[A-Za-z]*\d[A-Za-z0-9-]*\b"
    r"|\b(?:ok|okay|id|cp|jd|tb|app|vip|ps|pdf|wifi|usb|sms|iphone|ipad|mac)\b",
    re.IGNORECASE,
)

SUPPORTED = ("zh", "en")
# Latin words a Chinese-speaking customer answers with ("order no. JD…", "yes please"): a
# reply made only of them keeps the conversation in Chinese.
ANSWER_WORDS = frozenset(
    [
        "order",
        "no",
        "number",
        "num",
        "ref",
        "yes",
        "yeah",
        "yep",
        "please",
        "pls",
        "thanks",
        "thx",
        "sure",
        "fine",
        "good",
        "email",
        "mail",
        "phone",
        "tel",
        "mobile",
        "my",
        "is",
        "it",
        "the",
    ]
)


def detect_language(text: str, previous: str | None = None) -> str | None:
    """'zh', 'en', or `previous` when the text carries no clear signal (numbers, emoji, 'ok').

    Mixed messages ("快递delay了三天") count as Chinese as soon as they carry Chinese
    characters: a Chinese speaker mixes in English words far more often than the reverse.
    """
    if not text:
        return previous
    cjk = len(_CJK.findall(text))
    words = _LATIN_WORD.findall(_NEUTRAL.sub(" ", text))
    if cjk >= 2 or (cjk == 1 and len(words) <= 1):
        return "zh"
    if cjk == 0 and words:
        if previous == "zh" and (
            (len(words) == 1 and len(words[0]) <= 3)
            or all(word.lower() in ANSWER_WORDS for word in words)
        ):
            return previous  # "ok", "yes please", "order no. JD…" from a Chinese speaker
        return "en"
    if cjk == 1 and len(words) >= 2:
        return "en" if previous != "zh" else "zh"
    return previous
