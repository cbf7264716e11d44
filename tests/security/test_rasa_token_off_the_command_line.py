"""The Rasa token is not on any command line: every local user can read those
(`ps`, /proc/PID/cmdline). bot.rasa_launch takes it from the environment, which only the
process's owner can read."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.rasa_launch import rasa_arguments


def test_the_launcher_adds_the_token_inside_the_process():
    assert rasa_arguments(["run", "--enable-api"], "-starts-with-a-dash") == [
        "rasa", "run", "--enable-api", "--auth-token=-starts-with-a-dash",
    ]  # fmt: skip


@pytest.mark.stack
def test_no_process_of_the_stack_has_a_secret_on_its_command_line(stack):
    settings = stack.settings
    secrets = [s.get_secret_value() for s in (settings.rasa_token, settings.api_token) if s]
    assert secrets
    seen = 0
    for service in stack.processes.services:
        assert service.process is not None
        cmdline = Path(f"/proc/{service.process.pid}/cmdline").read_bytes().decode()
        seen += 1
        for secret in secrets:
            assert secret not in cmdline, service.name
        assert "auth-token" not in cmdline, service.name
    assert seen == len(stack.processes.services) >= 3
