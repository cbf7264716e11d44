"""Benchmark (not a test): the dashboard summary on 100 000 generated tickets, on SQLite
and on PostgreSQL. Prints the time of each query; the target is under a second.

    .venv/bin/python scripts/bench_dashboard.py [--tickets 100000] [--postgres URL]

PostgreSQL: a scratch database is created next to the one in the URL (default: database
`test` on 127.0.0.1, as the tests use) and dropped afterwards.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from bot.analytics.figures import Filters, summary, timeseries
from bot.analytics.warnings import detect
from bot.customers.models import Customer
from bot.db import make_engine, make_session_factory, transaction, upgrade
from bot.tickets.models import CATEGORIES, Ticket

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DAYS = 365
LAST_DAY = date(2026, 11, 22)
PRODUCTS = [f"product {i:03d}" for i in range(300)]
CUSTOMERS = 30_000
BATCH = 5_000


def say(line: str, flush: bool = True) -> None:
    print(line, flush=flush)  # noqa: T201 (a script's output)


def generate(count: int, seed: int = 1) -> list[dict[str, Any]]:
    """`count` tickets over the year up to LAST_DAY, every analytics field varied."""
    rng = random.Random(seed)
    start = datetime.combine(LAST_DAY - timedelta(days=DAYS - 1), datetime.min.time(), UTC)
    rows = []
    for n in range(count):
        created = start + timedelta(seconds=rng.randrange(DAYS * 86_400))
        responded = (
            created + timedelta(minutes=rng.expovariate(1 / 300)) if rng.random() < 0.9 else None
        )
        resolved = (
            responded + timedelta(minutes=rng.expovariate(1 / 2000))
            if responded is not None and rng.random() < 0.8
            else None
        )
        rows.append(
            {
                "id": f"CP-{created:%Y%m%d}-{n:06d}"[:20],
                "status": "resolved" if resolved else "open",
                "category": rng.choice(CATEGORIES),
                "severity": rng.choices(("general", "major", "urgent"), (80, 17, 3))[0],
                "motive": rng.choice(("suggestion", "venting", "resolution", "compensation")),
                "channel": rng.choice(("rest", "webchat", "telegram")),
                "sender_id": f"s{n}",
                "language": rng.choice(("zh", "en")),
                "product": rng.choice(PRODUCTS) if rng.random() < 0.8 else None,
                "csat": rng.choice((None, 1, 2, 3, 4, 5)),
                "reopen_count": rng.choices((0, 1, 2), (90, 8, 2))[0],
                "created_at": created,
                "updated_at": created,
                "first_responded_at": responded,
                "resolved_at": resolved,
                "sla_breached": rng.random() < 0.1,
                "validity": rng.choices((None, "valid", "invalid", "malicious"), (50, 40, 8, 2))[0],
                "customer_id": rng.randrange(1, CUSTOMERS + 1) if rng.random() < 0.9 else None,
            }
        )
    return rows


def load(url: str, rows: list[dict[str, Any]]) -> float:
    upgrade(url)
    engine = make_engine(url)
    started = time.perf_counter()
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        first = datetime(2025, 1, 1, tzinfo=UTC)
        session.execute(
            insert(Customer),
            [{"channel": "rest", "sender_id": f"c{i}", "first_seen": first, "last_seen": first}
             for i in range(CUSTOMERS)],
        )  # fmt: skip
        for i in range(0, len(rows), BATCH):
            session.execute(insert(Ticket), rows[i : i + BATCH])
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    engine.dispose()
    return time.perf_counter() - started


def measure(url: str, label: str) -> None:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    last30 = Filters.days(LAST_DAY - timedelta(days=29), LAST_DAY)
    year = Filters.days(LAST_DAY - timedelta(days=DAYS - 1), LAST_DAY)
    cases = [
        ("summary, last 30 days", lambda s: summary(s, last30)),
        ("summary, whole year (100k)", lambda s: summary(s, year)),
        ("summary, year, one category", lambda s: summary(s, Filters(
            year.since, year.until, category="delivery"))),
        ("timeseries by category, year", lambda s: timeseries(s, year, by="category")),
        ("early warnings for one day", lambda s: detect(s, LAST_DAY)),
    ]  # fmt: skip
    for name, work in cases:
        with factory() as session:
            work(session)  # warm the caches as a running gateway would have
            started = time.perf_counter()
            work(session)
            took = time.perf_counter() - started
        say(f"{label:<11} {name:<30} {took * 1000:8.1f} ms", flush=True)
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    rows = generate(args.tickets)
    say(f"{len(rows)} tickets over {DAYS} days, {len(PRODUCTS)} products", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        say(f"sqlite      loaded in {load(url, rows):.1f} s", flush=True)
        measure(url, "sqlite")

    if not args.no_postgres:
        admin_url = make_url(args.postgres)
        name = f"cbbench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = admin_url.set(database=name).render_as_string(hide_password=False)
            say(f"postgresql  loaded in {load(url, rows):.1f} s", flush=True)
            measure(url, "postgresql")
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
