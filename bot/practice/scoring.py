"""The practice rubric: how an agent's answers to a simulated customer are scored.

Each item passes or fails with a reason the agent is shown:
- fact: the first reply restates the case (the product, the order number or a word of
  the complaint's category);
- feeling: the first reply acknowledges the customer's feeling (empathy phrases, en/zh);
- plan: the first reply says what happens next and when (a time expression);
- no blame: no reply blames the customer (blame phrases, en/zh);
- remedy: a remedy is offered, within the agent's authority (the remedy policy);
- speed: the first reply came within FAST_SECONDS.
One point each; the score is the points over the items (six).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.tickets.remedy_policy import InvalidRemedy, RemedyPolicy

FAST_SECONDS = 60
CATEGORY_WORDS = {
    "delivery": ("deliver", "parcel", "package", "courier", "shipping", "配送", "快递", "送货", "物流", "送错"),
    "billing": ("charge", "bill", "invoice", "payment", "扣费", "扣款", "账单", "收费"),
    "product_quality": ("broken", "faulty", "defect", "quality", "质量", "坏", "故障"),
    "service_attitude": ("rude", "attitude", "staff", "态度", "服务"),
    "after_sales": ("repair", "warranty", "return", "售后", "维修", "保修", "退货"),
    "safety": ("safety", "danger", "injur", "安全", "危险", "受伤"),
    "privacy": ("privacy", "data", "personal", "隐私", "信息"),
}  # fmt: skip
EMPATHY = (
    "sorry", "apologi", "understand", "frustrat", "upsetting", "i hear you", "must be",
    "抱歉", "对不起", "理解", "不好意思", "让您", "给您带来",
)  # fmt: skip
BLAME = (
    "your fault", "you should have", "you didn't", "you did not", "you failed", "not our fault",
    "not our problem", "you must have", "calm down", "policy says", "nothing we can do",
    "你自己", "您自己的问题", "不是我们的问题", "不关我们的事", "你应该", "您应该早", "冷静一点",
    "没办法", "怪你",
)  # fmt: skip
TIME = re.compile(
    r"\b(today|tonight|tomorrow|within \d+|in \d+ (minutes?|hours?|days?)|by \d|"
    r"\d+ ?(minutes?|hours?|days?|h)\b|before \d|end of (the )?day|this (afternoon|evening|week))"
    r"|今天|明天|今晚|\d+ ?(分钟|小时|天|个工作日)|[一二两三四五六七八九十]+(分钟|小时|天|个工作日)|之前|以内|内",
    re.IGNORECASE,
)
REMEDY_WORDS = {
    "refund": ("refund", "money back", "退款", "退钱", "退还"),
    "replacement": ("replace", "new one", "exchange", "换货", "更换", "换一", "重新发", "补发"),
    "repair": ("repair", "fix it", "维修", "修好"),
    "compensation": ("compensat", "voucher", "coupon", "credit", "补偿", "赔偿", "代金券", "优惠券"),
}  # fmt: skip
AMOUNT = re.compile(
    r"(?:(?P<sym>[¥￥$€])\s?(?P<a1>\d+(?:\.\d+)?))|(?:(?P<a2>\d+(?:\.\d+)?)\s?"
    r"(?P<code>元|块|CNY|RMB|USD|EUR|HKD|dollars?|yuan))",
    re.IGNORECASE,
)
CURRENCY = {"¥": "CNY", "￥": "CNY", "$": "USD", "€": "EUR", "元": "CNY", "块": "CNY",
            "rmb": "CNY", "yuan": "CNY", "dollar": "USD", "dollars": "USD"}  # fmt: skip


@dataclass(frozen=True)
class Item:
    name: str  # fact | feeling | plan | no_blame | remedy | speed
    passed: bool
    reason: str


@dataclass(frozen=True)
class Score:
    items: tuple[Item, ...]

    @property
    def points(self) -> int:
        return sum(item.passed for item in self.items)

    def as_dict(self) -> dict[str, Any]:
        return {
            "points": self.points,
            "out_of": len(self.items),
            "items": [{"name": i.name, "passed": i.passed, "reason": i.reason} for i in self.items],
        }


def has_any(text: str, words: Sequence[str]) -> str | None:
    lowered = text.lower()
    return next((word for word in words if word.lower() in lowered), None)


def offered_remedy(text: str) -> tuple[str, Decimal | None, str | None] | None:
    """(type, amount, currency) of the first remedy the text offers, or None."""
    for kind, words in REMEDY_WORDS.items():
        if has_any(text, words):
            found = AMOUNT.search(text)
            if found is None:
                return kind, None, None
            amount = Decimal(found.group("a1") or found.group("a2"))
            unit = (found.group("sym") or found.group("code") or "").lower()
            return kind, amount, CURRENCY.get(unit, unit.upper())
    return None


def _fact(persona: dict[str, Any], reply: str) -> Item:
    keys = [str(persona[k]) for k in ("product", "order_id") if persona.get(k)]
    keys += list(CATEGORY_WORDS.get(str(persona.get("category")), ()))
    hit = has_any(reply, keys)
    if hit:
        return Item("fact", True, f"restates the case ({hit!r})")
    return Item("fact", False, "does not restate the case: name the product, order or problem")


def score(
    persona: dict[str, Any],
    replies: Sequence[str],
    *,
    first_reply_seconds: float,
    policy: RemedyPolicy,
    role: str = "agent",
) -> Score:
    """The rubric over the agent's replies in order (the first one carries FEP)."""
    first = replies[0] if replies else ""
    everything = "\n".join(replies)
    items = [_fact(persona, first)]
    feeling = has_any(first, EMPATHY)
    items.append(Item("feeling", bool(feeling), f"acknowledges the feeling ({feeling!r})"
                      if feeling else "no acknowledgement of how the customer feels"))  # fmt: skip
    when = TIME.search(first)
    items.append(Item("plan", bool(when), f"gives a plan with a time ({when.group(0)!r})"
                      if when else "no plan with a time: say what happens next and by when"))  # fmt: skip
    blame = has_any(everything, BLAME)
    items.append(Item("no_blame", not blame, f"blames the customer ({blame!r})"
                      if blame else "no blame words"))  # fmt: skip
    items.append(_remedy(everything, policy, role))
    fast = first_reply_seconds <= FAST_SECONDS
    items.append(Item("speed", fast, f"first reply after {round(first_reply_seconds)} s"
                      + ("" if fast else f" (aim for {FAST_SECONDS} s)")))  # fmt: skip
    return Score(tuple(items))


def _remedy(text: str, policy: RemedyPolicy, role: str) -> Item:
    offered = offered_remedy(text)
    if offered is None:
        return Item("remedy", False, "no remedy offered")
    kind, amount, currency = offered
    try:
        remedy = policy.check(kind, amount, currency)
    except InvalidRemedy as exc:
        return Item("remedy", False, f"{kind}: {exc}")
    decision = policy.decide(role, remedy)
    if decision.granted:
        return Item("remedy", True, f"{remedy.describe()} is within your authority")
    return Item("remedy", False, f"{remedy.describe()} needs approval: {decision.why}")
