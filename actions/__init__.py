"""Rasa custom actions. Thin: they read the tracker, call bot.* services, answer by
response name so the wording stays in domain.yml."""

from bot.privacy import install_log_masking

# The action server configures its own logging before it imports this package (and again
# in each Sanic worker): mask phone numbers and e-mails on whatever handlers it set up.
# get_services() repeats this once for handlers added later; it is cheap and idempotent.
install_log_masking()
