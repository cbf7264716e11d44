"""Reading the emotion strip out of a Rasa tracker (the events Rasa 3.6 returns from
GET /conversations/<id>/tracker, trimmed to the fields that matter)."""

from __future__ import annotations

from bot.routing.customer_context import emotion_points, excerpt

TRACKER = {
    "sender_id": "rest:cust-1",
    "events": [
        {"event": "action", "timestamp": 1795339800.0, "name": "action_session_start"},
        {
            "event": "user",
            "timestamp": 1795339801.5,
            "text": "my parcel is late, call me on 13812345678",
            "parse_data": {
                "intent": {"name": "complain_delivery", "confidence": 0.97},
                "emotion": {"level": "upset", "score": 0.41},
            },
        },
        {"event": "bot", "timestamp": 1795339802.0, "text": "I'm sorry to hear that."},
        # A button payload skips the NLU pipeline: no emotion.
        {
            "event": "user",
            "timestamp": 1795339803.0,
            "text": "/affirm",
            "parse_data": {"intent": {"name": "affirm"}},
        },
        {
            "event": "user",
            "timestamp": 1795339860.0,
            "text": "THIRD TIME I ASK!!!\nnobody cares " + "x" * 100,
            "parse_data": {"emotion": {"level": "furious", "score": 1.2}},
        },
        # Malformed ones are skipped rather than shown wrongly.
        {"event": "user", "text": "?", "parse_data": {"emotion": {"level": "sad", "score": 0.5}}},
        {"event": "user", "text": "?", "parse_data": {"emotion": {"level": "calm"}}},
        {"event": "user", "text": "?", "parse_data": None},
        "not an event",
    ],
}


def test_points_are_the_parsed_customer_messages_in_order():
    points = emotion_points(TRACKER)
    assert [(p["level"], p["score"]) for p in points] == [("upset", 0.41), ("furious", 1.0)]
    assert points[0]["at"] == "2026-11-22T09:30:01Z"
    assert points[0]["excerpt"] == "my parcel is late, call me on 138****78"
    # Cut within 60 characters at a word's end: the long "xxx…" word is left out whole.
    assert points[1]["excerpt"] == "THIRD TIME I ASK!!! nobody cares…"


def test_only_the_latest_points_are_kept_and_odd_trackers_give_none():
    assert [p["level"] for p in emotion_points(TRACKER, limit=1)] == ["furious"]
    assert emotion_points({}) == []
    assert emotion_points({"events": "nonsense"}) == []


def test_excerpts_mask_emails_and_keep_short_text_whole():
    assert excerpt("write to li.ming@example.com") == "write to l***@example.com"
    assert excerpt("  短  ") == "短"
