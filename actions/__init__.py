"""Rasa custom actions. Thin: they read the tracker, call bot.* services, answer by
response name so the wording stays in domain.yml."""
