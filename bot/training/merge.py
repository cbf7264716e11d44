"""`complaintbot nlu merge FILE`: reviewed lines of an `nlu review` file into data/nlu/.

A trainer labels the review file (docs/TRAINING.md): each item whose `# review:` line is gone
has been looked at. Merging takes those items, checks them against the domain (the intent
exists, entity names and fixed values are the contract's, the markup is well formed), drops
what data/nlu already has (or the file has twice), and adds each line to the topic file that
holds its intent: English lines after the intent's last English line, Chinese ones at the
end, so each intent keeps "English, then Chinese". Items still marked for review stay in
FILE, which is rewritten with them (or removed when none is left).

Nothing is written when any reviewed line is invalid: the errors say which and why.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.nlu.language import detect_language
from bot.training.review import normalise

REVIEW_MARK = "# review:"
FIXED_VALUES = {
    "desired_resolution": {"refund", "replacement", "repair", "compensation", "apology", "explanation"},
    "escalation_threat": {"regulator", "media", "legal"},
    "rating": {"1", "2", "3", "4", "5"},
}  # fmt: skip
_INTENT_LINE = re.compile(r"^- intent:\s*(?P<intent>\S+)\s*$")
_EXAMPLE_LINE = re.compile(r"^(?P<indent>\s+)- (?P<text>.*\S)\s*$")
_MARKUP = re.compile(r"\[(?P<surface>[^\]]+)\](?:\((?P<name>[^)]*)\)|(?P<json>\{[^}]*\}))")


class MergeError(ValueError):
    """The file cannot be merged; the message says what to fix."""


@dataclass
class Item:
    """One `- intent:` item of the review file with its example lines."""

    intent: str
    examples: list[str]
    reviewed: bool
    lines: list[str]  # the item as written (comments included), to keep it when unreviewed


@dataclass
class MergeReport:
    added: dict[str, int] = field(default_factory=dict)  # per data file
    duplicates: int = 0
    unreviewed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.added.values())


def parse_review(text: str) -> tuple[list[str], list[Item]]:
    """The file's header lines (up to `nlu:`) and its items."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise MergeError(f"not valid YAML: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("nlu", []), list):
        raise MergeError("not an NLU data file (expected a top-level `nlu:` list)")
    header: list[str] = []
    items: list[Item] = []
    pending: list[str] = []  # comments and blank lines before the next item
    current: Item | None = None
    in_body = False
    for line in text.splitlines():
        if not in_body:
            header.append(line)
            in_body = line.startswith("nlu:")
            continue
        match = _INTENT_LINE.match(line)
        if match:
            reviewed = not any(p.lstrip().startswith(REVIEW_MARK) for p in pending)
            current = Item(match["intent"], [], reviewed, [*pending, line])
            items.append(current)
            pending = []
        elif current is not None and (line.startswith(" ") and line.strip()):
            current.lines.append(line)
            example = _EXAMPLE_LINE.match(line)
            if example and not line.strip().startswith("examples:"):
                current.examples.append(example["text"])
        else:
            pending.append(line)
    return header, items


def check_example(example: str, intent: str, intents: set[str], entities: set[str]) -> list[str]:
    """What is wrong with one labelled line (nothing when it is fine)."""
    problems = []
    if intent not in intents:
        problems.append(f"intent {intent!r} is not in domain.yml")
    if not _MARKUP.sub(r"\g<surface>", example).strip():
        problems.append("no text")
    for markup in _MARKUP.finditer(example):
        name, value = markup["name"], markup["surface"]
        if markup["json"]:
            try:
                spec = json.loads(markup["json"])
            except ValueError:
                problems.append(f"bad entity markup {markup[0]!r}")
                continue
            name, value = spec.get("entity"), str(spec.get("value", value))
        if name not in entities:
            problems.append(f"entity {name!r} is not in domain.yml")
        elif name in FIXED_VALUES and value not in FIXED_VALUES[name]:
            allowed = ", ".join(sorted(FIXED_VALUES[name]))
            problems.append(f"{name} value {value!r} is not one of {allowed}")
    return problems


def intent_files(nlu_dir: Path) -> dict[str, Path]:
    """Which file of data/nlu holds each intent's examples."""
    owners: dict[str, Path] = {}
    for path in sorted(nlu_dir.rglob("*.yml")):
        for line in path.read_text("utf-8").splitlines():
            intent = _intent_of(line)
            if intent:
                owners.setdefault(intent, path)
    return owners


def _intent_of(line: str) -> str | None:
    match = _INTENT_LINE.match(line)
    return match["intent"] if match else None


def _is_chinese(example: str) -> bool:
    return detect_language(_MARKUP.sub(r"\g<surface>", example)) == "zh"


def insert_examples(text: str, intent: str, examples: list[str]) -> str:
    """`text` (a data/nlu file) with `examples` added to `intent`'s block: English ones
    after its last English line, Chinese ones after its last line."""
    lines = text.splitlines()
    heads = [i for i, line in enumerate(lines) if _intent_of(line) == intent]
    if not heads:
        raise MergeError(f"no block of intent {intent!r}")
    start = heads[0]
    block: list[tuple[int, str, str]] = []  # (line number, indent, example)
    for i in range(start + 1, len(lines)):
        if _intent_of(lines[i]) or (lines[i] and not lines[i].startswith(" ")):
            break
        example = _EXAMPLE_LINE.match(lines[i])
        if example and not lines[i].strip().startswith("examples:"):
            block.append((i, example["indent"], example["text"]))
    if not block:
        raise MergeError(f"the block of intent {intent!r} has no example lines to extend")
    indent = block[0][1]
    english_end = max((i for i, _, text in block if not _is_chinese(text)), default=start + 1)
    english = [f"{indent}- {e}" for e in examples if not _is_chinese(e)]
    chinese = [f"{indent}- {e}" for e in examples if _is_chinese(e)]
    last = block[-1][0]
    # Chinese after the block's last line; English after the last English line.
    lines[last + 1 : last + 1] = chinese
    lines[english_end + 1 : english_end + 1] = english
    return "\n".join(lines) + "\n"


def merge(
    review_file: Path, nlu_dir: Path, domain_file: Path, *, dry_run: bool = False
) -> MergeReport:
    """Merges the reviewed items of `review_file` into `nlu_dir` (see the module doc)."""
    from bot.training.review import known_examples

    header, items = parse_review(review_file.read_text("utf-8"))
    domain = yaml.safe_load(domain_file.read_text("utf-8")) or {}
    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents") or []}
    entities = {e if isinstance(e, str) else next(iter(e)) for e in domain.get("entities") or []}
    owners = intent_files(nlu_dir)
    known = known_examples(nlu_dir)
    report = MergeReport()
    to_add: dict[Path, dict[str, list[str]]] = {}
    for item in items:
        if not item.reviewed:
            report.unreviewed += 1
            continue
        for example in item.examples:
            problems = check_example(example, item.intent, intents, entities)
            if item.intent in intents and item.intent not in owners:
                problems.append(f"no file in {nlu_dir} holds intent {item.intent!r} yet")
            if problems:
                report.errors.append(f"{item.intent}: {example!r}: " + "; ".join(problems))
                continue
            key = normalise(example)
            if key in known:
                report.duplicates += 1
                continue
            known.add(key)
            to_add.setdefault(owners[item.intent], {}).setdefault(item.intent, []).append(example)
    if report.errors:
        return report
    for path, by_intent in to_add.items():
        text = path.read_text("utf-8")
        for intent, examples in by_intent.items():
            text = insert_examples(text, intent, examples)
        document = yaml.safe_load(text)  # the result must still be valid NLU data
        if not isinstance(document, dict) or "nlu" not in document:
            raise MergeError(f"merging would break {path}")
        report.added[str(path)] = sum(len(v) for v in by_intent.values())
        if not dry_run:
            path.write_text(text, "utf-8")
    if not dry_run:
        left = [line for item in items if not item.reviewed for line in item.lines]
        if left:
            review_file.write_text("\n".join([*header, *left]) + "\n", "utf-8")
        else:
            review_file.unlink()
    return report
