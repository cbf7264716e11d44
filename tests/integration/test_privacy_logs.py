"""A whole conversation with a phone number and an e-mail address leaves neither in any log.

Runs against the real stack (Rasa, action server, gateway); the three processes write
their logs under `var/logs/`.
"""

from __future__ import annotations

import sqlite3
import time
import uuid

import pytest

pytestmark = pytest.mark.stack

PHONE = "13987654321"
EMAIL = "wang.xiaoming88@example.com"
# The English conversation's: an international number as customers type it.
PHONE_EN = "+44 7700 900123"
EMAIL_EN = "john.smith77@example.co.uk"
# Contacts the other stack tests of the session give: their logs must be clean as well.
OTHER_SECRETS = ("13812345678", "li.wei@example.com")


def _say(client, sender: str, message: str) -> str:
    response = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": message})
    assert response.status_code == 200, response.text
    return "\n".join(reply.get("text", "") for reply in response.json())


def _logs(stack) -> dict[str, str]:
    directory = stack.settings.var_dir / "logs"
    return {
        path.name: path.read_text(encoding="utf-8", errors="replace")
        for path in sorted(directory.glob("*.log"))
    }


def _stored_in(stack, sender: str) -> list[str]:
    db_path = stack.settings.database_url.split("///", 1)[1]
    with sqlite3.connect(db_path) as db:
        return [
            text
            for (text,) in db.execute(
                "SELECT m.text FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                "WHERE c.sender_id = ? AND m.direction = 'in'",
                (sender,),
            )
        ]


def _assert_clean(stack, secrets: tuple[str, ...]) -> None:
    time.sleep(1.0)  # let the processes' last log lines reach the files
    logs = _logs(stack)
    assert {"actions.log", "gateway.log", "rasa.log"} <= set(logs), sorted(logs)
    assert any(logs.values()), "the stack wrote no logs at all"
    for name, text in logs.items():
        for secret in secrets:
            lines = [line for line in text.splitlines() if secret in line]
            assert lines == [], f"{name} contains {secret!r} unmasked: {lines[:3]}"


def test_a_full_conversation_leaves_no_phone_or_email_in_the_logs(stack):
    sender = f"pii-{uuid.uuid4().hex[:8]}"
    with stack.client() as client:
        said = [
            _say(client, sender, "你好"),
            _say(client, sender, "我买的电饭煲用了三天就坏了，完全不能加热，太让人失望了"),
            _say(client, sender, "订单号是 JD0098812"),
            _say(client, sender, "我要退款"),
            _say(client, sender, f"手机 {PHONE}，邮箱 {EMAIL}，请尽快联系我"),
            _say(client, sender, "/affirm"),
            _say(client, sender, "我的投诉处理到哪一步了？"),
            # Off the happy path too: contacts inside an angry message.
            _say(client, sender, f"气死我了！！！打 {PHONE} 或者发邮件到 {EMAIL}！！！"),
        ]
    # The contacts really went through the gateway to the bot (so logs could leak them).
    assert any(text.strip() for text in said), said
    stored = _stored_in(stack, sender)
    assert sum(PHONE in text for text in stored) == 2
    _assert_clean(stack, (PHONE, EMAIL, *OTHER_SECRETS))


def test_an_english_conversation_leaves_no_phone_or_email_in_the_logs(stack):
    sender = f"pii-en-{uuid.uuid4().hex[:8]}"
    with stack.client() as client:
        said = [
            _say(client, sender, "Hello"),
            _say(
                client, sender, "My new kettle stopped heating after two days, really disappointed"
            ),
            _say(client, sender, "The order number is A12345678"),
            _say(client, sender, "I want a refund"),
            _say(client, sender, f"My phone is {PHONE_EN} and my email is {EMAIL_EN}"),
            _say(client, sender, "/affirm"),
            _say(
                client, sender, f"This is the third time!!! Call {PHONE_EN} or mail {EMAIL_EN} NOW"
            ),
        ]
    assert any(text.strip() for text in said), said
    stored = _stored_in(stack, sender)
    assert sum(PHONE_EN in text for text in stored) == 2
    assert sum(EMAIL_EN in text for text in stored) == 2
    _assert_clean(stack, (PHONE_EN, EMAIL_EN, PHONE, EMAIL))
