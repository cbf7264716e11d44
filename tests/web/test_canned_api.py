"""Canned replies through the console API on a real database (SQLite and PostgreSQL):
everyone reads the shipped FEP replies, supervisors and admins save new versions (each
audited with who and when, the newest in use), agents are refused, bad sets get a 422."""

from __future__ import annotations

import pytest

from bot.canned.service import CANNED_DIR, LANGUAGES, PARTS, PLACEHOLDERS, shipped_replies


def _replies(client, headers, lang="zh"):
    answer = client.get("/api/console/canned", headers=headers)
    assert answer.status_code == 200
    return answer.json()["languages"][lang]


def test_the_shipped_files_are_fep_replies_in_both_languages():
    for lang in LANGUAGES:
        replies = shipped_replies(lang)
        assert [r["id"] for r in replies][:3] == ["fact", "empathy", "plan"]
        assert {r["part"] for r in replies} <= set(PARTS)
        assert {"fact", "empathy", "plan"} <= {r["part"] for r in replies}
        text = " ".join(r["text"] for r in replies)
        for name in ("customer", "ticket", "due"):
            assert "{" + name + "}" in text, (lang, name)
    assert set(PLACEHOLDERS) == {"customer", "agent", "ticket", "category", "due"}
    # Not Rasa training data: outside data/, so no retraining when they change.
    assert "data" not in CANNED_DIR.parts


def test_everyone_reads_and_a_supervisor_saves_an_audited_version(client, tokens):
    shipped = _replies(client, tokens["alice"])
    assert shipped["version"] == 0 and shipped["changed_by"] is None
    everything = client.get("/api/console/canned", headers=tokens["alice"]).json()
    assert everything["can_edit"] is False
    assert client.get("/api/console/canned", headers=tokens["sue"]).json()["can_edit"] is True

    edited = [dict(r) for r in shipped["replies"]]
    edited[1]["text"] = "{customer}您好，真的非常抱歉。"
    edited.append({"id": "photo", "part": "other", "title": "要照片", "text": "请拍张照片。"})
    saved = client.put("/api/console/canned/zh", json={"replies": edited}, headers=tokens["sue"])
    assert saved.status_code == 200, saved.text
    assert saved.json()["changed_by"] == "agent:sue" and saved.json()["version"] >= 1
    assert saved.json()["changed_at"] == "2026-11-22T10:30:00Z"  # the app's clock
    now_in_use = _replies(client, tokens["alice"])
    assert now_in_use["replies"] == edited
    assert _replies(client, tokens["alice"], "en")["version"] == 0  # English untouched

    again = [r for r in edited if r["id"] != "photo"]
    client.put("/api/console/canned/zh", json={"replies": again}, headers=tokens["adam"])
    history = client.get("/api/console/canned/zh/history", headers=tokens["sue"]).json()
    assert [(h["changed_by"], len(h["replies"])) for h in history] == [
        ("agent:adam", len(again)),
        ("agent:sue", len(edited)),
    ]
    assert _replies(client, tokens["alice"])["replies"] == again


def test_agents_cannot_edit_or_read_the_history(client, tokens):
    body = {"replies": [{"id": "x", "part": "fact", "title": "t", "text": "hello"}]}
    refused = client.put("/api/console/canned/en", json=body, headers=tokens["alice"])
    assert refused.status_code == 403
    assert client.get("/api/console/canned/en/history", headers=tokens["bob"]).status_code == 403
    assert client.put("/api/console/canned/en", json=body).status_code == 401
    assert (
        client.put("/api/console/canned/en", json=body, headers=tokens["service"]).status_code
        == 401
    )
    assert _replies(client, tokens["alice"], "en")["version"] == 0


@pytest.mark.parametrize(
    "replies",
    [
        [],
        [{"id": "a", "part": "fact", "title": "t", "text": "Hi {name}"}],  # unknown placeholder
        [{"id": "a", "part": "fact", "title": "t", "text": "x"}] * 2,  # an id twice
        [{"id": "A b", "part": "fact", "title": "t", "text": "x"}],
        [{"id": "a", "part": "feeling", "title": "t", "text": "x"}],
        [{"id": "a", "part": "fact", "title": "", "text": "x"}],
        [{"id": "a", "part": "fact", "title": "t", "text": "   "}],
        [{"id": "a", "part": "fact", "title": "t", "text": "x" * 2001}],
        [{"id": "a", "part": "fact", "title": "t"}],
        [{"id": "a", "part": "fact", "title": "t", "text": "x", "extra": 1}],
    ],
)
def test_bad_replies_are_refused_and_nothing_is_saved(client, tokens, replies):
    answer = client.put("/api/console/canned/en", json={"replies": replies}, headers=tokens["sue"])
    assert answer.status_code == 422, answer.text
    assert _replies(client, tokens["sue"], "en")["version"] == 0


def test_an_unknown_language_is_not_found(client, tokens):
    body = {"replies": [{"id": "a", "part": "fact", "title": "t", "text": "x"}]}
    assert client.put("/api/console/canned/fr", json=body, headers=tokens["sue"]).status_code == 404
    assert client.get("/api/console/canned/fr/history", headers=tokens["sue"]).status_code == 404
