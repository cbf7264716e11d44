"""What the gateway says to a customer, independent of the channel that carries it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    """One outgoing message. `author` is `bot`, `system` or `agent:<username>`;
    `display_name` is what the customer sees for an agent ("专员小王")."""

    text: str
    buttons: list[dict[str, Any]] = field(default_factory=list)
    author: str = "bot"
    display_name: str | None = None

    def as_rest(self, recipient_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {"recipient_id": recipient_id, "text": self.text}
        if self.buttons:
            out["buttons"] = self.buttons
        if self.author.startswith("agent:"):
            out["custom"] = {"author": "agent", "display_name": self.display_name}
        return out
