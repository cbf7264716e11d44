"""Typed settings, read from the environment (and `.env`), validated at start-up."""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.owner_only import make_private_dir
from bot.paths import DEFAULT_REMEDY_POLICY, DEFAULT_SLA_POLICY, DEFAULT_VAR_DIR, PROJECT_ROOT

logger = logging.getLogger(__name__)

# Settings held as SecretStr: kept out of reprs and logs, passed on to child processes.
SECRET_FIELDS = (
    "rasa_token",
    "api_token",
    "telegram_token",
    "telegram_webhook_secret",
    "alert_webhook",
    "rest_token",
)
PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "token", "password", "test"}


class SettingsError(ValueError):
    """Raised when the configuration cannot be used; the message says what to fix."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="COMPLAINTBOT_",
        env_file=PROJECT_ROOT / ".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    env: Literal["development", "production"] = "development"
    var_dir: Path = DEFAULT_VAR_DIR
    database_url: str = ""
    redis_url: str | None = None
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: SecretStr | None = None
    actions_url: str = "http://127.0.0.1:5055"
    api_token: SecretStr | None = None
    # The REST channel's integration token (bot.channels.rest_auth): required
    # from REST clients when set; unset = REST open in development, refused in production.
    rest_token: SecretStr | None = None
    telegram_token: SecretStr | None = None
    telegram_webhook_url: str | None = None
    # Checked against Telegram's X-Telegram-Bot-Api-Secret-Token header in webhook mode;
    # unset = derived from the bot token (the same on every gateway replica).
    telegram_webhook_secret: SecretStr | None = None
    # The Bot API server; only tests and self-hosted Bot API servers change it.
    telegram_api_url: str = "https://api.telegram.org"
    # Largest photo/document kept as evidence (Telegram's bots can download up to 20 MB).
    max_evidence_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    rasa_port: int = Field(default=5005, ge=1, le=65535)
    actions_port: int = Field(default=5055, ge=1, le=65535)
    sla_policy: Path = DEFAULT_SLA_POLICY
    # What each role may grant on the spot (remedy types, limits per currency).
    remedy_policy: Path = DEFAULT_REMEDY_POLICY
    # Teams, their members and the categories and products they own (bot.tickets.teams);
    # unset = no routing, one queue for every agent.
    teams: Path | None = None
    # Seconds the gateway waits for Rasa before apologising and queueing for a human.
    rasa_timeout: float = Field(default=15.0, gt=0, le=300)
    # Seconds a customer message waits for a Rasa that has not been ready since this gateway
    # started (loading its model) before the apology-and-ticket path; 0 = never wait.
    rasa_startup_grace: float = Field(default=90.0, ge=0, le=3600)
    # GET /metrics counts each answered message's intent and emotion, read from Rasa after
    # the answer (one small API call per turn); off saves that call.
    metrics_parse_data: bool = True
    # How turns are spread over several COMPLAINTBOT_RASA_URL replicas. "conversation": a
    # conversation always goes to the same replica (works with any tracker store).
    # "turn": each turn goes to the next replica, and a replica that refuses connections is
    # skipped; only for replicas sharing Rasa's RedisLockStore and one SQL tracker store
    # (endpoints.prod.yml), where any replica can take any conversation's next turn.
    rasa_balance: Literal["conversation", "turn"] = "conversation"
    # Longest customer message accepted; longer ones are cut (and the customer told).
    max_message_chars: int = Field(default=4000, ge=100, le=100_000)
    # Customer requests a minute (REST messages, web chat messages): per sender, and per
    # client address (all customers behind one office NAT share it). 0 turns a cap off.
    rate_limit_per_sender: int = Field(default=30, ge=0, le=1_000_000)
    rate_limit_per_ip: int = Field(default=600, ge=0, le=10_000_000)
    # Proxies (addresses or CIDR networks, comma-separated) whose X-Forwarded-For is
    # believed; empty = the direct peer is the client.
    trusted_proxies: str = ""
    log_level: str = "INFO"
    # SLA monitor. Alerts go to the console always, and as JSON to this URL when set (a
    # secret: chat webhooks carry their key in the URL).
    alert_webhook: SecretStr | None = None
    # The agents' Telegram group (chat id or @name) for alerts, when the channel runs.
    telegram_agent_chat: str | None = None
    # Seconds between two checks of every open ticket's deadlines; 0 turns the monitor off.
    sla_monitor_interval: float = Field(default=60.0, ge=0, le=3600)
    # Days a resolved ticket waits for the customer's rating before it is closed unrated.
    followup_days: float = Field(default=3.0, gt=0, le=365)
    # The public transparency report at /report (aggregates only); off = 404.
    public_report: bool = False
    # Figures resting on fewer tickets than this are withheld from the public report.
    report_min_count: int = Field(default=5, ge=1, le=1000)
    # The console's and dashboard's language when neither the agent nor the browser says.
    default_locale: Literal["en", "zh-CN"] = "en"

    @field_validator(
        "redis_url", "telegram_webhook_url", "telegram_agent_chat", "teams", mode="before"
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator(*SECRET_FIELDS, mode="before")
    @classmethod
    def _empty_secret_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("alert_webhook")
    @classmethod
    def _webhook_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parsed = urlparse(value.get_secret_value())
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                # Not the value itself: it is a secret.
                raise ValueError("expected an http(s):// URL")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"expected http(s)://host[:port], got {value!r}")
        return value.rstrip("/")

    @field_validator("rasa_url", "actions_url")
    @classmethod
    def _http_urls(cls, value: str) -> str:
        for url in value.split(","):
            parsed = urlparse(url.strip())
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise ValueError(f"expected http(s)://host:port, got {url.strip()!r}")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("COMPLAINTBOT_DATABASE_URL must be a sqlite:// or postgresql:// URL")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                try:
                    ip_network(part.strip(), strict=False)
                except ValueError:
                    raise ValueError(
                        f"expected IP addresses or networks, got {part.strip()!r}"
                    ) from None
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("COMPLAINTBOT_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
        return level

    @model_validator(mode="after")
    def _defaults_and_production_rules(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'complaintbot.db'}"
        if not self.sla_policy.is_file():
            raise ValueError(f"COMPLAINTBOT_SLA_POLICY: no such file {self.sla_policy}")
        if not self.remedy_policy.is_file():
            raise ValueError(f"COMPLAINTBOT_REMEDY_POLICY: no such file {self.remedy_policy}")
        if self.env == "production":
            for name in ("api_token", "rasa_token"):
                secret = getattr(self, name)
                if (
                    secret is None
                    or secret.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS
                ):
                    raise ValueError(
                        f"COMPLAINTBOT_{name.upper()} must be set to a real secret in production"
                    )
                if len(secret.get_secret_value()) < 16:
                    raise ValueError(f"COMPLAINTBOT_{name.upper()} must be at least 16 characters")
            rest = self.rest_token
            if rest is not None and (
                rest.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS
                or len(rest.get_secret_value()) < 16
            ):
                raise ValueError("COMPLAINTBOT_REST_TOKEN must be a real secret of 16+ characters")
        return self

    @property
    def telegram_secret(self) -> str | None:
        """The webhook secret token Telegram echoes in every call (A-Z, a-z, 0-9, _ and -)."""
        if self.telegram_webhook_secret is not None:
            return self.telegram_webhook_secret.get_secret_value()
        if self.telegram_token is None:
            return None
        digest = hashlib.sha256(
            b"complaintbot-webhook:" + self.telegram_token.get_secret_value().encode()
        )
        return digest.hexdigest()[:48]

    @property
    def trusted_proxy_networks(self) -> list[IPv4Network | IPv6Network]:
        return [
            ip_network(part.strip(), strict=False)
            for part in self.trusted_proxies.split(",")
            if part.strip()
        ]

    @property
    def rasa_urls(self) -> list[str]:
        return [u.strip().rstrip("/") for u in self.rasa_url.split(",") if u.strip()]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(**overrides: object) -> Settings:
    """Builds settings from the environment, turning validation errors into one clear message."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise SettingsError(f"invalid configuration: {problems}") from None


def _stored_secret(path: Path) -> str:
    """Reads the token kept in `path`, creating it (mode 600) on first use."""
    if path.exists():
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return value
    make_private_dir(path.parent)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
    os.chmod(path, 0o600)
    logger.info("generated a new secret in %s", path)
    return value


def ensure_secrets(settings: Settings) -> tuple[Settings, list[Path]]:
    """Fills unset API and Rasa tokens from `var/` (development only).

    Returns the completed settings and the files the tokens came from, so the start-up
    banner can say where they are.
    """
    sources: list[Path] = []
    updates: dict[str, SecretStr] = {}
    for name, filename in (("api_token", "api_token"), ("rasa_token", "rasa_token")):
        if getattr(settings, name) is None:
            if settings.env == "production":
                raise SettingsError(f"COMPLAINTBOT_{name.upper()} is required in production")
            path = settings.var_dir / filename
            updates[name] = SecretStr(_stored_secret(path))
            sources.append(path)
    return settings.model_copy(update=updates), sources


def child_environment(settings: Settings) -> dict[str, str]:
    """The COMPLAINTBOT_* variables that give a child process these exact settings."""
    env = {
        "COMPLAINTBOT_ENV": settings.env,
        "COMPLAINTBOT_VAR_DIR": str(settings.var_dir),
        "COMPLAINTBOT_DATABASE_URL": settings.database_url,
        "COMPLAINTBOT_RASA_URL": settings.rasa_url,
        "COMPLAINTBOT_ACTIONS_URL": settings.actions_url,
        "COMPLAINTBOT_HOST": settings.host,
        "COMPLAINTBOT_PORT": str(settings.port),
        "COMPLAINTBOT_RASA_PORT": str(settings.rasa_port),
        "COMPLAINTBOT_ACTIONS_PORT": str(settings.actions_port),
        "COMPLAINTBOT_SLA_POLICY": str(settings.sla_policy),
        "COMPLAINTBOT_REMEDY_POLICY": str(settings.remedy_policy),
        "COMPLAINTBOT_RASA_TIMEOUT": str(settings.rasa_timeout),
        "COMPLAINTBOT_RASA_STARTUP_GRACE": str(settings.rasa_startup_grace),
        "COMPLAINTBOT_METRICS_PARSE_DATA": "true" if settings.metrics_parse_data else "false",
        "COMPLAINTBOT_RASA_BALANCE": settings.rasa_balance,
        "COMPLAINTBOT_LOG_LEVEL": settings.log_level,
    }
    env["COMPLAINTBOT_TELEGRAM_API_URL"] = settings.telegram_api_url
    env["COMPLAINTBOT_MAX_EVIDENCE_BYTES"] = str(settings.max_evidence_bytes)
    env["COMPLAINTBOT_SLA_MONITOR_INTERVAL"] = str(settings.sla_monitor_interval)
    env["COMPLAINTBOT_FOLLOWUP_DAYS"] = str(settings.followup_days)
    env["COMPLAINTBOT_MAX_MESSAGE_CHARS"] = str(settings.max_message_chars)
    env["COMPLAINTBOT_RATE_LIMIT_PER_SENDER"] = str(settings.rate_limit_per_sender)
    env["COMPLAINTBOT_RATE_LIMIT_PER_IP"] = str(settings.rate_limit_per_ip)
    env["COMPLAINTBOT_TRUSTED_PROXIES"] = settings.trusted_proxies
    if settings.telegram_agent_chat:
        env["COMPLAINTBOT_TELEGRAM_AGENT_CHAT"] = settings.telegram_agent_chat
    for name in SECRET_FIELDS:
        secret = getattr(settings, name)
        if secret is not None:
            env[f"COMPLAINTBOT_{name.upper()}"] = secret.get_secret_value()
    if settings.redis_url:
        env["COMPLAINTBOT_REDIS_URL"] = settings.redis_url
    if settings.telegram_webhook_url:
        env["COMPLAINTBOT_TELEGRAM_WEBHOOK_URL"] = settings.telegram_webhook_url
    return env
