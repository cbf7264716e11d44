"""bot.corpus without a stack: the corpus format is validated, and the checks can fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.corpus import (
    Conversation,
    CorpusError,
    Result,
    Turn,
    check_end,
    check_turn,
    load_corpus,
    report,
    select,
)


def _reply(text: str, *payloads: str) -> dict:
    return {"text": text, "buttons": [{"title": p, "payload": p} for p in payloads]}


def test_turn_checks_catch_what_is_wrong():
    turn = Turn("user", "my parcel is late", {"says_any": ["order"], "buttons_any": ["/affirm"]})
    assert check_turn(turn, "en", [_reply("What is the order number?", "/affirm")]) == []
    problems = check_turn(turn, "en", [_reply("Hello!", "/deny")])
    assert any("says none of" in p for p in problems)
    assert any("offers none of the buttons" in p for p in problems)
    # Language, the fallback and silence are checked on every turn.
    assert "the reply is not in Chinese" in check_turn(Turn("user", "你好"), "zh", [_reply("Hi")])
    fallback = [_reply("Sorry, I didn't quite get that. Could you rephrase?")]
    assert check_turn(Turn("user", "blorf"), "en", fallback) == [
        "the bot fell back ('didn't understand')"
    ]
    assert check_turn(Turn("user", "blorf", {"fallback": True}), "en", fallback) == []
    assert check_turn(Turn("user", "hi"), "en", []) == ["no reply"]
    assert check_turn(Turn("user", "hi", {"silent": True}), "en", [_reply("x")]) != []
    assert check_turn(Turn("user", "ok", {"ticket_id": True}), "en", [_reply("done")]) == [
        "a ticket number was expected"
    ]
    assert check_turn(Turn("user", "x", {"not_says": ["Goodbye"]}), "en", [_reply("Goodbye")])


def test_end_checks_read_the_newest_ticket():
    tickets = [
        {"id": "CP-20261204-0001", "created_at": "2026-12-04T01:00:00", "category": "delivery"},
        {"id": "CP-20261204-0002", "created_at": "2026-12-04T02:00:00", "category": "billing"},
    ]
    assert check_end({"tickets": 2, "ticket": {"category": ["billing", "other"]}}, tickets) == []
    assert check_end({"tickets": 1}, tickets) == ["2 tickets, expected 1"]
    assert check_end({"ticket": {"category": "delivery"}}, tickets) == [
        "ticket category is 'billing', expected 'delivery'"
    ]
    assert check_end({"ticket": {"category": "delivery"}}, []) == ["no ticket was opened"]


@pytest.mark.parametrize(
    "document",
    [
        "conversations: {}",
        "conversations: [{id: Bad Id, lang: en, turns: [{user: hi}]}]",
        "conversations: [{id: ok-id, lang: fr, turns: [{user: hi}]}]",
        "conversations: [{id: ok-id, lang: en, turns: []}]",
        "conversations: [{id: ok-id, lang: en, turns: [{resolve: done}]}]",
        "conversations: [{id: ok-id, lang: en, turns: [{user: hi, expect: {says: x}}]}]",
        "conversations: [{id: ok-id, lang: en, turns: [{user: hi}], end: {ticket: {colour: red}}}]",
        "conversations: [{id: ok-id, lang: en, turns: [{user: hi}], persona: {mood: 1}}]",
        "conversations: [{id: ok-id, lang: en, turns: [{user: hi}]}, "
        "{id: ok-id, lang: en, turns: [{user: hey}]}]",
    ],
)
def test_malformed_corpus_files_are_refused(tmp_path: Path, document: str):
    (tmp_path / "bad.yml").write_text(document, encoding="utf-8")
    with pytest.raises(CorpusError):
        load_corpus(tmp_path)


def test_the_shipped_corpus_loads_and_personas_are_complete():
    conversations = load_corpus()
    with_persona = [c for c in conversations if c.persona]
    assert len(with_persona) >= 4
    for conversation in with_persona:
        assert {"category", "facts", "emotion_curve", "satisfied_by"} <= set(conversation.persona)
        assert conversation.customer_lines


def test_report_lists_failures_with_their_transcript():
    conversation = Conversation("en-x", "en", (Turn("user", "hi"),), tags=("short-answer",))
    failed = Result(conversation, ["turn 1: no reply"], ["  > hi", "  < (no reply)"])
    passed = Result(Conversation("zh-y", "zh", (Turn("user", "你好"),)))
    text = report([failed, passed])
    assert "FAILED en-x" in text and "  > hi" in text and "turn 1: no reply" in text
    assert "1/2 passed, pass rate 50.0%" in text
    assert select([conversation, passed.conversation], tags=["short-answer"]) == [conversation]
