"""Customers' phone numbers and e-mail addresses never reach the gateway's log unmasked, on
the customer's side and on the agent's: at DEBUG level, customers complain in English and
Chinese with their contacts (Rasa is down, so the gateway keeps the complaints and queues
them), and an agent claims both in the console API, reads the transcripts, writes the
contacts back to the customers, notes them and resolves with them in the note.
(tests/integration/test_privacy_logs.py checks the whole stack's three log files.)"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from bot.agents.service import create_agent
from bot.clock import utcnow
from bot.config import load_settings
from bot.db import transaction
from bot.privacy import configure_logging
from bot.stack import free_port
from bot.web.app import create_app

# REST integrations often use the customer's e-mail or phone as the sender id, which the
# gateway logs: those must come out masked as well.
CUSTOMERS = {
    "en": ("john.doe77@example.org", "13712345670", "john.doe77@example.org",
           "Hi, my parcel never arrived! Call me on {phone} or write to {email}."),
    "zh": ("15812345679", "15812345679", "wang.fang@example.cn",
           "我的快递丢了，三天没人理！电话 {phone}，邮箱 {email}，请马上联系我"),
}  # fmt: skip


def test_contacts_stay_masked_in_the_gateway_log_on_both_sides(tmp_path, capfd,
                                                                restore_logging):  # fmt: skip
    nowhere = free_port()
    settings = load_settings(
        _env_file=None, env="development", var_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'pii.db'}", redis_url=None,
        api_token="service-token-for-tests-0123456789", log_level="DEBUG",
        rasa_url=f"http://127.0.0.1:{nowhere}", actions_url=f"http://127.0.0.1:{nowhere}",
    )  # fmt: skip
    configure_logging(settings.log_level)  # as app_from_environment does
    with TestClient(create_app(settings)) as client:
        app: Any = client.app
        with transaction(app.state.sessions) as session:
            _agent, token = create_agent(session, username="wang", role="agent", now=utcnow())
        agent = {"Authorization": f"Bearer {token}"}
        for sender, phone, email, text in CUSTOMERS.values():
            said = client.post("/webhooks/rest/webhook",
                               json={"sender": sender, "message": text.format(phone=phone,
                                                                              email=email)})  # fmt: skip
            assert said.status_code == 200 and said.json(), said.text  # kept, with an apology
        for sender, phone, email, _text in CUSTOMERS.values():
            claimed = client.post("/api/queue/claim", headers=agent)
            assert claimed.status_code == 200, claimed.text
            ticket_id = claimed.json()["ticket"]["id"]
            conversation = claimed.json()["conversation_id"]
            transcript = client.get(f"/api/conversations/{conversation}/messages", headers=agent)
            customer = next(m for m in transcript.json()["messages"] if m["from"] == "customer")
            assert phone in customer["text"] and email in customer["text"]  # agents see them
            mine = customer["text"].startswith("我") == (sender == "15812345679")
            assert mine, "claimed in the order they came"
            sent = client.post(f"/api/conversations/{conversation}/messages", headers=agent,
                               json={"text": f"I will call {phone} and write to {email} today."})  # fmt: skip
            assert sent.status_code == 201, sent.text
            noted = client.post(f"/api/tickets/{ticket_id}/notes", headers=agent,
                                json={"text": f"customer prefers {phone}, then {email}"})  # fmt: skip
            assert noted.status_code == 201, noted.text
            resolved = client.post(f"/api/tickets/{ticket_id}/resolve", headers=agent,
                                   json={"resolution_note": f"called {phone}, mailed {email}"})  # fmt: skip
            assert resolved.status_code == 200, resolved.text
    out, err = capfd.readouterr()
    logs = out + err
    assert " DEBUG " in logs and "wang" in logs, logs[-2000:]  # the log is there, at DEBUG
    # The senders were logged, masked.
    assert "rest:j***@example.org" in logs and "rest:158****79" in logs, logs[-3000:]
    for _sender, phone, email, _text in CUSTOMERS.values():
        for contact in (phone, email):
            lines = [line for line in logs.splitlines() if contact in line]
            assert lines == [], f"{contact!r} unmasked in the log: {lines[:3]}"
