"""The gateway's SLA monitor: built from the app's parts at start-up, a background task
until shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

import anyio
from fastapi import FastAPI

from bot.analytics.warnings import EarlyWarnings
from bot.clock import utcnow
from bot.sla.monitor import SlaMonitor
from bot.sla.notify import SendText, configured_notifiers
from bot.tickets.sla import SlaPolicy

logger = logging.getLogger(__name__)


def _telegram_send(app: FastAPI) -> SendText | None:
    """Sends to the agents' group through the running Telegram channel, if there is one."""
    channel = app.state.telegram
    chat = app.state.settings.telegram_agent_chat
    if channel is None or not chat:
        return None

    async def send(text: str) -> object:
        return await channel.application.bot.send_message(chat_id=chat, text=text)

    return send


def start_sla_monitor(app: FastAPI, policy: SlaPolicy) -> None:
    """Builds `app.state.sla_monitor` and starts it (unless COMPLAINTBOT_SLA_MONITOR_INTERVAL
    is 0). Its clock is the app's (`app.state.clock`, which tests set)."""
    settings = app.state.settings

    def clock() -> datetime:
        return getattr(app.state, "clock", utcnow)()

    monitor = SlaMonitor(
        app.state.sessions,
        settings,
        clock=clock,
        notifiers=configured_notifiers(
            settings, zone=policy.timezone, http=app.state.http, telegram_send=_telegram_send(app)
        ),
        queue=app.state.queue,
        policy=policy,
        # Complaint spikes and minor-complaint clusters go out through the same channels.
        early_warnings=EarlyWarnings(app.state.sessions),
    )
    app.state.sla_monitor = monitor
    app.state.sla_monitor_task = None
    if settings.sla_monitor_interval > 0:
        app.state.sla_monitor_task = asyncio.create_task(
            monitor.run_forever(settings.sla_monitor_interval), name="sla-monitor"
        )
        logger.info(
            "SLA monitor every %g s, alerts to the console%s",
            settings.sla_monitor_interval,
            "".join(f", {target}" for target in monitor.targets),
        )


async def stop_sla_monitor(app: FastAPI) -> None:
    task = getattr(app.state, "sla_monitor_task", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    monitor = getattr(app.state, "sla_monitor", None)
    if monitor is not None:
        await anyio.to_thread.run_sync(monitor.close)
