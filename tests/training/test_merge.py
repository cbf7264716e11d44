"""`complaintbot nlu merge`: reviewed lines of a review file into data/nlu/ (on a copy)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.training.merge import merge
from bot.training.review import known_examples, normalise

ROOT = Path(__file__).parents[2]

REVIEW = """\
# NLU review: customer messages the bot was unsure about (complaintbot nlu review).
version: "3.1"
nlu:

# ===== guessed thank: 2 =====

- intent: request_human
  examples: |
    - could you kindly put me through to one of your staff, thanks
- intent: request_human
  examples: |
    - 麻烦帮忙转一下人工客服呀，多谢
# review: zh · confidence 0.41 · next: thank 0.30
- intent: thank
  examples: |
    - 好的谢谢你们啊
- intent: complain_delivery
  examples: |
    - my curry turned up an hour late and stone cold, I'd like my [money back]{"entity": "desired_resolution", "value": "refund"}
    - the [pizza](product) took so long even the driver apologised, cold and soggy
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "data" / "nlu", tmp_path / "data" / "nlu")
    shutil.copy(ROOT / "domain.yml", tmp_path / "domain.yml")
    return tmp_path


def _examples(path: Path, intent: str) -> list[str]:
    for item in yaml.safe_load(path.read_text("utf-8"))["nlu"]:
        if item.get("intent") == intent:
            return [line[2:] for line in item["examples"].splitlines() if line.startswith("- ")]
    raise AssertionError(f"{intent} not in {path}")


def test_reviewed_lines_go_to_their_intents_file_english_before_chinese(project: Path) -> None:
    review = project / "review.yml"
    review.write_text(REVIEW, "utf-8")
    nlu = project / "data" / "nlu"
    report = merge(review, nlu, project / "domain.yml")
    assert report.errors == []
    assert report.total == 3 and report.duplicates == 1 and report.unreviewed == 1
    dialogue = _examples(nlu / "dialogue.yml", "request_human")
    english = dialogue.index("could you kindly put me through to one of your staff, thanks")
    chinese = dialogue.index("麻烦帮忙转一下人工客服呀，多谢")
    first_chinese = next(
        i for i, e in enumerate(dialogue) if any("\u4e00" <= c <= "\u9fff" for c in e)
    )
    assert english == first_chinese - 1 and chinese == len(dialogue) - 1
    delivery = _examples(nlu / "complaint_delivery.yml", "complain_delivery")
    assert any(e.startswith("my curry turned up an hour late") for e in delivery)
    assert sum(1 for e in delivery if "cold and soggy" in e) == 1  # the duplicate was dropped
    # The unreviewed item stays in the review file, alone; the merged ones are gone.
    left = yaml.safe_load(review.read_text("utf-8"))["nlu"]
    assert left == [{"intent": "thank", "examples": "- 好的谢谢你们啊\n"}]
    # A second merge adds nothing: everything reviewed is in data/nlu now.
    review.write_text(REVIEW, "utf-8")
    again = merge(review, nlu, project / "domain.yml")
    assert again.total == 0 and again.duplicates == 4


def test_invalid_lines_stop_the_whole_merge(project: Path) -> None:
    review = project / "review.yml"
    review.write_text(
        REVIEW
        + "- intent: complain_weather\n  examples: |\n    - it rained\n"
        + "- intent: inform\n  examples: |\n"
        + '    - I want [cash]{"entity": "desired_resolution", "value": "cash"}\n'
        + "    - my [thing](gadget) broke\n",
        "utf-8",
    )
    nlu = project / "data" / "nlu"
    before = {p.name: p.read_bytes() for p in nlu.glob("*.yml")}
    report = merge(review, nlu, project / "domain.yml")
    assert len(report.errors) == 3
    assert "'complain_weather' is not in domain.yml" in report.errors[0]
    assert "desired_resolution value 'cash'" in report.errors[1]
    assert "entity 'gadget' is not in domain.yml" in report.errors[2]
    assert {p.name: p.read_bytes() for p in nlu.glob("*.yml")} == before
    assert review.read_text("utf-8").startswith("# NLU review")


def test_merged_data_still_loads_and_keeps_every_old_example(project: Path) -> None:
    nlu = project / "data" / "nlu"
    old = known_examples(nlu)
    review = project / "review.yml"
    review.write_text(REVIEW.replace("# review: zh · confidence 0.41 · next: thank 0.30\n", ""))
    report = merge(review, nlu, project / "domain.yml")
    assert report.total == 4 and not review.exists()
    new = known_examples(nlu)
    assert old < new and len(new - old) == 4
    assert normalise("好的谢谢你们啊") in new


def test_the_command_refuses_a_missing_or_broken_file(tmp_path: Path) -> None:
    cli = [sys.executable, "-m", "bot.cli", "nlu", "merge"]
    missing = subprocess.run(
        [*cli, str(tmp_path / "nope.yml")], capture_output=True, text=True, cwd=ROOT
    )
    assert missing.returncode == 2 and "is not a file" in missing.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text("nlu: [\n", "utf-8")
    result = subprocess.run(
        [*cli, str(broken), "--dry-run"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 2 and "not valid YAML" in result.stderr
    assert "Traceback" not in result.stderr
