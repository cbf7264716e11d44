"""Tickets: the durable record of a complaint (models, numbering, SLA, rules, service)."""
