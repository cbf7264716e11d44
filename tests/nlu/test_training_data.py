"""Training data hygiene: every contract intent, enough examples in both languages."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import pytest
import yaml

from bot.paths import PROJECT_ROOT

CONTRACT_INTENTS = {
    "greet", "goodbye", "affirm", "deny", "thank", "bot_challenge", "out_of_scope", "cancel",
    "file_complaint", "complain_product_quality", "complain_service_attitude",
    "complain_delivery", "complain_billing", "complain_after_sales", "complain_safety",
    "complain_privacy", "give_suggestion", "request_human", "check_status", "inform",
    "rate_service",
}  # fmt: skip
CONTRACT_ENTITIES = {
    "order_id", "ticket_id", "phone", "email", "desired_resolution", "escalation_threat",
    "rating", "product",
}  # fmt: skip
COMPLAINT_MINIMUM, OTHER_MINIMUM = 25, 12
_CJK = re.compile(r"[\u4e00-\u9fff]")
_ANNOTATION = re.compile(r"\[([^\]]+)\](\(([a-z_]+)(?::[^)]*)?\)|\{[^}]*\})")


def _blocks() -> list[dict]:
    blocks = []
    for path in sorted((PROJECT_ROOT / "data" / "nlu").glob("*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        blocks.extend(content.get("nlu") or [])
    return blocks


def _examples() -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for block in _blocks():
        if "intent" in block:
            for line in block["examples"].splitlines():
                if line.strip().startswith("- "):
                    found[block["intent"]].append(line.strip()[2:])
    return found


def test_domain_declares_exactly_the_contract_intents_and_entities():
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    # EXTERNAL_* intents are external events sent by the gateway (trigger_intent), never
    # predicted from text: the contract intents, and only those, are the NLU's.
    external = {name for name in domain["intents"] if name.startswith("EXTERNAL_")}
    assert external <= {"EXTERNAL_follow_up"}
    assert set(domain["intents"]) - external == CONTRACT_INTENTS
    assert set(domain["entities"]) == CONTRACT_ENTITIES


def test_training_data_covers_exactly_the_contract_intents():
    assert set(_examples()) == CONTRACT_INTENTS


@pytest.mark.parametrize("intent", sorted(CONTRACT_INTENTS))
def test_enough_examples_in_each_language(intent):
    counts = Counter("zh" if _CJK.search(text) else "en" for text in _examples()[intent])
    minimum = (
        COMPLAINT_MINIMUM
        if intent.startswith("complain_") or intent == "file_complaint"
        else OTHER_MINIMUM
    )
    assert counts["en"] >= minimum, f"{intent}: {counts['en']} English examples"
    assert counts["zh"] >= minimum, f"{intent}: {counts['zh']} Chinese examples"


def test_no_example_is_listed_twice():
    seen: Counter[str] = Counter(t for texts in _examples().values() for t in texts)
    assert [t for t, n in seen.items() if n > 1] == []


def test_annotations_use_contract_entities_only():
    names = set()
    for texts in _examples().values():
        for text in texts:
            for match in _ANNOTATION.finditer(text):
                if match.group(3):
                    names.add(match.group(3))
                else:
                    names.add(yaml.safe_load(match.group(2))["entity"])
    assert names <= CONTRACT_ENTITIES, names - CONTRACT_ENTITIES
