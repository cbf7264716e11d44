"""`complaintbot report --since 30d --format csv|json|md` on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert

from bot import cli
from bot.db import make_engine, make_session_factory, transaction, upgrade
from bot.tickets.models import CATEGORIES, Ticket

from .conftest import ticket_row


@pytest.fixture
def database(db_url, tmp_path, monkeypatch):
    """The CLI pointed at a fresh database with three tickets: two this week, one older."""
    for name in list(os.environ):
        if name.startswith("COMPLAINTBOT_") and not name.startswith("COMPLAINTBOT_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COMPLAINTBOT_DATABASE_URL", db_url)
    monkeypatch.setenv("COMPLAINTBOT_VAR_DIR", str(tmp_path / "var"))
    upgrade(db_url)
    engine = make_engine(db_url)
    now = datetime.now(UTC)
    with transaction(make_session_factory(engine)) as session:
        session.execute(insert(Ticket), [
            ticket_row(1, now - timedelta(days=2), category="billing", csat=5, product="kettle"),
            ticket_row(2, now - timedelta(days=3), category="billing", language="zh"),
            ticket_row(3, now - timedelta(days=40), category="delivery"),
        ])  # fmt: skip
    yield engine
    engine.dispose()


def test_json_csv_and_markdown_give_the_same_figures(database, capsys):
    assert cli.main(["report", "--since", "30d", "--format", "json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["total"] == 2
    assert figures["by_category"] == {"billing": 2}
    assert figures["csat"]["average"] == 5.0

    assert cli.main(["report", "--since", "30d", "--format", "csv"]) == 0
    table = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    shown = {(figure, key): value for figure, key, value in table[1:]}
    assert shown[("total", "")] == "2"
    assert shown[("by_language", "zh")] == "1"
    assert shown[("root_causes", "billing × kettle")] == "1"

    assert cli.main(["report", "--since", "60d"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("# Complaints from ")
    assert "| delivery | 1 |" in markdown and "| billing | 2 |" in markdown

    assert cli.main(["report", "--since", "60", "--format", "json", "--language", "zh"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 1


def test_bad_since_is_refused(database, capsys):
    for bad in ("30w", "0d", "forever"):
        with pytest.raises(SystemExit):
            cli.main(["report", "--since", bad])
    assert "expected a number of days" in capsys.readouterr().err


def test_category_choices_match_the_models():
    assert cli.CATEGORY_CHOICES == CATEGORIES
