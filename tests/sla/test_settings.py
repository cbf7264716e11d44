"""The SLA monitor's settings: defaults, validation, the webhook kept secret, and passing
them on to child processes."""

from __future__ import annotations

import os

import pytest

from bot.config import SettingsError, child_environment, load_settings

WEBHOOK = "https://hooks.example.com/services/T000/B000/secret-key-in-the-url"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("COMPLAINTBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COMPLAINTBOT_VAR_DIR", str(tmp_path / "var"))


def test_defaults():
    settings = load_settings(_env_file=None)
    assert settings.sla_monitor_interval == 60
    assert settings.followup_days == 3
    assert settings.alert_webhook is None and settings.telegram_agent_chat is None


def test_from_the_environment_and_on_to_child_processes(monkeypatch):
    monkeypatch.setenv("COMPLAINTBOT_ALERT_WEBHOOK", WEBHOOK)
    monkeypatch.setenv("COMPLAINTBOT_TELEGRAM_AGENT_CHAT", "-1001234567")
    monkeypatch.setenv("COMPLAINTBOT_SLA_MONITOR_INTERVAL", "15")
    monkeypatch.setenv("COMPLAINTBOT_FOLLOWUP_DAYS", "5")
    settings = load_settings(_env_file=None)
    assert WEBHOOK not in repr(settings)
    assert settings.alert_webhook is not None
    assert settings.alert_webhook.get_secret_value() == WEBHOOK

    env = child_environment(settings)
    assert env["COMPLAINTBOT_ALERT_WEBHOOK"] == WEBHOOK
    for name in list(os.environ):
        if name.startswith("COMPLAINTBOT_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    child = load_settings(_env_file=None)
    assert (child.alert_webhook, child.telegram_agent_chat) == (
        settings.alert_webhook,
        "-1001234567",
    )
    assert (child.sla_monitor_interval, child.followup_days) == (15, 5)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("COMPLAINTBOT_ALERT_WEBHOOK", "hooks.example.com/sla"),
        ("COMPLAINTBOT_SLA_MONITOR_INTERVAL", "-1"),
        ("COMPLAINTBOT_FOLLOWUP_DAYS", "0"),
    ],
)
def test_bad_values_are_refused_without_showing_the_webhook(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings(_env_file=None)
    assert name.removeprefix("COMPLAINTBOT_").lower() in str(info.value)
    assert "hooks.example.com" not in str(info.value)
