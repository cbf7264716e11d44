"""The conversation id Rasa knows a customer by: `channel:sender`.

Rasa addresses conversations in URL paths (/conversations/<id>/tracker, trigger_intent) and
does not unquote them, so a sender id with characters a URL path would escape (spaces, %,
#, ?) is replaced by a stable digest: every part of the system then finds the same tracker.
"""

from __future__ import annotations

import hashlib
import re

_PATH_SAFE = re.compile(r"[A-Za-z0-9_.@+\-]{1,160}")


def conversation_key(channel: str, sender_id: str) -> str:
    if _PATH_SAFE.fullmatch(sender_id):  # the whole id: "cust-1\n" is not path-safe
        return f"{channel}:{sender_id}"
    # surrogatepass: any Python string has a digest, even one no UTF-8 text can carry.
    digest = hashlib.sha256(sender_id.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"{channel}:~{digest}"
