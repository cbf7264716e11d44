"""Where SLA alerts go besides the console: a webhook, and a chat (the agents' Telegram group).

A notifier raises on failure; the monitor records the error and tries again later. The
chat notifier takes a send function, so the monitor never imports a channel.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol
from zoneinfo import ZoneInfo

import httpx

from bot.config import Settings
from bot.sla.alerts import AlertInfo

WEBHOOK_TIMEOUT = 10.0

SendText = Callable[[str], Awaitable[object]]


class DeliveryFailed(RuntimeError):
    """The target answered, but not with success."""


class Notifier(Protocol):
    target: str

    async def send(self, alert: AlertInfo) -> None: ...


class WebhookNotifier:
    """POSTs the alert as JSON; any 2xx answer counts as delivered."""

    target = "webhook"

    def __init__(
        self, url: str, *, client: httpx.AsyncClient | None = None, timeout: float = WEBHOOK_TIMEOUT
    ) -> None:
        self._url = url
        self._client = client
        self._timeout = timeout

    async def send(self, alert: AlertInfo) -> None:
        headers = {"Idempotency-Key": f"sla-alert-{alert.id}"}
        if self._client is not None:
            response = await self._client.post(
                self._url, json=alert.payload(), headers=headers, timeout=self._timeout
            )
        else:  # no shared client (a monitor outside the gateway): one for this request
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.post(self._url, json=alert.payload(), headers=headers)
        if not response.is_success:
            # The status only: the URL may carry a secret and must not reach the console.
            raise DeliveryFailed(f"HTTP {response.status_code}")


class ChatNotifier:
    """Sends the alert's one-line text through `send` (e.g. the Telegram agents' group)."""

    def __init__(self, target: str, send: SendText, *, zone: ZoneInfo) -> None:
        self.target = target
        self._send = send
        self._zone = zone

    async def send(self, alert: AlertInfo) -> None:
        await self._send(alert.text(self._zone))


def configured_notifiers(
    settings: Settings,
    *,
    zone: ZoneInfo,
    http: httpx.AsyncClient | None = None,
    telegram_send: SendText | None = None,
) -> Sequence[Notifier]:
    """The webhook when COMPLAINTBOT_ALERT_WEBHOOK is set; the Telegram agents' group when
    COMPLAINTBOT_TELEGRAM_AGENT_CHAT is set and a send function is given (the channel runs)."""
    notifiers: list[Notifier] = []
    if settings.alert_webhook is not None:
        notifiers.append(WebhookNotifier(settings.alert_webhook.get_secret_value(), client=http))
    if settings.telegram_agent_chat and telegram_send is not None:
        notifiers.append(ChatNotifier("telegram", telegram_send, zone=zone))
    return notifiers
