"""Transcripts show what the customer saw (SQLite and PostgreSQL): a button press carries
the title of the button the bot offered, whatever spacing the payload's JSON came with,
also when the bot's message is on an earlier page; typed text that only looks like a
payload is not a press of an offered button."""

from __future__ import annotations

from web.conftest import NOW

from bot.conversations.store import add_message, get_or_create_conversation
from bot.db import transaction
from bot.handoff.desk import pressed_button

ASK_REMEDY = [
    {"title": "退款", "payload": '/inform{"desired_resolution": "refund"}'},
    {"title": "赔偿", "payload": '/inform{"desired_resolution": "compensation"}'},
]
CONFIRM = [{"title": "对，提交", "payload": "/affirm"}, {"title": "不用了", "payload": "/deny"}]


def _conversation(db) -> int:
    said = [
        ("in", "customer", "水壶漏电", None),
        ("out", "bot", "您希望怎么处理？", ASK_REMEDY),
        ("in", "customer", '/inform{"desired_resolution":"compensation"}', None),
        ("out", "bot", "请确认提交投诉？", CONFIRM),
        ("out", "bot", "（提交后专员会联系您）", None),
        ("in", "customer", "/affirm", None),
        ("in", "customer", "/stop", None),
        ("in", "customer", "/ is what I typed", None),
    ]
    with transaction(db) as session:
        conv = get_or_create_conversation(session, channel="rest", sender_id="c-zh", now=NOW)
        for direction, author, text, buttons in said:
            add_message(session, conversation=conv, direction=direction, author=author,
                        text=text, buttons=buttons, now=NOW, delivered=True)  # fmt: skip
        return conv.id


def test_a_button_press_shows_the_title_the_customer_pressed(client, db, tokens):
    conv_id = _conversation(db)
    page = client.get(f"/api/conversations/{conv_id}/messages", headers=tokens["sue"])
    assert page.status_code == 200
    messages = page.json()["messages"]
    shown = [(m["from"], m["text"], m.get("button")) for m in messages]
    assert shown == [
        ("customer", "水壶漏电", None),
        ("bot", "您希望怎么处理？", None),
        ("customer", '/inform{"desired_resolution":"compensation"}',
         {"title": "赔偿", "payload": '/inform{"desired_resolution":"compensation"}'}),
        ("bot", "请确认提交投诉？", None),
        ("bot", "（提交后专员会联系您）", None),
        ("customer", "/affirm", {"title": "对，提交", "payload": "/affirm"}),
        # A payload no offered button had: marked as a button, no title to show.
        ("customer", "/stop", {"title": None, "payload": "/stop"}),
        ("customer", "/ is what I typed", None),
    ]  # fmt: skip
    # The bot's messages keep the buttons it offered.
    assert messages[1]["buttons"] == ASK_REMEDY
    assert messages[3]["buttons"] == CONFIRM

    # A page starting after the bot's question still finds the button it offered.
    later = client.get(
        f"/api/conversations/{conv_id}/messages",
        params={"after": messages[4]["id"]},
        headers=tokens["sue"],
    ).json()["messages"]
    assert [m.get("button") for m in later] == [
        {"title": "对，提交", "payload": "/affirm"},
        {"title": None, "payload": "/stop"},
        None,
    ]


def test_payloads_match_whatever_their_json_spacing():
    offered = ASK_REMEDY + CONFIRM
    assert pressed_button('/inform{ "desired_resolution" : "refund" }', offered) == {
        "title": "退款",
        "payload": '/inform{ "desired_resolution" : "refund" }',
    }
    assert pressed_button('/inform{"desired_resolution": "repair"}', offered) == {
        "title": None,
        "payload": '/inform{"desired_resolution": "repair"}',
    }
    assert pressed_button("/inform{not json}", offered) == {
        "title": None,
        "payload": "/inform{not json}",
    }
    assert pressed_button("/inform{not closed", offered) is None
    assert pressed_button("hello", offered) is None
    # The latest offer wins when two buttons share a payload.
    again = [{"title": "旧", "payload": "/affirm"}, {"title": "新", "payload": "/affirm"}]
    assert pressed_button("/affirm", again)["title"] == "新"
