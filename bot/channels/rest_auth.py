"""Who may act as a REST customer: an integration token or a signed sender id.

Rasa's REST format has no credentials, so whoever knows a sender id would be that customer
(take their waiting messages, list their tickets by asking for the status, write into their
agent chat, answer their follow-up). With COMPLAINTBOT_REST_TOKEN set, a caller shows either

- `Authorization: Bearer <token>`: an integration's server, acting for any of its
  customers (the usual server-to-server integration: the company's app backend relays its
  signed-in users' messages), or
- `X-Complaintbot-Signature: <rest_signature(token, sender)>`: a client acting for this
  one customer (a mobile app, a browser) that must never hold the token; the integrating
  server computes the signature for its own signed-in user and hands it to the client.

Without the token, development lets every caller in (the start-up log warns) and
production no one: the REST channel stays closed until the token is set.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from fastapi import HTTPException, Request, status

from bot.config import Settings

logger = logging.getLogger(__name__)


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


# A client acting for one customer only (a mobile app, a browser) sends the sender id's
# signature instead of the integration token, which it must never hold: the integrating
# server computes it for its own signed-in user (rest_signature).
REST_SIGNATURE_HEADER = "X-Complaintbot-Signature"
_REST_SIGNATURE_CONTEXT = b"complaintbot rest sender v1\n"


def rest_signature(token: str, sender: str) -> str:
    """The signature of `sender` (HMAC-SHA256 under the REST token, lower-case hex)."""
    message = _REST_SIGNATURE_CONTEXT + sender.encode("utf-8", "surrogatepass")
    return hmac.new(token.encode("utf-8"), message, hashlib.sha256).hexdigest()


def rest_channel_open(settings: Settings) -> bool:
    """True when REST callers are not authenticated: development without a REST token."""
    return settings.rest_token is None and settings.env == "development"


def require_rest_customer(request: Request, sender: str) -> None:
    """Lets the request act as REST customer `sender`, or raises 401.

    With COMPLAINTBOT_REST_TOKEN set, the caller shows `Authorization: Bearer <token>` (an
    integration's server, acting for any of its customers) or `X-Complaintbot-Signature:
    <rest_signature(token, sender)>` (a client acting for this one customer). Without it,
    development lets everyone in (the start-up log warns) and production no one.
    """
    settings: Settings = request.app.state.settings
    token = settings.rest_token
    if token is None:
        if settings.env == "development":
            return
        raise _unauthorised(
            "the REST channel is closed: this gateway has no COMPLAINTBOT_REST_TOKEN"
        )
    secret = token.get_secret_value()
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8", "surrogateescape"), secret.encode("utf-8")
    ):
        return
    signature = request.headers.get(REST_SIGNATURE_HEADER, "").strip().lower()
    if signature and hmac.compare_digest(
        signature.encode("utf-8", "surrogateescape"),
        rest_signature(secret, sender).encode("ascii"),
    ):
        return
    raise _unauthorised(
        "missing or invalid REST credentials: Authorization: Bearer <integration token> or "
        f"{REST_SIGNATURE_HEADER}: <the sender id's signature>"
    )


def startup_warning(settings: Settings) -> str | None:
    """What the start-up log says about the REST channel's credentials, if anything."""
    if settings.rest_token is not None:
        return None
    if settings.env == "development":
        return (
            "REST channel open to anyone (development, no COMPLAINTBOT_REST_TOKEN): whoever "
            "knows a sender id can act as that customer; set the token before real use"
        )
    return (
        "REST channel closed: production without COMPLAINTBOT_REST_TOKEN answers 401 to "
        "every REST request; set the token to serve REST integrations"
    )
