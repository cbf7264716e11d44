"""complaintbot gateway package.

Kept import-free: `bot.nlu` is also imported by the Rasa pipeline, which runs in its
own Python 3.10 environment without the gateway's dependencies.
"""
