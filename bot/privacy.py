"""Masking of personal data (phone numbers, e-mail addresses) for logs and exports, and of
secrets (tokens, passwords, webhook URLs) for logs."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterable

from bot.nlu.entities import CN_MOBILE_RE, INTL_PHONE_RE

# Masked as the NLU finds them: a number the bot understands is a number the logs hide.
_PHONE_RE = re.compile(f"{INTL_PHONE_RE.pattern}|{CN_MOBILE_RE.pattern}")
# Wider than the NLU's e-mail pattern on purpose: when in doubt, mask.
_EMAIL_RE = re.compile(r"([A-Za-z0-9._%+-]{1,64})@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


def _mask_email(match: re.Match[str]) -> str:
    local, domain = match.group(1), match.group(2)
    return f"{local[:1]}***@{domain}"


def _mask_phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    prefix = "+" if match.group(0).startswith("+") else ""
    return f"{prefix}{digits[:3]}****{digits[-2:]}"


def mask_pii(text: str) -> str:
    """Replaces e-mail addresses and phone numbers in `text` by masked forms."""
    if not text:
        return text
    return _PHONE_RE.sub(_mask_phone, _EMAIL_RE.sub(_mask_email, text))


# Secrets by shape, wherever they came from (.env, var/ files, a library's own messages):
# httpx logs every request URL, and Telegram's carry the bot token in the path, Rasa's the
# token in the query.
_SECRET_PATTERNS = (
    # A Telegram bot token: <bot id>:<35 characters>.
    (re.compile(r"(?<![0-9])\d{5,15}:[A-Za-z0-9_-]{30,}"), "<telegram-token>"),
    # Our agents' API tokens and console session tokens.
    (re.compile(r"\b(cb[as]_)[A-Za-z0-9_-]{16,}"), r"\1***"),
    # Credentials in a query string or a key=value / "key": "value" pair.
    (
        re.compile(
            r"""((?:[?&]|\b)(?:access_token|auth_token|secret_token|api_key|token|secret|"""
            r"""password|sign|signature|key)['"]?\s*[=:]\s*['"]?)[^&#\s'",}]+""",
            re.IGNORECASE,
        ),
        r"\1***",
    ),
    (re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=*-]+", re.IGNORECASE), r"\1 ***"),
)
# Secret values known to this process (see register_secrets); shorter ones would mask
# ordinary words.
MIN_SECRET_CHARS = 8
_known_secrets: set[str] = set()
# The settings holding secrets, as environment variables (bot.config.SECRET_FIELDS).
SECRET_ENVIRONMENT = (
    "COMPLAINTBOT_RASA_TOKEN",
    "COMPLAINTBOT_API_TOKEN",
    "COMPLAINTBOT_TELEGRAM_TOKEN",
    "COMPLAINTBOT_TELEGRAM_WEBHOOK_SECRET",
    "COMPLAINTBOT_ALERT_WEBHOOK",
    "COMPLAINTBOT_REST_TOKEN",
)


def register_secrets(values: Iterable[str | None]) -> None:
    """Adds values the logs must never show, whatever their shape (a webhook URL whose
    path is the key, a service token of any form)."""
    for value in values:
        if value and len(value.strip()) >= MIN_SECRET_CHARS:
            _known_secrets.add(value.strip())


def mask_secrets(text: str) -> str:
    """Replaces known secret values and anything shaped like a token or credential."""
    if not text:
        return text
    for secret in sorted(_known_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "***")
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


# A web chat session id (wc_ + 32 hex digits) is the only key to a visitor's transcript
# (GET /webchat/history): logged whole, it would let anyone who reads the logs read the
# conversation. It shows as its first 4 hex digits (enough to tell two sessions apart in
# one log, far too little to guess the rest), wherever it appears: uvicorn's
# "WebSocket /webchat/ws?session=wc_…" line, the Rasa key "webchat:wc_…", our own lines.
_SESSION_ID_RE = re.compile(r"(wc_)([0-9a-f]{4})[0-9a-f]{12,}", re.IGNORECASE)


def mask_session_ids(text: str) -> str:
    """Replaces web chat session ids by their first 4 hex digits and asterisks."""
    if not text:
        return text
    return _SESSION_ID_RE.sub(r"\1\2***", text)


def username_hint(attempted: str) -> str:
    """How the log names an attempted sign-in username: never verbatim (people type their
    password into the username field), but the same attempt always the same way, so
    repeated guesses at one account can be told apart from a spray over many:
    first character, then a short hash of the whole (case-folded)."""
    name = attempted.strip().lower()
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{name[:1]}***#{digest}"


def mask_log_text(text: str) -> str:
    """What a log line may show: no secrets or session ids, personal data masked."""
    return mask_pii(mask_session_ids(mask_secrets(text)))


class PiiMaskingFilter(logging.Filter):
    """Masks secrets and personal data in every record passing through a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            message = str(record.msg)
        masked = mask_log_text(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_log_text(record.exc_text)
        record.msg, record.args = masked, None
        return True


def _has_masking(handler: logging.Handler) -> bool:
    return any(isinstance(f, PiiMaskingFilter) for f in handler.filters)


def install_log_masking() -> int:
    """Puts the masking filter on every handler already configured in this process.

    For processes whose logging someone else sets up (the rasa_sdk action server): the
    root logger's handlers, the handlers of any named logger (sanic's own, for example) and
    the last-resort handler Python uses when none is configured. Idempotent and cheap, so
    it can run again after a library adds handlers. Returns how many handlers got it.
    """
    handlers: list[logging.Handler] = list(logging.getLogger().handlers)
    for candidate in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(candidate, logging.Logger):
            handlers.extend(candidate.handlers)
    if logging.lastResort is not None:
        handlers.append(logging.lastResort)
    register_secrets(os.environ.get(name) for name in SECRET_ENVIRONMENT)
    added = 0
    for handler in handlers:
        if not _has_masking(handler):
            handler.addFilter(PiiMaskingFilter())
            added += 1
    return added


def configure_logging(level: str = "INFO", secrets: Iterable[str | None] = ()) -> None:
    """Sends all logs to stderr through the masking filter, which also hides `secrets` and
    the secrets given in the environment (COMPLAINTBOT_*_TOKEN, ...)."""
    register_secrets(os.environ.get(name) for name in SECRET_ENVIRONMENT)
    register_secrets(secrets)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(PiiMaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request at INFO: a line per Rasa call on every turn, and Telegram's
    # polling URLs (which hold the bot token, masked by the filter). Shown at DEBUG only.
    requests_level = logging.DEBUG if level.upper() == "DEBUG" else logging.WARNING
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(requests_level)
    # Third-party loggers that attach their own handlers still go through ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "sanic.root", "sanic.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
