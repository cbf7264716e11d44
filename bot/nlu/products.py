"""The product a customer says they bought, from their own words (issue 18).

The statistical extractor (CRF) proposes products from any noun it has learnt; "while boiling
water" gave "water". What the customer says about their purchase is more reliable: "the
kettle I bought", "my new air fryer stopped…", "买的电热水壶…", "订的沙发…". When such a frame
names a product it wins; otherwise a proposal that is no product at all (water, the parcel,
the order, money) is dropped. Chinese frames are cut with jieba (Rasa's environment has it;
without it only the English frames and the drop list apply).
"""

from __future__ import annotations

import re
from typing import Any

# Things customers mention that are not what they bought.
NOT_PRODUCTS = frozenset(
    [
        "water",
        "hot",
        "water",
        "boiling",
        "water",
        "cold",
        "water",
        "ice",
        "steam",
        "smoke",
        "fire",
        "electricity",
        "power",
        "current",
        "order",
        "orders",
        "parcel",
        "package",
        "packet",
        "box",
        "delivery",
        "shipment",
        "courier",
        "driver",
        "refund",
        "money",
        "payment",
        "charge",
        "card",
        "account",
        "complaint",
        "item",
        "items",
        "thing",
        "things",
        "stuff",
        "one",
        "it",
        "them",
        "product",
        "products",
        "goods",
        "purchase",
        "time",
        "week",
        "day",
        "days",
        "hour",
        "hours",
        "水",
        "热水",
        "开水",
        "冷水",
        "凉水",
        "冰",
        "蒸汽",
        "烟",
        "火",
        "电",
        "订单",
        "快递",
        "包裹",
        "包装",
        "箱子",
        "钱",
        "款",
        "退款",
        "东西",
        "商品",
        "货",
        "物品",
        "时候",
        "时间",
        "问题",
    ]
)
_DETERMINER = r"(?:my|the|a|an|this|that|our|these|those)"
_NOUN = r"[a-z][a-z-]*"
_PHRASE = rf"((?:{_NOUN}\s+){{0,2}}?{_NOUN})"
_ADJECTIVES = re.compile(r"^(?:(?:brand[- ])?new|old|second|first|little|big|cheap|expensive)\s+")
_EN_FRAMES = [
    # "the kettle I bought", "a sofa we ordered"
    re.compile(
        rf"\b{_DETERMINER}\s+{_PHRASE}\s+(?:that\s+|which\s+)?(?:i|we)\s+(?:just\s+|recently\s+)?"
        r"(?:bought|ordered|purchased|got)\b",
        re.IGNORECASE,
    ),
    # "my new air fryer stopped heating", "my headphones broke"
    re.compile(
        rf"\bmy\s+{_PHRASE}\s+(?:stopped|broke|is|are|was|were|won'?t|doesn'?t|don'?t|keeps?|"
        r"leaks?|arrived|came|died|has|have|had|cracked|started|smells?|caught|exploded|melted)\b",
        re.IGNORECASE,
    ),
    # "I bought a kettle", "ordered two lamps from you"
    re.compile(
        rf"\b(?:bought|ordered|purchased)\s+(?:a|an|the|some|my|two|three|this|these)?\s*{_PHRASE}"
        r"(?=\s+(?:from|on|at|for|last|yesterday|online|that|which|and|but|in|off)\b|\s*[,.;!?]|\s*$)",
        re.IGNORECASE,
    ),
]
# 买的 / 新买的 / 订的 / 购买的 / 下单的 / 收到的 … then the first noun.
_ZH_CUE = re.compile(r"(?:买|购买|订|订购|下单|网购|入手|收到)(?:了)?的")
_ZH_NOUN_FLAGS = ("n", "nz", "ng", "nrt", "eng")
_MEASURE_WORDS = frozenset(
    [
        "个",
        "台",
        "件",
        "双",
        "部",
        "只",
        "套",
        "瓶",
        "盒",
        "袋",
        "款",
        "那",
        "这",
        "那台",
        "这台",
        "那个",
        "这个",
        "那件",
        "这件",
    ]
)
# Words that end an English product phrase: "my order never came" names no product.
_FUNCTION_WORDS = frozenset(
    [
        "never",
        "still",
        "just",
        "always",
        "also",
        "already",
        "not",
        "really",
        "totally",
        "completely",
        "only",
        "even",
        "again",
    ]
)


def _clean(phrase: str) -> str | None:
    phrase = _ADJECTIVES.sub("", phrase.strip().lower())
    words = phrase.split()
    if not words or words[-1] in NOT_PRODUCTS or phrase in NOT_PRODUCTS:
        return None
    if any(word in _FUNCTION_WORDS or word in NOT_PRODUCTS for word in words):
        return None
    return " ".join(words[-2:]) if len(words) > 2 else phrase


def _english(text: str) -> tuple[str, int, int] | None:
    for frame in _EN_FRAMES:
        for match in frame.finditer(text):
            product = _clean(match.group(1))
            if product:
                start = match.start(1) + match.group(1).lower().rfind(product.split()[0])
                return product, start, start + len(product)
    return None


def _chinese(text: str) -> tuple[str, int, int] | None:
    cue = _ZH_CUE.search(text)
    if not cue:
        return None
    try:
        import jieba.posseg as posseg  # the Rasa environment only
    except ImportError:
        return None
    offset = cue.end()
    for pair in posseg.cut(text[offset : offset + 20]):
        word, flag = pair.word, pair.flag
        # "那台", "这个", "一双", "两件": pronouns, numerals and measure words come first.
        if not word.strip() or flag.startswith(("r", "m", "q")) or word in _MEASURE_WORDS:
            offset += len(word)
            continue
        if flag.startswith(_ZH_NOUN_FLAGS) and word not in NOT_PRODUCTS and len(word) >= 2:
            start = text.find(word, offset)
            return word, start, start + len(word)
        return None
    return None


def purchased_product(text: str) -> tuple[str, int, int] | None:
    """(product, start, end) the customer says they bought, or None."""
    if not text:
        return None
    return _chinese(text) or _english(text)


def settle_products(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`entities` with their `product` ones settled: the customer's own purchase frame wins,
    and proposals that are no product are dropped."""
    others = [e for e in entities if e.get("entity") != "product"]
    proposed = [e for e in entities if e.get("entity") == "product"]
    found = purchased_product(text)
    if found is not None:
        value, start, end = found
        return [*others, {"entity": "product", "value": value, "start": start, "end": end}]
    kept = [e for e in proposed if str(e.get("value", "")).strip().lower() not in NOT_PRODUCTS]
    return others + kept
