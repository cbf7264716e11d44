"""Rasa conversation ids: readable when URL-path safe, a stable digest otherwise."""

from __future__ import annotations

from bot.conversations.keys import conversation_key


def test_plain_sender_ids_stay_readable():
    assert conversation_key("rest", "cust-42") == "rest:cust-42"
    assert conversation_key("telegram", "123456789") == "telegram:123456789"
    assert conversation_key("webchat", "wc_" + "a" * 32) == "webchat:wc_" + "a" * 32


def test_ids_a_url_path_would_escape_become_a_stable_digest():
    odd = conversation_key("rest", "li wei?#%/x")
    assert odd == conversation_key("rest", "li wei?#%/x")
    assert odd.startswith("rest:~") and all(c not in odd for c in " ?#%/")
    assert odd != conversation_key("rest", "li wei?#%/y")
    assert conversation_key("rest", "x" * 161).startswith("rest:~")
