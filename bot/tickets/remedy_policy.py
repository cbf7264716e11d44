"""Authority to remedy (员工处理投诉的权力): each role's limits per remedy type and currency,
from a YAML policy file, and the pure decision "granted on the spot or sent for approval".

The shipped policy is bot/tickets/remedy_policy.yml; its comments explain the format.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

import yaml

from bot.agents.models import ROLES
from bot.tickets.permissions import LEAD_ROLES

# The customer's desired_resolution values (DESIGN §4): what a remedy can be.
REMEDY_TYPES = ("refund", "replacement", "repair", "compensation", "apology", "explanation")
AMOUNT_RULES = ("required", "optional", "none")
APPROVER_ROLES = LEAD_ROLES
CENT = Decimal("0.01")
# Numeric(12, 2) in the database: ten digits before the point.
HARD_MAX_AMOUNT = Decimal("9999999999.99")
_CURRENCY = re.compile(r"^[A-Z]{3}$")

RuleKind = Literal["unlimited", "approval", "limit"]


class RemedyPolicyError(ValueError):
    """The remedy policy file is missing something or has a malformed value."""


class InvalidRemedy(ValueError):
    """A remedy the policy cannot take (unknown type, bad amount or currency)."""


@dataclass(frozen=True)
class Rule:
    """What one role may grant of one remedy type without asking anyone."""

    kind: RuleKind
    limits: Mapping[str, Decimal] = field(default_factory=dict)

    def describe(self, role: str, remedy_type: str, currency: str | None) -> str:
        if self.kind == "unlimited":
            return f"{role}s may grant any {remedy_type}"
        if self.kind == "approval":
            return f"a {remedy_type} by {role}s always needs approval"
        if currency is None or currency not in self.limits:
            return f"a {remedy_type} in {currency} by {role}s always needs approval"
        return f"the {role} limit for a {remedy_type} is {self.limits[currency]} {currency}"


@dataclass(frozen=True)
class Remedy:
    """A checked remedy: a known type, an amount with two decimals or none, a currency."""

    type: str
    amount: Decimal | None = None
    currency: str | None = None

    def describe(self) -> str:
        if self.amount is None:
            return self.type
        return f"{self.type} {self.amount} {self.currency}"

    def as_data(self) -> dict[str, Any]:
        """For JSON (ticket record, audit trail): the amount as a number with 2 decimals."""
        return {
            "type": self.type,
            "amount": float(self.amount) if self.amount is not None else None,
            "currency": self.currency,
        }


@dataclass(frozen=True)
class Decision:
    """Whether the role grants the remedy on the spot, and why (for the agent and trail)."""

    granted: bool
    why: str


@dataclass(frozen=True)
class RemedyPolicy:
    currencies: tuple[str, ...]
    max_amount: Decimal
    amount_rules: Mapping[str, str]  # type -> required | optional | none
    rules: Mapping[str, Mapping[str, Rule]]  # role -> type -> rule

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(t for t in REMEDY_TYPES if t in self.amount_rules)

    def check(self, remedy_type: str, amount: Any = None, currency: Any = None) -> Remedy:
        """Validates and normalises a remedy as asked for; raises InvalidRemedy."""
        if remedy_type not in self.amount_rules:
            raise InvalidRemedy(
                f"unknown remedy type {remedy_type!r}; types are {', '.join(self.types)}"
            )
        rule = self.amount_rules[remedy_type]
        if amount is None:
            if rule == "required":
                raise InvalidRemedy(f"a {remedy_type} needs an amount and a currency")
            if currency not in (None, ""):
                raise InvalidRemedy("a currency was given without an amount")
            return Remedy(remedy_type)
        if rule == "none":
            raise InvalidRemedy(f"an {remedy_type} carries no amount")
        value = _amount(amount, "amount")
        if value <= 0:
            raise InvalidRemedy("the amount must be positive")
        if value > self.max_amount:
            raise InvalidRemedy(f"the amount is above the maximum of {self.max_amount}")
        code = str(currency or "").strip().upper()
        if not code:
            raise InvalidRemedy("an amount needs a currency (ISO 4217, e.g. CNY)")
        if code not in self.currencies:
            raise InvalidRemedy(
                f"currency {code!r} is not accepted; currencies are {', '.join(self.currencies)}"
            )
        return Remedy(remedy_type, value, code)

    def rule(self, role: str | None, remedy_type: str) -> Rule:
        return self.rules.get(role or "", {}).get(remedy_type, Rule("approval"))

    def decide(self, role: str | None, remedy: Remedy) -> Decision:
        """Granted on the spot when the role's rule covers the remedy; else for approval."""
        rule = self.rule(role, remedy.type)
        why = rule.describe(role or "unknown role", remedy.type, remedy.currency)
        if rule.kind == "unlimited":
            return Decision(True, why)
        if rule.kind == "approval":
            return Decision(False, why)
        limit = rule.limits.get(remedy.currency or "")
        if remedy.amount is None or limit is None:
            return Decision(False, why)
        return Decision(remedy.amount <= limit, why)

    def may_approve(self, role: str | None, remedy: Remedy) -> Decision:
        """Approvers approve what they could have granted themselves."""
        if role not in APPROVER_ROLES:
            return Decision(False, "only supervisors and admins approve remedies")
        decision = self.decide(role, remedy)
        if decision.granted:
            return decision
        return Decision(False, f"above what a {role} may approve ({decision.why})")


def _amount(value: Any, where: str) -> Decimal:
    """A finite decimal with at most two places; booleans and other types refused."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise InvalidRemedy(f"{where} must be a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidRemedy(f"{where} must be a number, not {value!r}") from None
    if not number.is_finite():
        raise InvalidRemedy(f"{where} must be a finite number")
    if abs(number) > HARD_MAX_AMOUNT:  # before quantize, which fails on huge exponents
        raise InvalidRemedy(f"{where} is too large")
    if number != number.quantize(CENT):
        raise InvalidRemedy(f"{where} has more than two decimal places")
    return number.quantize(CENT)


def _currencies(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        raise RemedyPolicyError(f"{where}: currencies must list ISO 4217 codes, e.g. [CNY]")
    codes: list[str] = []
    for item in raw:
        code = str(item).strip()
        if not _CURRENCY.match(code):
            raise RemedyPolicyError(
                f"{where}: currencies: {item!r} is not an ISO 4217 code (three capitals)"
            )
        if code in codes:
            raise RemedyPolicyError(f"{where}: currencies: {code} is listed twice")
        codes.append(code)
    return tuple(codes)


def _limit(value: Any, where: str) -> Decimal:
    try:
        number = _amount(value, where)
    except InvalidRemedy as exc:
        raise RemedyPolicyError(str(exc)) from None
    if number < 0:
        raise RemedyPolicyError(f"{where} must not be negative")
    return number


def _amount_rules(raw: Any, where: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not raw:
        raise RemedyPolicyError(f"{where}: types must map remedy types to {{amount: ...}}")
    rules: dict[str, str] = {}
    for name, entry in raw.items():
        if name not in REMEDY_TYPES:
            raise RemedyPolicyError(
                f"{where}: unknown remedy type {name!r}; types are {', '.join(REMEDY_TYPES)}"
            )
        amount = entry.get("amount") if isinstance(entry, dict) else None
        if amount not in AMOUNT_RULES:
            raise RemedyPolicyError(
                f"{where}: types.{name}.amount must be {', '.join(AMOUNT_RULES)}"
            )
        rules[str(name)] = str(amount)
    return rules


def _rule(
    raw: Any, where: str, currencies: tuple[str, ...], amount_rule: str, max_amount: Decimal
) -> Rule:
    if raw in ("unlimited", "approval"):
        return Rule(raw)
    if not isinstance(raw, dict) or not raw:
        raise RemedyPolicyError(
            f"{where} must be unlimited, approval or a limit per currency ({{CNY: 200}})"
        )
    if amount_rule != "required":
        raise RemedyPolicyError(
            f"{where}: a limit per currency needs the type's amount to be required"
        )
    limits: dict[str, Decimal] = {}
    for code, value in raw.items():
        if code not in currencies:
            raise RemedyPolicyError(
                f"{where}: currency {code!r} is not in currencies ({', '.join(currencies)})"
            )
        limits[str(code)] = _limit(value, f"{where}.{code}")
        if limits[str(code)] > max_amount:
            raise RemedyPolicyError(f"{where}.{code} is above max_amount ({max_amount})")
    return Rule("limit", limits)


def parse_policy(raw: Any, where: str) -> RemedyPolicy:
    """Builds a policy from the file's parsed YAML; raises RemedyPolicyError saying what to fix."""
    if not isinstance(raw, dict):
        raise RemedyPolicyError(f"{where}: expected a mapping with currencies, types and roles")
    unknown = set(raw) - {"currencies", "max_amount", "types", "roles"}
    if unknown:
        raise RemedyPolicyError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    currencies = _currencies(raw.get("currencies"), where)
    if "max_amount" not in raw:
        raise RemedyPolicyError(f"{where}: max_amount is missing")
    max_amount = _limit(raw["max_amount"], f"{where}: max_amount")
    if max_amount <= 0:
        raise RemedyPolicyError(f"{where}: max_amount must be positive")
    amount_rules = _amount_rules(raw.get("types"), where)
    roles = raw.get("roles")
    if not isinstance(roles, dict) or not roles:
        raise RemedyPolicyError(f"{where}: roles must map {', '.join(ROLES)} to their rules")
    rules: dict[str, dict[str, Rule]] = {}
    for role, per_type in roles.items():
        if role not in ROLES:
            raise RemedyPolicyError(f"{where}: unknown role {role!r}; roles are {', '.join(ROLES)}")
        if not isinstance(per_type, dict):
            raise RemedyPolicyError(f"{where}: roles.{role} must map remedy types to rules")
        rules[role] = {}
        for remedy_type, rule in per_type.items():
            if remedy_type not in amount_rules:
                raise RemedyPolicyError(
                    f"{where}: roles.{role}.{remedy_type}: not a type listed under types"
                )
            rules[role][remedy_type] = _rule(
                rule,
                f"{where}: roles.{role}.{remedy_type}",
                currencies,
                amount_rules[remedy_type],
                max_amount,
            )
    return RemedyPolicy(currencies, max_amount, amount_rules, rules)


def load_remedy_policy(path: Path) -> RemedyPolicy:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RemedyPolicyError(f"cannot read remedy policy {path}: {exc}") from exc
    return parse_policy(raw, f"remedy policy {path}")
