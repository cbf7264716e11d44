"""`rasa data validate` is clean: errors fail, and so does any warning we cannot explain."""

from __future__ import annotations

import re

import pytest
import yaml

from bot.model import rasa_validate
from bot.paths import PROJECT_ROOT

# Intents of the contract without dialogue of their own (none at present).
INTENTS_WITHOUT_DIALOGUE_YET: set[str] = set()


def _responses_used_in_code() -> set[str]:
    source = "\n".join(p.read_text("utf-8") for p in (PROJECT_ROOT / "actions").glob("*.py"))
    return set(re.findall(r"\"(utter_[a-z_]+)\"", source))


@pytest.mark.slow  # the Rasa CLI in its own environment: 7-9 s
def test_rasa_data_validate_is_clean():
    rasa = PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"
    if not rasa.exists():
        pytest.fail("Rasa is not installed: run `make setup`")
    result = rasa_validate(PROJECT_ROOT, capture=True)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]

    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text("utf-8"))
    form_asks = {
        f"utter_ask_{slot}" for form in domain["forms"].values() for slot in form["required_slots"]
    }
    explained = _responses_used_in_code() | form_asks | {"utter_default"}
    unexplained = []
    for line in output.splitlines():
        if "UserWarning" not in line:
            continue
        unused_response = re.search(r"The utterance '(\w+)' is not used in any story or rule", line)
        unused_intent = re.search(r"The intent '(\w+)' is not used in any story or rule", line)
        if unused_response and unused_response.group(1) in explained:
            continue
        if unused_intent and unused_intent.group(1) in INTENTS_WITHOUT_DIALOGUE_YET:
            continue
        no_examples = re.search(
            r"The intent '(\w+)' is listed in the domain file, but is not found in the NLU training data",
            line,
        )
        if no_examples and no_examples.group(1).startswith("EXTERNAL_"):
            continue  # an external event sent by the gateway, never predicted from text
        unexplained.append(line.strip())
    assert unexplained == []
