"""The remedy policy: the shipped file, the decision per role, amount and currency checks,
and clear errors for broken policy files."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from bot.paths import DEFAULT_REMEDY_POLICY
from bot.tickets.remedy_policy import (
    REMEDY_TYPES,
    InvalidRemedy,
    Remedy,
    RemedyPolicyError,
    load_remedy_policy,
    parse_policy,
)

POLICY = load_remedy_policy(DEFAULT_REMEDY_POLICY)


def _refund(amount: str, currency: str = "CNY") -> Remedy:
    return POLICY.check("refund", amount, currency)


def test_the_shipped_policy_offers_every_remedy_type():
    assert POLICY.types == REMEDY_TYPES
    assert POLICY.currencies == ("CNY", "HKD", "USD", "EUR")
    assert POLICY.max_amount == Decimal("100000.00")


@pytest.mark.parametrize(
    ("role", "amount", "currency", "granted"),
    [
        ("agent", "200", "CNY", True),  # the limit itself is within it
        ("agent", "200.01", "CNY", False),
        ("agent", "30", "USD", True),
        ("agent", "30.5", "USD", False),
        ("supervisor", "200.01", "CNY", True),
        ("supervisor", "2000", "CNY", True),
        ("supervisor", "2000.01", "CNY", False),
        ("admin", "99999.99", "CNY", True),
        (None, "1", "CNY", False),  # no role, no authority
    ],
)
def test_refund_limits_per_role_and_currency(role, amount, currency, granted):
    assert POLICY.decide(role, _refund(amount, currency)).granted is granted


def test_the_decision_says_which_rule_applied():
    decision = POLICY.decide("agent", _refund("250"))
    assert decision.why == "the agent limit for a refund is 200.00 CNY"
    assert POLICY.decide("agent", POLICY.check("apology")).why == "agents may grant any apology"


def test_non_monetary_remedies_are_granted_on_the_spot_by_agents():
    for remedy_type in ("replacement", "repair", "apology", "explanation"):
        assert POLICY.decide("agent", POLICY.check(remedy_type)).granted, remedy_type
    # A replacement may carry its value, for the record.
    replacement = POLICY.check("replacement", "4999", "cny")
    assert replacement == Remedy("replacement", Decimal("4999.00"), "CNY")
    assert POLICY.decide("agent", replacement).granted


def test_approvers_approve_only_within_their_own_authority():
    big = _refund("5000")
    assert not POLICY.may_approve("agent", _refund("10")).granted
    verdict = POLICY.may_approve("supervisor", big)
    assert not verdict.granted and "above what a supervisor may approve" in verdict.why
    assert POLICY.may_approve("admin", big).granted
    assert POLICY.may_approve("supervisor", _refund("1500")).granted


@pytest.mark.parametrize(
    ("remedy_type", "amount", "currency", "problem"),
    [
        ("voucher", "10", "CNY", "unknown remedy type 'voucher'"),
        ("refund", None, None, "a refund needs an amount and a currency"),
        ("refund", "0", "CNY", "the amount must be positive"),
        ("refund", "-5", "CNY", "the amount must be positive"),
        ("refund", "10.005", "CNY", "more than two decimal places"),
        ("refund", "abc", "CNY", "must be a number"),
        ("refund", "NaN", "CNY", "finite"),
        ("refund", "Infinity", "CNY", "finite"),
        ("refund", True, "CNY", "must be a number"),
        ("refund", "100000.01", "CNY", "above the maximum of 100000.00"),
        ("refund", "1e30", "CNY", "too large"),
        ("refund", "10", None, "needs a currency"),
        ("refund", "10", "JPY", "currency 'JPY' is not accepted"),
        ("refund", "10", "yuan", "not accepted"),
        ("apology", "10", "CNY", "an apology carries no amount"),
        ("repair", None, "CNY", "a currency was given without an amount"),
    ],
)
def test_bad_remedies_are_refused_with_a_clear_reason(remedy_type, amount, currency, problem):
    with pytest.raises(InvalidRemedy, match=problem):
        POLICY.check(remedy_type, amount, currency)


def test_amounts_are_normalised_to_two_decimals():
    assert _refund("19.9").amount == Decimal("19.90")
    assert POLICY.check("refund", 19.99, " usd ").as_data() == {
        "type": "refund",
        "amount": 19.99,
        "currency": "USD",
    }


def _policy(**changes: object) -> dict:
    raw = yaml.safe_load(DEFAULT_REMEDY_POLICY.read_text(encoding="utf-8"))
    raw.update(changes)
    return raw


def test_approval_rules_and_types_left_out_need_approval():
    raw = _policy(
        roles={
            "agent": {"refund": {"CNY": 50}, "replacement": "approval"},
            "supervisor": {"refund": "unlimited", "replacement": "unlimited"},
        }
    )
    policy = parse_policy(raw, "test")
    replacement = policy.check("replacement")
    assert not policy.decide("agent", replacement).granted
    assert policy.decide("agent", replacement).why == (
        "a replacement by agents always needs approval"
    )
    assert not policy.decide("agent", policy.check("apology")).granted  # not listed
    assert not policy.decide("admin", policy.check("apology")).granted  # role not listed
    # A listed currency without a limit for the role needs approval.
    usd = policy.check("refund", "1", "USD")
    assert not policy.decide("agent", usd).granted
    assert policy.decide("agent", usd).why == "a refund in USD by agents always needs approval"


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"currencies": []}, "currencies must list ISO 4217 codes"),
        ({"currencies": ["CNY", "yuan"]}, "'yuan' is not an ISO 4217 code"),
        ({"currencies": ["CNY", "CNY"]}, "CNY is listed twice"),
        ({"max_amount": 0}, "max_amount must be positive"),
        ({"max_amount": "lots"}, "must be a number"),
        ({"types": {"voucher": {"amount": "required"}}}, "unknown remedy type 'voucher'"),
        ({"types": {"refund": {"amount": "maybe"}}}, "types.refund.amount must be"),
        ({"roles": {"intern": {}}}, "unknown role 'intern'"),
        ({"roles": {"agent": {"refund": {"JPY": 100}}}}, "currency 'JPY' is not in currencies"),
        ({"roles": {"agent": {"refund": {"CNY": -1}}}}, "must be a number|must not be negative"),
        ({"roles": {"agent": {"refund": {"CNY": 200.001}}}}, "more than two decimal places"),
        ({"roles": {"agent": {"refund": {"CNY": 200000}}}}, "above max_amount"),
        ({"roles": {"agent": {"refund": "sometimes"}}}, "must be unlimited, approval or a limit"),
        ({"roles": {"agent": {"repair": {"CNY": 100}}}}, "needs the type's amount to be required"),
        ({"extra": 1}, "unknown key"),
    ],
)
def test_a_broken_policy_says_what_to_fix(changes, problem):
    with pytest.raises(RemedyPolicyError, match=problem):
        parse_policy(_policy(**changes), "remedy policy x.yml")


def test_unreadable_or_shapeless_files_are_policy_errors(tmp_path: Path):
    with pytest.raises(RemedyPolicyError, match="cannot read remedy policy"):
        load_remedy_policy(tmp_path / "missing.yml")
    broken = tmp_path / "broken.yml"
    broken.write_text("roles: [unclosed", encoding="utf-8")
    with pytest.raises(RemedyPolicyError, match="cannot read remedy policy"):
        load_remedy_policy(broken)
    broken.write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(RemedyPolicyError, match="expected a mapping"):
        load_remedy_policy(broken)
