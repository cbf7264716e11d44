"""Response variations in domain.yml: Rasa chooses at random among every conditional
variation whose conditions match, so no two of them may match the same slot values."""

from __future__ import annotations

import itertools

import yaml

from bot.paths import PROJECT_ROOT


def _domain() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))


def _conditions(variants: list[dict]) -> list[dict[str, object]]:
    return [
        {c["name"]: c["value"] for c in variant["condition"]}
        for variant in variants
        if variant.get("condition")
    ]


def test_no_two_conditional_variations_can_match_at_once():
    overlapping = []
    for name, variants in _domain()["responses"].items():
        for a, b in itertools.combinations(_conditions(variants), 2):
            if all(a[slot] == b[slot] for slot in set(a) & set(b)):
                overlapping.append((name, a, b))
    assert overlapping == []


def test_every_chinese_case_of_the_fep_scripts_has_a_variation():
    """Every value of the deciding slot, and the slot unset, has its Chinese wording."""
    domain = _domain()
    deciding = {
        "utter_acknowledge_feeling": "emotion_level",
        "utter_fep_fact": "category",
        "utter_fep_empathy": "emotion_peak",
        "utter_fep_plan": "severity",
    }
    for response, slot in deciding.items():
        covered = {
            condition.get(slot)
            for condition in _conditions(domain["responses"][response])
            if condition.get("lang") == "zh"
        }
        assert covered == {*domain["slots"][slot]["values"], None}, response
