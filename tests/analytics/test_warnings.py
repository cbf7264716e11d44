"""The spike test on synthetic series, and detection on tickets in a real database."""

from __future__ import annotations

import math
import random
from datetime import timedelta

import pytest

from bot.analytics.warnings import (
    ALPHA,
    BASELINE_DAYS,
    MIN_CLUSTER,
    MIN_SPIKE,
    detect,
    detect_range,
    poisson_upper_tail,
    spike_test,
)

from .conftest import START, ticket_row


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small means of daily complaint counts."""
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def test_poisson_tail_matches_the_exact_sum():
    for mean in (0.3, 2.0, 7.5, 40.0):
        for k in (0, 1, 3, 10, 25, 80):
            exact = 1.0 - sum(math.exp(-mean) * mean**i / math.factorial(i) for i in range(k))
            assert poisson_upper_tail(k, mean) == pytest.approx(max(exact, 0.0), abs=1e-12)
    # Far in the tail: tiny or an underflow to 0, never an overflow or an error.
    assert 0.0 < poisson_upper_tail(60, 3.0) < 1e-40
    assert poisson_upper_tail(5000, 3.0) == 0.0


def test_fires_on_a_real_spike():
    rng = random.Random(1)
    history = [poisson(rng, 2.0) for _ in range(BASELINE_DAYS)]
    assert spike_test(12, history).fires(minimum=MIN_SPIKE)
    # A new product: nothing before, then six complaints in a day.
    assert spike_test(6, [0] * BASELINE_DAYS).fires(minimum=MIN_SPIKE)
    # An ordinary busy day of a busy category is no spike.
    assert not spike_test(25, [20] * BASELINE_DAYS).fires(minimum=MIN_SPIKE)


def test_quiet_on_poisson_noise_and_calibrated():
    """Pure noise at several levels: the share of false alarms stays below ALPHA."""
    rng = random.Random(20261122)
    tests = alarms = 0
    for mean in (0.5, 2.0, 5.0, 12.0):
        for _subject in range(10):
            series = [poisson(rng, mean) for _ in range(BASELINE_DAYS + 365)]
            for day in range(BASELINE_DAYS, len(series)):
                tests += 1
                alarms += spike_test(series[day], series[day - BASELINE_DAYS : day]).fires(
                    minimum=MIN_SPIKE
                )
    assert tests == 14_600
    assert alarms / tests < ALPHA
    # A quarter of two categories at two a day: not a single alarm.
    quarter = [poisson(rng, 2.0) for _ in range(BASELINE_DAYS + 90)]
    assert not any(
        spike_test(quarter[d], quarter[d - BASELINE_DAYS : d]).fires(minimum=MIN_SPIKE)
        for d in range(BASELINE_DAYS, len(quarter))
    )


def noisy_rows(rng: random.Random, first_number: int, days: int, mean: float, **fields):
    """Tickets at a Poisson(mean) rate per day from START on."""
    rows, number = [], first_number
    for day in range(days):
        for _ in range(poisson(rng, mean)):
            number += 1
            rows.append(ticket_row(number, START + timedelta(days=day, hours=10), **fields))
    return rows, number


SPIKE_DAY = START.date() + timedelta(days=BASELINE_DAYS + 5)


def test_detects_a_product_spike_and_a_minor_cluster(sessions, insert_tickets):
    rng = random.Random(7)
    days = BASELINE_DAYS + 6
    kettles, n = noisy_rows(rng, 0, days, 1.0, category="product_quality", product="kettle")
    fans, n = noisy_rows(rng, n, days, 1.0, category="delivery", product="fan")
    # Ten broken kettles in one afternoon.
    spike = [ticket_row(n + i, START + timedelta(days=days - 1, hours=15), product="kettle",
                        category="product_quality", severity="major") for i in range(1, 11)]  # fmt: skip
    n += 20
    # Minor complaints about the rice cooker, one or two a day for a week (none before).
    cluster = [ticket_row(n + i, START + timedelta(days=days - 1 - i % 7, hours=9),
                          product="rice cooker", category="product_quality")
               for i in range(1, MIN_CLUSTER + 5)]  # fmt: skip
    # Malicious complaints never make a spike.
    junk = [ticket_row(n + 50 + i, START + timedelta(days=days - 1, hours=16), product="fan",
                       validity="malicious") for i in range(20)]  # fmt: skip
    insert_tickets(kettles + fans + spike + cluster + junk)

    with sessions() as session:
        found = {(d.kind, d.subject) for d in detect(session, SPIKE_DAY)}
        quiet = detect_range(session, SPIKE_DAY - timedelta(days=5), SPIKE_DAY - timedelta(1))
    assert ("spike", "product:kettle") in found
    assert ("spike", "category:product_quality") in found
    assert ("cluster", "product:rice cooker") in found
    assert not any(subject == "product:fan" for _kind, subject in found)
    # Before the spike day, only the rice-cooker cluster building up may show.
    assert {(d.kind, d.subject) for d in quiet} <= {("cluster", "product:rice cooker")}
