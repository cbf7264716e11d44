"""Imports every table module so that `Base.metadata` knows the whole schema."""

from bot.agents.models import Agent, AgentSession
from bot.analytics.models import ImprovementAction
from bot.canned.models import CannedReplyVersion
from bot.channels.telegram_posts import TelegramPost
from bot.conversations.models import Conversation, InboundUpdate, Message
from bot.customers.models import Customer
from bot.handoff.models import AgentPresence, QueueClaim, QueueEntry
from bot.practice.models import PracticeSession
from bot.sla.models import AlertDelivery, Lease, SlaAlert
from bot.tickets.evidence import Evidence
from bot.tickets.models import Ticket, TicketCounter, TicketEvent

__all__ = [
    "Agent",
    "AgentSession",
    "AgentPresence",
    "AlertDelivery",
    "CannedReplyVersion",
    "Conversation",
    "Customer",
    "Evidence",
    "ImprovementAction",
    "InboundUpdate",
    "Lease",
    "Message",
    "PracticeSession",
    "QueueClaim",
    "QueueEntry",
    "SlaAlert",
    "TelegramPost",
    "Ticket",
    "TicketCounter",
    "TicketEvent",
]
