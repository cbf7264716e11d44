"""The figures `make evaluate` prints, from predictions with known answers (no model)."""

from __future__ import annotations

import pytest

from bot.evaluation import Prediction, breakdown, format_breakdown

BILLING, AFTER_SALES, DELIVERY = "complain_billing", "complain_after_sales", "complain_delivery"
PREDICTIONS = (
    [Prediction(BILLING, BILLING, "en")] * 2
    + [Prediction(BILLING, AFTER_SALES, "en"), Prediction(DELIVERY, DELIVERY, "en")]
    + [Prediction(BILLING, AFTER_SALES, "zh")]
    + [Prediction(DELIVERY, DELIVERY, "zh")] * 2
    + [Prediction(AFTER_SALES, AFTER_SALES, "zh")]
)


def test_scores_overall_and_per_language():
    detail = breakdown(PREDICTIONS)
    overall = detail["overall"]
    assert overall["n"] == 8 and overall["accuracy"] == 0.75
    billing = overall["per_intent"][BILLING]
    assert (billing["precision"], billing["recall"], billing["n"]) == (1.0, 0.5, 4)
    assert overall["per_intent"][AFTER_SALES]["precision"] == pytest.approx(1 / 3)
    assert overall["macro_f1"] == pytest.approx((2 / 3 + 0.5 + 1.0) / 3)
    en, zh = detail["by_language"]["en"], detail["by_language"]["zh"]
    assert en["macro_f1"] == pytest.approx(0.9) and AFTER_SALES not in en["per_intent"]
    assert zh["per_intent"][BILLING]["f1"] == 0.0
    assert zh["macro_f1"] == pytest.approx((0.0 + 1.0 + 2 / 3) / 3)
    assert detail["confusions"] == [(BILLING, AFTER_SALES, 2, {"en": 1, "zh": 1})]


def test_report_lines():
    assert format_breakdown(breakdown(PREDICTIONS)) == [
        "                                  acc     F1     n",
        "  all                           0.750  0.722     8",
        "  en                            0.750  0.900     4",
        "  zh                            0.750  0.556     4",
        "  per intent:",
        "    intent                            P      R     F1   F1 en   F1 zh     n",
        "    complain_after_sales          0.333  1.000  0.500       -   0.667     1",
        "    complain_billing              1.000  0.500  0.667   0.800   0.000     4",
        "    complain_delivery             1.000  1.000  1.000   1.000   1.000     3",
        "  most frequent confusions (gold -> predicted: count, by language):",
        "    complain_billing -> complain_after_sales: 2 (en 1, zh 1)",
    ]


def test_no_confusions_says_so():
    lines = format_breakdown(breakdown([Prediction("greet", "greet", "en")]))
    assert lines[-1] == "    none"


def test_reliability_bins_confidence_against_accuracy() -> None:
    from bot.evaluation import format_reliability, percentile, reliability

    predictions = [
        Prediction("greet", "greet", "en", 0.97),
        Prediction("greet", "thank", "en", 0.96),
        Prediction("thank", "thank", "zh", 0.55),
        Prediction("deny", "nlu_fallback", "zh", 0.0),
    ]
    rows = reliability(predictions)
    assert [(low, high, n) for low, high, n, _mean, _right in rows] == [
        (0.0, 0.3, 1),
        (0.5, 0.7, 1),
        (0.95, 1.0, 2),
    ]
    top = rows[-1]
    assert abs(top[3] - 0.965) < 1e-9 and top[4] == 0.5
    assert rows[1][4] == 1.0 and rows[0][4] == 0.0
    lines = format_reliability(predictions)
    assert lines[0].startswith("  reliability") and len(lines) == 2 + len(rows)
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0 and percentile([], 0.5) == 0.0
