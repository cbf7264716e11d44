"""Practice mode's building blocks: the committed personas file is the corpus's persona
blocks, and the rubric scores a good and a bad first answer as it says."""

from __future__ import annotations

import pytest

from bot.corpus import load_corpus
from bot.paths import DEFAULT_REMEDY_POLICY
from bot.practice.personas import PERSONAS_FILE, build_personas, load_personas, render
from bot.practice.scoring import offered_remedy, score
from bot.tickets.remedy_policy import load_remedy_policy

POLICY = load_remedy_policy(DEFAULT_REMEDY_POLICY)


def test_the_personas_file_is_in_sync_with_the_corpus():
    built = build_personas(load_corpus())
    assert PERSONAS_FILE.read_text(encoding="utf-8") == render(built), (
        "bot/practice/personas.yml is stale: run python scripts/build-personas.py"
    )
    assert len(built) >= 4
    for persona in load_personas():
        assert persona["lines"] and persona["category"] and persona["satisfied_by"]
        assert persona["emotion_curve"] and persona["lang"] in ("en", "zh")


def _persona(persona_id: str) -> dict:
    return next(p for p in load_personas() if p["id"] == persona_id)


GOOD = (
    "I'm so sorry, Jordan - a third wrong sofa is really frustrating. I've found order "
    "SO20261120001: we'll send a replacement in green and collect the grey one tomorrow "
    "between 9 and 12, and I'll call you by 6 pm today to confirm."
)
BAD = "You should have checked the colour before accepting it. It's not our fault, calm down."


def test_a_good_first_answer_scores_every_point():
    found = score(_persona("en-fury-wrong-colour-again"), [GOOD], first_reply_seconds=40,
                  policy=POLICY)  # fmt: skip
    assert found.points == 6, found.as_dict()
    reasons = {item.name: item.reason for item in found.items}
    assert reasons["fact"] == "restates the case ('sofa')" and "sorry" in reasons["feeling"]
    assert reasons["remedy"] == "replacement is within your authority"


def test_a_bad_first_answer_scores_what_the_rubric_says():
    found = score(_persona("en-fury-wrong-colour-again"), [BAD], first_reply_seconds=200,
                  policy=POLICY)  # fmt: skip
    assert {item.name: item.passed for item in found.items} == {
        "fact": False, "feeling": False, "plan": False, "no_blame": False, "remedy": False,
        "speed": False,
    }  # fmt: skip
    reasons = {item.name: item.reason for item in found.items}
    assert reasons["no_blame"] == "blames the customer ('you should have')"
    assert reasons["speed"] == "first reply after 200 s (aim for 60 s)"


def test_chinese_answers_and_the_remedy_authority():
    persona = _persona("zh-fury-third-wrong-delivery")
    good = f"非常抱歉让您生气了，{persona['order_id']} 的问题我们今天之内给您退款 150 元，两小时内回电。"
    found = score(persona, [good], first_reply_seconds=30, policy=POLICY)
    assert found.points == 6, found.as_dict()
    # 500 CNY is above an agent's 200 CNY refund limit: it needs a supervisor.
    above = score(persona, ["非常抱歉，今天给您退款 500 元"], first_reply_seconds=30, policy=POLICY)
    remedy = next(item for item in above.items if item.name == "remedy")
    assert not remedy.passed and remedy.reason == (
        "refund 500.00 CNY needs approval: the agent limit for a refund is 200.00 CNY"
    )


@pytest.mark.parametrize(
    ("text", "offered"),
    [
        ("we'll refund ¥80 today", ("refund", "80", "CNY")),
        ("a $20 voucher for the trouble", ("compensation", "20", "USD")),
        ("给您补偿50元", ("compensation", "50", "CNY")),
        ("we will repair it", ("repair", None, None)),
        ("thank you for waiting", None),
    ],
)
def test_remedies_read_from_the_answer(text, offered):
    found = offered_remedy(text)
    shown = (
        None if found is None else (found[0], None if found[1] is None else str(found[1]), found[2])
    )
    assert shown == offered
