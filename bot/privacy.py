"""Masking of personal data (phone numbers, e-mail addresses) for logs and exports."""

from __future__ import annotations

import logging
import re

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


class PiiMaskingFilter(logging.Filter):
    """Masks personal data in every record passing through a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            message = str(record.msg)
        masked = mask_pii(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_pii(record.exc_text)
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
    added = 0
    for handler in handlers:
        if not _has_masking(handler):
            handler.addFilter(PiiMaskingFilter())
            added += 1
    return added


def configure_logging(level: str = "INFO") -> None:
    """Sends all logs to stderr through the masking filter."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(PiiMaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Third-party loggers that attach their own handlers still go through ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "sanic.root", "sanic.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
