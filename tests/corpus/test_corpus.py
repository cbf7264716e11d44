"""The conversation corpus (tests/corpus/*.yml, issue 15) played through the real gateway and
stack: the pass rate must reach bot.corpus.PASS_RATE; every failure is printed with its
transcript. `make conversations` plays the same corpus on a stack of its own."""

from __future__ import annotations

import pytest

from bot.corpus import PASS_RATE, Player, load_corpus, pass_rate, report


def test_the_corpus_is_big_enough_and_bilingual():
    conversations = load_corpus()
    assert len(conversations) >= 80
    by_lang = {lang: [c for c in conversations if c.lang == lang] for lang in ("en", "zh")}
    assert all(len(group) >= 35 for group in by_lang.values())
    tags = {tag for c in conversations for tag in c.tags}
    for kind in ("all-in-one", "messy-opener", "typos", "mixed-language", "fury", "threat",
                 "free-text-at-button", "correction", "side-question", "short-answer",
                 "follow-up", "safety", "repeat"):  # fmt: skip
        assert kind in tags, kind


@pytest.mark.stack
def test_the_corpus_passes_through_the_real_stack(stack, capsys):
    results = Player(stack.base_url, stack.api_headers).play_all(load_corpus())
    text = report(results)
    with capsys.disabled():
        print("\n" + text)
    assert pass_rate(results) >= PASS_RATE, text
