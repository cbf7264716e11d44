"""Pure-Python language understanding helpers (language, emotion, structured entities).

Standard library only and Python 3.10 compatible: the Rasa pipeline (Python 3.10 venv)
imports these through `bot.nlu.rasa_components`, and the app imports them directly.
"""
