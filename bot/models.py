"""Imports every table module so that `Base.metadata` knows the whole schema."""

from bot.agents.models import Agent
from bot.conversations.models import Conversation, InboundUpdate, Message
from bot.customers.models import Customer
from bot.tickets.evidence import Evidence
from bot.tickets.models import Ticket, TicketCounter, TicketEvent

__all__ = [
    "Agent",
    "Conversation",
    "Customer",
    "Evidence",
    "InboundUpdate",
    "Message",
    "Ticket",
    "TicketCounter",
    "TicketEvent",
]
