"""Labels and formats shown to customers in Chinese and English.

Whole sentences live in domain.yml (trainers edit them); this module only holds the short
labels and date formats that fill their placeholders.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

CATEGORY_LABELS = {
    "product_quality": ("商品质量", "product quality"),
    "service_attitude": ("服务态度", "staff attitude"),
    "delivery": ("物流配送", "delivery"),
    "billing": ("收费扣款", "billing"),
    "after_sales": ("售后退换", "returns and after-sales"),
    "safety": ("安全", "safety"),
    "privacy": ("隐私与骚扰", "privacy"),
    "suggestion": ("建议", "suggestion"),
    "other": ("其他", "general"),
}
RESOLUTION_LABELS = {
    "refund": ("退款", "a refund"),
    "replacement": ("换货", "a replacement"),
    "repair": ("维修", "a repair"),
    "compensation": ("赔偿", "compensation"),
    "apology": ("一个道歉", "an apology"),
    "explanation": ("一个解释", "an explanation"),
    "none": ("我们先了解情况", "us to look into it"),
}
STATUS_LABELS = {
    "open": ("已受理，等待专员处理", "received, waiting for a specialist"),
    "escalated": ("已升级，主管跟进中", "escalated to a supervisor"),
    "in_progress": ("专员处理中", "being handled by a specialist"),
    "resolved": ("已处理完毕", "resolved"),
    "closed": ("已结案", "closed"),
    "reopened": ("已重新打开，优先处理中", "reopened and prioritised"),
    "withdrawn": ("已撤回", "withdrawn"),
}

# The `{next_step}` part of utter_ticket_status: who has the ticket and by when.
NEXT_STEP_LABELS = {
    "first_response": ("{who}会在 {when}前联系您。", "{who} will contact you by {when}."),
    "resolution": ("{who}会在 {when}前给出处理结果。", "{who} will resolve it by {when}."),
    "overdue": (
        "已超过我们承诺的时间，非常抱歉，已为您优先催办。",
        "We are past the time we promised, and we are sorry: it has been flagged for priority.",
    ),
}
WHO_LABELS = {
    "agent": ("专员{name}", "{name}"),
    "specialist": ("专员", "A specialist"),
    "supervisor": ("主管", "A supervisor"),
}
MORE_TICKETS_LABEL = ("另有 {n} 个工单正在处理中。", "{n} more of your tickets are in progress.")


def _pick(pair: tuple[str, str], lang: str | None) -> str:
    return pair[0] if lang == "zh" else pair[1]


def category_label(category: str | None, lang: str | None) -> str:
    return _pick(CATEGORY_LABELS.get(category or "other", CATEGORY_LABELS["other"]), lang)


def resolution_label(resolution: str | None, lang: str | None) -> str:
    return _pick(RESOLUTION_LABELS.get(resolution or "none", RESOLUTION_LABELS["none"]), lang)


def status_label(status: str, lang: str | None) -> str:
    return _pick(STATUS_LABELS.get(status, (status, status)), lang)


def who_label(agent_name: str | None, status: str, lang: str | None) -> str:
    """Who has the ticket, as the customer is told."""
    if agent_name:
        return _pick(WHO_LABELS["agent"], lang).format(name=agent_name)
    return _pick(WHO_LABELS["supervisor" if status == "escalated" else "specialist"], lang)


def next_step_label(step: str | None, who: str, when: str, lang: str | None) -> str:
    if step not in NEXT_STEP_LABELS:
        return ""
    return _pick(NEXT_STEP_LABELS[step], lang).format(who=who, when=when)


def more_tickets_label(count: int, lang: str | None) -> str:
    return _pick(MORE_TICKETS_LABEL, lang).format(n=count) if count > 0 else ""


def order_part(order_id: str | None, lang: str | None) -> str:
    if not order_id or order_id == "none":
        return ""
    return f"（订单 {order_id}）" if lang == "zh" else f" (order {order_id})"


# Zones whose customers are told "北京时间" rather than an offset.
BEIJING_ZONES = ("Asia/Shanghai", "Asia/Chongqing")


def format_deadline(moment: datetime, zone: ZoneInfo, lang: str | None) -> str:
    """A deadline in the policy's time zone, with the offset spelled out."""
    local = moment.astimezone(zone)
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    tz = "UTC" if minutes == 0 else f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
    if lang == "zh":
        label = "北京时间" if zone.key in BEIJING_ZONES else tz
        return f"{local.month}月{local.day}日 {local:%H:%M}（{label}）"
    return f"{local:%d %b %H:%M} ({tz})"


# Where a cut reads best: after a clause or sentence ends (Chinese or Latin punctuation).
CLAUSE_ENDS = frozenset("，。！？；：、,.!?;:")


def _latin(char: str) -> bool:
    """Part of a Latin word or a number ("Thi|s", "3|.5"): no space, no CJK."""
    return char.isascii() and not char.isspace()


def cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, ending "…" when cut: after the last clause
    punctuation in the second half of the room, else at the last space before a word would
    be split ("This is…", never "Thi…"), else (one long word, Chinese) at a character."""
    if len(text) <= limit:
        return text
    room = text[: limit - 1]
    ends = [
        i
        for i, char in enumerate(room)
        if char in CLAUSE_ENDS and i >= len(room) // 2 and not _latin(text[i + 1])
    ]  # "3.5 kg", "no.1", "a.b" go on: no clause ends inside them
    if ends:
        room = room[: ends[-1]]
    elif _latin(text[limit - 1]) and _latin(room[-1]):  # a word or number goes on
        space = room.rfind(" ")
        if space >= len(room) // 2:
            room = room[:space]
    return room.rstrip(" ，、,;；:：") + "…"


def shorten(text: str | None, limit: int = 80) -> str:
    """A one-line excerpt of customer text for read-backs."""
    return cut(" ".join((text or "").split()), limit)
