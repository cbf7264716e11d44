"""`complaintbot nlu review` on a tracker store holding events shaped as Rasa 3.6 writes them."""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine

from bot import cli
from bot.model import rasa_validate
from bot.paths import PROJECT_ROOT
from bot.training.review import (
    ReviewError,
    ReviewReport,
    build_review,
    normalise,
    parse_since,
    select_for_review,
)

NOW = datetime.now(UTC)
PHONE = "13987654321"
EMAIL = "wang.xiaoming88@example.com"
# A training example as it stands in data/nlu/complaint_delivery.yml.
KNOWN_EXAMPLE = "why did my same day delivery take a week"

DOMAIN_ONLY_WARNING = re.compile(
    r"The utterance '\w+' is not used in any story or rule"
    r"|The intent 'EXTERNAL_\w+' is listed in the domain file"
)

# Rasa's SQLTrackerStore table (rasa/core/tracker_store.py, SQLEvent).
_metadata = MetaData()
EVENTS = Table(
    "events",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def user_event(
    text: str,
    ranking: list[tuple[str, float]],
    *,
    age: timedelta = timedelta(hours=1),
    entities: list[dict[str, Any]] | None = None,
    intent: tuple[str, float] | None = None,
) -> dict[str, Any]:
    """A `user` event as Rasa stores it; `intent` overrides the top of the ranking
    (nlu_fallback from the FallbackClassifier or the unknown-words guard)."""
    name, confidence = intent or ranking[0]
    when = (NOW - age).timestamp()
    message_id = uuid.uuid4().hex
    meta = {"channel": "webchat", "sender_id": "wc_1"}
    return {
        "event": "user",
        "timestamp": when,
        "metadata": {**meta, "model_id": "m1", "assistant_id": "complaintbot"},
        "text": text,
        "parse_data": {
            "intent": {"name": name, "confidence": confidence},
            "entities": entities or [],
            "text": text,
            "message_id": message_id,
            "metadata": meta,
            "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
            "emotion": {"level": "calm", "score": 0.1},
        },
        "input_channel": "rest",
        "message_id": message_id,
    }


def order_entity(text: str, value: str) -> dict[str, Any]:
    start = text.index(value)
    return {"entity": "order_id", "value": value, "start": start, "end": start + len(value),
            "extractor": "RuleEntityExtractor", "confidence_entity": 1.0}  # fmt: skip


FALLBACK_ZH = "我的卡被扣了两次钱，订单 JD0098812，你们看着办"
EVENTS_DATA = [
    # Below the threshold, with an order number (kept and annotated) and contacts (masked).
    user_event(
        f"charged twice for order A12345678, call me on {PHONE} or mail {EMAIL}",
        [("complain_delivery", 0.41), ("complain_billing", 0.38), ("inform", 0.11)],
        entities=[order_entity("charged twice for order A12345678", "A12345678")],
    ),
    # Not understood (FallbackClassifier: nlu_fallback on top of the ranking), Chinese.
    user_event(
        FALLBACK_ZH,
        [
            ("nlu_fallback", 0.3),
            ("complain_after_sales", 0.27),
            ("complain_billing", 0.25),
            ("check_status", 0.2),
        ],  # fmt: skip
        entities=[order_entity(FALLBACK_ZH, "JD0098812")],
    ),
    # Not understood (unknown-words guard: nlu_fallback 1.0, DIET's ranking left as it was).
    user_event("blorf snarp", [("greet", 0.51), ("affirm", 0.3)], intent=("nlu_fallback", 1.0)),
    # The same message twice more, in other case and spacing: one entry, seen 3 times.
    user_event("blorf  SNARP", [("greet", 0.5)], intent=("nlu_fallback", 1.0)),
    user_event("Blorf snarp ", [("greet", 0.5)], intent=("nlu_fallback", 1.0)),
    # Just below and at the threshold.
    user_event("is this the place for feedback", [("give_suggestion", 0.59), ("greet", 0.2)]),
    user_event("hello there friend", [("greet", 0.6), ("thank", 0.2)]),
    # Confident, a button payload, a training example already, and one too old.
    user_event("my parcel is lost", [("complain_delivery", 0.98)]),
    user_event("/affirm", [("affirm", 1.0)]),
    user_event(KNOWN_EXAMPLE, [("complain_delivery", 0.4), ("check_status", 0.3)]),
    user_event("this is from last month", [("inform", 0.2)], age=timedelta(days=30)),
]


def make_tracker_store(url: str, events: list[dict[str, Any]]) -> None:
    """The events table filled as Rasa fills it, with the bot's events in between."""
    engine = create_engine(url)
    _metadata.create_all(engine)
    rows = []
    for event in events:
        when = event["timestamp"]
        rows.append({"sender_id": "webchat:wc_1", "type_name": "user", "timestamp": when,
                     "intent_name": event["parse_data"]["intent"]["name"], "action_name": None,
                     "data": json.dumps(event, ensure_ascii=False)})  # fmt: skip
        action = {"event": "action", "timestamp": when + 0.1, "name": "utter_greet"}
        rows.append({"sender_id": "webchat:wc_1", "type_name": "action", "timestamp": when + 0.1,
                     "intent_name": None, "action_name": "utter_greet",
                     "data": json.dumps(action)})  # fmt: skip
    with engine.begin() as conn:
        conn.execute(EVENTS.insert(), rows)
    engine.dispose()


def review_items(text: str) -> list[tuple[str, str, str]]:
    """(review comment, intent, example) for every item of a review file."""
    items = []
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if line.startswith("- intent: "):
            comment = lines[number - 1]
            example = lines[number + 2].strip().removeprefix("- ")
            items.append((comment, line.removeprefix("- intent: "), example))
    return items


def review(location: str, *, threshold: float = 0.6, limit: int = 200) -> tuple[str, ReviewReport]:
    return build_review(location, since=timedelta(days=7), threshold=threshold, limit=limit,
                        nlu_dir=PROJECT_ROOT / "data" / "nlu", now=NOW)  # fmt: skip


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith("COMPLAINTBOT_") and not name.startswith("COMPLAINTBOT_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COMPLAINTBOT_VAR_DIR", str(tmp_path / "var"))
    return tmp_path


def test_export_masks_dedupes_and_keeps_what_is_below_the_threshold(cli_env):
    store = cli_env / "rasa_tracker.db"
    make_tracker_store(f"sqlite:///{store}", EVENTS_DATA)
    out = cli_env / "review.yml"
    argv = ["nlu", "review", "--since", "7d", "--threshold", "0.6", "--tracker-store", str(store),
            "--out", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    text = out.read_text("utf-8")

    assert PHONE not in text and EMAIL not in text
    assert "139****21" in text and "w***@example.com" in text
    items = review_items(text)
    by_example = {example: (comment, intent) for comment, intent, example in items}
    assert sorted(by_example) == sorted(
        [
            "charged twice for order [A12345678](order_id), call me on 139****21 or mail "
            "w***@example.com",
            "我的卡被扣了两次钱，订单 [JD0098812](order_id)，你们看着办",
            "blorf snarp",
            "is this the place for feedback",
        ]
    )
    comment, intent = by_example["我的卡被扣了两次钱，订单 [JD0098812](order_id)，你们看着办"]
    assert intent == "complain_after_sales"  # the best real intent behind the fallback
    assert comment == (
        "# review: zh · not understood (nlu_fallback), best guess 0.27 · next: "
        "complain_billing 0.25, check_status 0.20"
    )
    comment, intent = by_example["blorf snarp"]
    assert intent == "greet" and comment.endswith("· seen 3x")
    comment, intent = by_example[
        "charged twice for order [A12345678](order_id), call me on 139****21 or mail "
        "w***@example.com"
    ]
    assert intent == "complain_delivery"
    assert comment == ("# review: en · confidence 0.41 · next: complain_billing 0.38, inform 0.11")
    # Grouped by the guess: items of one intent follow each other under one heading.
    assert [intent for _, intent, _ in items] == sorted(intent for _, intent, _ in items)
    assert text.count("# ===== guessed greet: 1 =====") == 1

    document = yaml.safe_load(text)
    assert document["version"] == "3.1"
    assert all(set(item) == {"intent", "examples"} for item in document["nlu"])
    assert "2 repeats, 1 already in data/nlu, 1 button payloads" in text


def test_limit_keeps_the_most_frequent_and_threshold_zero_is_refused(cli_env):
    store = cli_env / "rasa_tracker.db"
    make_tracker_store(f"sqlite:///{store}", EVENTS_DATA)
    text, report = review(str(store), limit=1)
    assert [item.example for item in report.items] == ["blorf snarp"]
    assert report.over_limit == 3 and "3 over the limit" in text
    with pytest.raises(ReviewError):
        review(str(store), threshold=0.0)


def test_missing_store_and_bad_since_are_clear_errors(cli_env, capsys):
    assert cli.main(["nlu", "review", "--tracker-store", str(cli_env / "nope.db")]) == 2
    assert "no Rasa tracker store" in capsys.readouterr().err
    assert parse_since("24h") == timedelta(hours=24)
    assert parse_since("2w") == timedelta(weeks=2)
    for bad in ("7", "0d", "seven days", "-1d"):
        with pytest.raises(ReviewError):
            parse_since(bad)


def test_masked_contacts_count_as_one_message():
    assert normalise("call 138****00 ") == normalise("Call  139****78")
    assert normalise("mail a***@x.com") == normalise("mail b***@y.org")
    assert normalise("order [A12345678](order_id)") == "order a12345678"


def test_customer_markup_and_line_breaks_cannot_break_the_file():
    event = user_event("see [this](link)\nand\tthat\x00", [("inform", 0.2)])
    report = select_for_review([event], threshold=0.6, limit=10, known=set())
    assert [item.example for item in report.items] == ["see [this] (link) and that"]


@pytest.mark.postgres
def test_reads_a_postgresql_tracker_store(postgres_url):
    make_tracker_store(postgres_url, EVENTS_DATA)
    _text, report = review(postgres_url.replace("postgresql+psycopg://", "postgresql://"))
    assert len(report.items) == 4 and report.duplicates == 2 and report.scanned == 10


def _label(text: str, example: str, intent: str) -> str:
    """What a trainer does: puts the example under the right intent, drops its review line."""
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if line == f"    - {example}":
            assert lines[number - 3].startswith("# review:")
            lines[number - 2] = f"- intent: {intent}"
            del lines[number - 3]
            return "\n".join(lines) + "\n"
    raise AssertionError(f"{example!r} not in the review file")


@pytest.mark.slow  # the Rasa CLI in its own environment: 7-9 s
def test_labelled_review_passes_rasa_data_validate(cli_env):
    rasa = PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"
    if not rasa.exists():
        pytest.fail("Rasa is not installed: run `make setup`")
    store = cli_env / "rasa_tracker.db"
    make_tracker_store(f"sqlite:///{store}", EVENTS_DATA)
    text, _report = review(str(store))
    wrong = (
        "charged twice for order [A12345678](order_id), call me on 139****21 or mail "
        "w***@example.com"
    )
    labelled = _label(text, wrong, "complain_billing")
    assert re.search(r"- intent: complain_billing\n  examples: \|\n    - charged twice", labelled)

    project = cli_env / "project"
    shutil.copytree(PROJECT_ROOT / "data", project / "data")
    for name in ("domain.yml", "config.yml"):
        shutil.copy(PROJECT_ROOT / name, project / name)
    (project / "data" / "nlu" / "review.yml").write_text(labelled, encoding="utf-8")
    result = rasa_validate(PROJECT_ROOT, project=project, capture=True)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    # Without the review file Rasa only warns about the domain (responses used from code,
    # the gateway's external intent); anything else comes from the review file.
    unexpected = [
        line
        for line in output.splitlines()
        if "UserWarning" in line and not DOMAIN_ONLY_WARNING.search(line)
    ]
    assert unexpected == []
