"""Masking of personal data (phone numbers, e-mail addresses) for logs and exports."""

from __future__ import annotations

import logging
import re

EMAIL_RE = re.compile(r"(?<![\w.+-])([\w.+-]{1,64})@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
# CN mobile numbers and international numbers written with a leading +.
PHONE_RE = re.compile(r"(?<!\d)(?:\+\d[\d \-]{6,16}\d|1[3-9]\d{9})(?!\d)")


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
    return PHONE_RE.sub(_mask_phone, EMAIL_RE.sub(_mask_email, text))


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
