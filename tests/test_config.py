"""Settings validation: defaults, bad values, production rules, generated secrets."""

from __future__ import annotations

import stat

import pytest

from bot.config import SettingsError, child_environment, ensure_secrets, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """Each test starts from an environment without COMPLAINTBOT_* and without .env."""
    import os

    for name in list(os.environ):
        if name.startswith("COMPLAINTBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COMPLAINTBOT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.chdir(tmp_path)


def test_embedded_defaults():
    settings = load_settings(_env_file=None)
    assert settings.env == "development"
    assert settings.port == 8000
    assert settings.rasa_url == "http://127.0.0.1:5005"
    assert settings.redis_url is None
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("var/complaintbot.db")


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("COMPLAINTBOT_PORT", "9100")
    monkeypatch.setenv("COMPLAINTBOT_RASA_URL", "http://10.0.0.5:5005/, http://10.0.0.6:5005")
    monkeypatch.setenv("COMPLAINTBOT_REDIS_URL", "")
    settings = load_settings(_env_file=None)
    assert settings.port == 9100
    assert settings.rasa_urls == ["http://10.0.0.5:5005", "http://10.0.0.6:5005"]
    assert settings.redis_url is None


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("COMPLAINTBOT_PORT", "eighty", "port"),
        ("COMPLAINTBOT_PORT", "70000", "port"),
        ("COMPLAINTBOT_RASA_URL", "localhost:5005", "rasa_url"),
        ("COMPLAINTBOT_DATABASE_URL", "mysql://x@y/z", "database_url"),
        ("COMPLAINTBOT_SLA_POLICY", "/nonexistent/policy.yml", "SLA_POLICY"),
        ("COMPLAINTBOT_REMEDY_POLICY", "/nonexistent/remedy.yml", "REMEDY_POLICY"),
        ("COMPLAINTBOT_LOG_LEVEL", "LOUD", "log_level"),
        ("COMPLAINTBOT_ENV", "staging", "env"),
    ],
)
def test_bad_values_give_one_clear_error(monkeypatch, name, value, fragment):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings(_env_file=None)
    assert "invalid configuration" in str(info.value)
    assert fragment.lower() in str(info.value).lower()


def test_production_refuses_to_start_without_secrets(monkeypatch):
    monkeypatch.setenv("COMPLAINTBOT_ENV", "production")
    with pytest.raises(SettingsError, match="API_TOKEN"):
        load_settings(_env_file=None)


@pytest.mark.parametrize("placeholder", ["changeme", "secret", "short-token"])
def test_production_refuses_placeholder_or_short_secrets(monkeypatch, placeholder):
    monkeypatch.setenv("COMPLAINTBOT_ENV", "production")
    monkeypatch.setenv("COMPLAINTBOT_API_TOKEN", placeholder)
    monkeypatch.setenv("COMPLAINTBOT_RASA_TOKEN", "r" * 40)
    with pytest.raises(SettingsError, match="API_TOKEN"):
        load_settings(_env_file=None)


def test_production_with_real_secrets(monkeypatch):
    monkeypatch.setenv("COMPLAINTBOT_ENV", "production")
    monkeypatch.setenv("COMPLAINTBOT_API_TOKEN", "a" * 40)
    monkeypatch.setenv("COMPLAINTBOT_RASA_TOKEN", "r" * 40)
    settings, sources = ensure_secrets(load_settings(_env_file=None))
    assert sources == []
    assert settings.api_token.get_secret_value() == "a" * 40


def test_development_generates_secrets_once_with_mode_600(tmp_path):
    settings, sources = ensure_secrets(load_settings(_env_file=None))
    assert [p.name for p in sources] == ["api_token", "rasa_token"]
    for path in sources:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = settings.api_token.get_secret_value()
    assert len(token) >= 32
    again, _ = ensure_secrets(load_settings(_env_file=None))
    assert again.api_token.get_secret_value() == token
    assert again.rasa_token.get_secret_value() != token


def test_secrets_are_not_shown_in_repr(monkeypatch):
    monkeypatch.setenv("COMPLAINTBOT_API_TOKEN", "very-secret-value-123456")
    settings = load_settings(_env_file=None)
    assert "very-secret-value-123456" not in repr(settings)


def test_rate_caps_default_on_read_from_the_environment_and_reach_child_processes(monkeypatch):
    defaults = load_settings(_env_file=None)
    assert (defaults.rate_limit_per_sender, defaults.rate_limit_per_ip) == (30, 600)
    assert defaults.trusted_proxy_networks == []
    monkeypatch.setenv("COMPLAINTBOT_RATE_LIMIT_PER_SENDER", "0")
    monkeypatch.setenv("COMPLAINTBOT_RATE_LIMIT_PER_IP", "5000")
    monkeypatch.setenv("COMPLAINTBOT_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7")
    settings = load_settings(_env_file=None)
    assert [str(n) for n in settings.trusted_proxy_networks] == ["10.0.0.0/8", "192.0.2.7/32"]
    for name, value in child_environment(settings).items():
        monkeypatch.setenv(name, value)
    child = load_settings(_env_file=None)
    assert (child.rate_limit_per_sender, child.rate_limit_per_ip) == (0, 5000)
    assert child.trusted_proxies == settings.trusted_proxies


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("COMPLAINTBOT_TRUSTED_PROXIES", "10.0.0.0/8, proxy.example.com"),
        ("COMPLAINTBOT_RATE_LIMIT_PER_SENDER", "-1"),
        ("COMPLAINTBOT_RATE_LIMIT_PER_IP", "lots"),
    ],
)
def test_bad_rate_settings_are_refused_by_name(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name.removeprefix("COMPLAINTBOT_").lower()):
        load_settings(_env_file=None)
