"""Imports every table module so that `Base.metadata` knows the whole schema."""

from bot.conversations.models import Conversation, Message
from bot.tickets.models import Ticket, TicketCounter, TicketEvent

__all__ = ["Conversation", "Message", "Ticket", "TicketCounter", "TicketEvent"]
