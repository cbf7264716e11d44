"""The learned emotion model (bot.nlu.emotion_model) and its training data.

Feature extraction is standard library only and tested everywhere; training needs
scikit-learn, which only the Rasa venv has, so those tests skip elsewhere.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bot.nlu import emotion_model as em
from bot.nlu.emotion import CUES, LEVELS, MAX_CHARS, analyse, cue_counts, level_for
from bot.nlu.emotion_eval import HELDOUT, SET_NUMBERS

TRAIN = Path(__file__).parents[2] / "bot" / "nlu" / "emotion_data" / "train.jsonl"


def test_importing_the_module_does_not_import_sklearn() -> None:
    import subprocess
    import sys

    code = "import sys, bot.nlu.emotion_model; assert 'sklearn' not in sys.modules"
    root = Path(__file__).parents[2]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)
    assert em.EmotionModel().classifier is None


def test_lexicon_features_have_a_fixed_layout() -> None:
    for text in ("", "hi", "质量太差了", "THIS IS TRASH!!!", "我要去12315投诉！！！"):
        values = em.lexicon_features(text)
        assert len(values) == len(em.FEATURE_NAMES)
        assert all(isinstance(v, float) for v in values)


def test_lexicon_features_carry_the_lexicon_evidence() -> None:
    names = em.FEATURE_NAMES
    values = dict(zip(names, em.lexicon_features("我要去12315投诉！！！"), strict=True))
    assert values["lexicon score"] == analyse("我要去12315投诉！！！").score
    assert values["level=furious"] == 1.0
    assert values["cue=threat"] == 1.0 and values["hits=threat"] > 0
    assert values["exclamation run"] == 1.0 and values["chinese"] == 1.0
    calm = dict(zip(names, em.lexicon_features("Order number 20260412883"), strict=True))
    assert calm["level=calm"] == 1.0 and calm["lexicon score"] == 0.0
    assert calm["chinese"] == 0.0


def test_cue_counts_match_analyse() -> None:
    text = "垃圾！！你们他妈的，我要起诉"
    counts = cue_counts(text)
    assert set(counts) <= set(CUES)
    assert set(counts) <= set(analyse(text).cues)
    assert counts["rage"] >= 1 and counts["threat"] >= 1
    assert cue_counts("订单号是2026031500123") == {}


def test_char_ngrams_are_lower_cased_and_capped() -> None:
    assert em.NGRAM_RANGE == (1, 4)
    grams = em.char_ngrams("AbCd")
    assert sorted(grams) == sorted(["a", "b", "c", "d", "ab", "bc", "cd", "abc", "bcd", "abcd"])
    assert em.char_ngrams("") == []
    long = em.char_ngrams("x" * (MAX_CHARS * 2))
    assert max(len(g) for g in long) == 4
    # n-grams of length 1..4 over the first NGRAM_CHARS characters: 4N - (0 + 1 + 2 + 3).
    assert len(long) == 4 * em.NGRAM_CHARS - 6
    assert em.normalise("  Hello \n  World  ") == "hello world"


@pytest.mark.parametrize("level", LEVELS)
def test_score_lies_in_the_band_of_its_level(level: str) -> None:
    for probs in ([1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0.25] * 4):
        score = em.score_for(level, probs)
        assert 0.0 <= score <= 1.0
        assert level_for(score) == level


def test_score_rises_with_the_expected_level() -> None:
    low = em.score_for("upset", [0.3, 0.6, 0.1, 0.0])
    high = em.score_for("upset", [0.0, 0.6, 0.3, 0.1])
    assert low < high
    assert em.score_for("calm", [1, 0, 0, 0]) < em.score_for("furious", [0, 0, 0, 1])


def _well_formed_rows(path: Path, least: int) -> list[dict]:
    """The rows of a bilingual emotion set, checked: labelled, unique, both languages."""
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    assert len(rows) >= least
    assert all(row["emotion"] in LEVELS and row["lang"] in ("zh", "en") for row in rows)
    assert len({row["text"] for row in rows}) == len(rows)
    langs = Counter(row["lang"] for row in rows)
    assert min(langs.values()) >= 0.45 * len(rows)
    return rows


def test_decide_takes_the_most_probable_level() -> None:
    assert em.decide("the kettle stopped working", [0.7, 0.2, 0.1, 0.0], ()) == "calm"
    assert em.decide("meh", [0.2, 0.5, 0.2, 0.1], ()) == "upset"


def test_decide_never_reads_a_furious_cue_as_less() -> None:
    text = "我要去12315投诉！！！"
    assert em.decide(text, [0.9, 0.1, 0.0, 0.0], analyse(text).cues) == "furious"


def test_decide_raises_angry_with_an_angry_emoji() -> None:
    text = "nine days and the refund is still processing 😡"
    assert "angry emoji" in analyse(text).cues
    assert em.decide(text, [0.1, 0.1, 0.7, 0.1], analyse(text).cues) == "furious"
    assert em.decide(text, [0.1, 0.7, 0.1, 0.1], analyse(text).cues) == "upset"


def test_decide_reads_angry_as_furious_when_furious_is_close_behind() -> None:
    share = em.FURIOUS_SHARE
    assert em.decide("x", [0.1, 0.05, 0.85 - share, share + 0.0], ()) == "furious"
    assert em.decide("x", [0.1, 0.1, 0.8 - share + 0.1, share - 0.1], ()) == "angry"


@pytest.mark.parametrize("text", ["投诉！", "我要投诉！", "Complaint!", "I want to complain??"])
def test_decide_reads_a_complaint_with_an_exclamation_as_upset(text: str) -> None:
    """EMOTION.md, upset: "投诉！！" with nothing else, one "!" or "??" on a complaint."""
    cues = analyse(text).cues
    assert em.decide(text, [0.8, 0.1, 0.1, 0.0], cues) == "upset"
    assert (
        em.decide(text.rstrip("!！?"), [0.8, 0.1, 0.1, 0.0], analyse(text.rstrip("!！?")).cues)
        == "calm"
    )
    assert em.decide("Thanks!", [0.8, 0.1, 0.1, 0.0], analyse("Thanks!").cues) == "calm"


def test_decide_lifts_calm_with_an_angry_cue() -> None:
    text = "the courier marked it delivered and it never came"
    assert "indignation" in analyse(text).cues
    assert em.decide(text, [0.9, 0.05, 0.05, 0.0], analyse(text).cues) == "angry"


def test_decide_lifts_calm_when_angry_and_furious_are_close_behind() -> None:
    """EMOTION.md: calm for an angry message is the worst error. A calm plurality with angry and
    furious together at HEATED_FLOOR or more is read as angry; below it, calm stands."""
    floor = em.HEATED_FLOOR
    assert em.decide("x", [0.6, 0.1, floor - 0.1, 0.0], ()) == "calm"
    assert em.decide("x", [0.5, 0.1, floor - 0.05, 0.05], ()) == "angry"
    assert em.decide("x", [0.45, 0.15, floor / 2, floor / 2], ()) == "angry"


def test_training_file_is_well_formed() -> None:
    rows = _well_formed_rows(TRAIN, 900)
    levels = Counter(row["emotion"] for row in rows)
    assert all(levels[level] >= 0.1 * len(rows) for level in LEVELS)
    texts, labels = em.load_jsonl(TRAIN)
    assert len(texts) == len(labels) == len(rows)


# Every held-out set `make evaluate-emotion` scores (the shared public sample aside).
HELD_OUT = tuple(path.name for path in HELDOUT)


@pytest.mark.parametrize("name", HELD_OUT)
def test_training_file_holds_no_held_out_text(name: str) -> None:
    heldout = Path(__file__).parent / name
    held = {json.loads(line)["text"] for line in heldout.read_text("utf-8").splitlines() if line}
    train = {json.loads(line)["text"] for line in TRAIN.read_text("utf-8").splitlines() if line}
    assert held and not held & train


def test_emotion_heldout_set_is_well_formed() -> None:
    rows = _well_formed_rows(Path(__file__).parent / "emotion_heldout.jsonl", 240)
    assert min(Counter(row["emotion"] for row in rows).values()) >= 40


def test_second_emotion_heldout_set_is_well_formed() -> None:
    """Written fresh after the first round of tuning, never tuned on: the honest number."""
    rows = _well_formed_rows(Path(__file__).parent / "emotion_heldout2.jsonl", 150)
    assert min(Counter(row["emotion"] for row in rows).values()) >= 30


@pytest.mark.parametrize("name", [f"emotion_heldout{n}.jsonl" for n in SET_NUMBERS if n >= 3])
def test_later_emotion_heldout_sets_are_well_formed(name: str) -> None:
    """Each written fresh by a writer of its own, who never ran the model, before the round
    that scored it (docs/TRAINING.md, Emotion): 100 lines a language, every level 40 or more."""
    rows = _well_formed_rows(Path(__file__).parent / name, 200)
    assert min(Counter(row["emotion"] for row in rows).values()) >= 40
    assert Counter(row["lang"] for row in rows) == {"en": 100, "zh": 100}


def _in_rasa_environment(code: str) -> None:
    """Runs `code` where scikit-learn lives: the Rasa environment (Python 3.10)."""
    import subprocess
    import textwrap

    from bot.model import rasa_environment
    from bot.paths import PROJECT_ROOT

    python = PROJECT_ROOT / ".venv-rasa" / "bin" / "python"
    if not python.exists():
        pytest.fail("the Rasa environment is missing: run `make setup`")
    result = subprocess.run(
        [str(python), "-c", textwrap.dedent(code)],
        cwd=PROJECT_ROOT,
        env=rasa_environment(PROJECT_ROOT),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_model_learns_and_round_trips(tmp_path: Path) -> None:
    _in_rasa_environment(
        f"""
        from pathlib import Path
        from bot.nlu import emotion_model as em
        from bot.nlu.emotion import LEVELS, level_for
        rows = [
            ("hello", "calm"),
            ("order 12345678", "calm"),
            ("really disappointing", "upset"),
            ("质量太差了", "upset"),
            ("absolute trash!!", "angry"),
            ("垃圾东西", "angry"),
            ("I'm suing you!!!", "furious"),
            ("我要去12315投诉！！！", "furious"),
        ] * 3
        model = em.EmotionModel().fit([t for t, _ in rows], [label for _, label in rows])
        path = Path({str(tmp_path)!r}) / "model.pkl"
        model.save(path)
        loaded = em.EmotionModel.load(path)
        for text in ("hello", "我要去12315投诉！！！"):
            result = loaded.analyse(text)
            assert result.level in LEVELS and level_for(result.score) == result.level
        assert loaded.analyse("").level == "calm"
        assert loaded.analyse("我要去12315投诉！！！").level == "furious"
        """
    )


def test_model_on_the_training_file() -> None:
    _in_rasa_environment(
        """
        from bot.nlu import emotion_model as em
        from bot.paths import PROJECT_ROOT
        model = em.train(PROJECT_ROOT / "bot" / "nlu" / "emotion_data" / "train.jsonl")
        assert model.analyse("你们他妈的怎么送的货！！！我要曝光你们").level == "furious"
        assert model.analyse("订单号是2026031500123").level == "calm"
        """
    )


def test_model_meets_the_issue_targets_on_the_emotion_heldout_set() -> None:
    """Issue 15: exact >= 0.78, furious recall >= 0.90, angry/furious read as calm <= 5 %, on
    a held-out set labelled to EMOTION.md (tests/nlu/emotion_heldout.jsonl, never trained on)."""
    _in_rasa_environment(
        """
        from bot.nlu import emotion_model as em
        from bot.nlu.emotion_eval import HELDOUT, TRAIN, load_rows, score
        model = em.train(TRAIN)
        rows = load_rows(HELDOUT[0])
        assert HELDOUT[0].name == "emotion_heldout.jsonl"
        predicted = [e.level for e in model.analyse_many([row["text"] for row in rows])]
        result = score([row["emotion"] for row in rows], predicted)
        assert result.exact >= 0.78, result
        assert result.furious_recall >= 0.90, result
        assert result.read_as_calm <= 0.05, result
        # Short polite turns are calm; a furious cue is never read as less than furious.
        for text in ("thanks, bye!", "是机器人在回复吗", "hello! anyone there?", "好的，谢谢！"):
            assert model.analyse(text).level == "calm", text
        for text in ("Kindly refund me by noon, otherwise my solicitor takes over",
                     "麻烦今天处理，不然我就去消协", "you lot are crooks", "WHY IS NOBODY ANSWERING"):
            assert model.analyse(text).level == "furious", text
        assert model.analyse("I'm not angry, I just want to know the delivery date").level == "calm"
        """
    )
