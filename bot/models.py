"""Imports every table module so that `Base.metadata` knows the whole schema."""

from bot.agents.models import Agent, AgentSession
from bot.conversations.models import Conversation, InboundUpdate, Message
from bot.customers.models import Customer
from bot.handoff.models import AgentPresence, QueueClaim, QueueEntry
from bot.tickets.evidence import Evidence
from bot.tickets.models import Ticket, TicketCounter, TicketEvent

__all__ = [
    "Agent",
    "AgentSession",
    "AgentPresence",
    "Conversation",
    "Customer",
    "Evidence",
    "InboundUpdate",
    "Message",
    "QueueClaim",
    "QueueEntry",
    "Ticket",
    "TicketCounter",
    "TicketEvent",
]
