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


# Below this confidence the NLU's guess is not a decision (issue 15): an unsure status check
# from a customer with no ticket, or an unsure short answer that tells a story with details,
# may be a complaint.
UNSURE_BELOW = 0.6


def is_complaint(intent: str | None) -> bool:
    """A complaint intent of a category, or the category-less `file_complaint`."""
    return intent in COMPLAINT_INTENTS or intent == "file_complaint"


def category_for_intent(intent: str | None) -> str | None:
    """`complain_delivery` → `delivery`; None for any other intent."""
    if intent in COMPLAINT_INTENTS:
        return intent[len(COMPLAINT_PREFIX) :]
    return None
