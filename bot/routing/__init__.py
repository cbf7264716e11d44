"""Routing: an inbound message is stored, then answered by the bot or the assigned agent."""
