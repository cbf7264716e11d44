"""The SLA monitor: deadline warnings and breach alerts (sent once), escalation of breached
tickets, closing of resolved tickets the customer never rated."""
