"""Plays tests/e2e/conversations.yml through the real stack and writes tests/e2e/stories.yml.

Run with `make e2e-record`, then review the diff: the recorded stories become the expected
behaviour that `rasa test` checks with --fail-on-prediction-errors.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
import yaml

from bot.model import ensure_model
from bot.paths import PROJECT_ROOT
from bot.stack import Stack, local_settings

HERE = Path(__file__).resolve().parent


def to_test_story(name: str, story_yaml: str, turns: list[str]) -> dict[str, Any]:
    """Rasa's exported story with each intent step given the customer's actual words."""
    exported = yaml.safe_load(story_yaml)
    steps: list[dict[str, Any]] = []
    remaining = list(turns)
    for story in exported.get("stories", []):
        for step in story["steps"]:
            if "intent" in step:
                steps.append({"user": remaining.pop(0), "intent": step["intent"]})
            else:
                steps.append(step)
    if remaining:
        raise RuntimeError(f"{name}: {len(remaining)} turns missing from the exported story")
    return {"story": name, "steps": steps}


def record(conversations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    var_dir = Path(tempfile.mkdtemp(prefix="complaintbot-e2e-"))
    settings = local_settings(var_dir, database_url=f"sqlite:///{var_dir / 'e2e.db'}")
    assert settings.rasa_token is not None
    stack = Stack(settings, ensure_model(PROJECT_ROOT), PROJECT_ROOT)
    stack.start()
    stories = []
    try:
        with httpx.Client(timeout=60) as client:
            for number, conversation in enumerate(conversations):
                sender = f"e2e-{number:02d}-{re.sub(r'[^a-z]+', '-', conversation['name'][:20])}"
                for turn in conversation["turns"]:
                    client.post(
                        f"http://127.0.0.1:{settings.port}/webhooks/rest/webhook",
                        json={"sender": sender, "message": turn},
                    ).raise_for_status()
                exported = client.get(
                    f"http://127.0.0.1:{settings.rasa_port}/conversations/rest:{sender}/story",
                    params={"token": settings.rasa_token.get_secret_value()},
                )
                exported.raise_for_status()
                stories.append(
                    to_test_story(conversation["name"], exported.text, conversation["turns"])
                )
    finally:
        stack.stop()
    return stories


def main() -> int:
    conversations = yaml.safe_load((HERE / "conversations.yml").read_text("utf-8"))
    stories = record(conversations["conversations"])
    header = (
        "# Recorded by `make e2e-record` from tests/e2e/conversations.yml; reviewed by hand.\n"
        "# Checked by `rasa test` with --fail-on-prediction-errors (tests/e2e/test_stories.py).\n"
    )
    body = yaml.safe_dump(
        {"version": "3.1", "stories": stories}, allow_unicode=True, sort_keys=False, width=100
    )
    (HERE / "stories.yml").write_text(header + body, encoding="utf-8")
    print(f"wrote {len(stories)} stories to {HERE / 'stories.yml'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
