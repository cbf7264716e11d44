"""Complaint intents and the ticket categories they stand for (DESIGN §4, §6)."""

from __future__ import annotations

COMPLAINT_PREFIX = "complain_"
COMPLAINT_INTENTS = frozenset(
    COMPLAINT_PREFIX + name
    for name in (
        "product_quality", "service_attitude", "delivery", "billing", "after_sales", "safety",
        "privacy",
    )
)  # fmt: skip


def category_for_intent(intent: str | None) -> str | None:
    """`complain_delivery` → `delivery`; None for any other intent."""
    if intent in COMPLAINT_INTENTS:
        return intent[len(COMPLAINT_PREFIX) :]
    return None
