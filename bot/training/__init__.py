"""Trainers' tools: what the bot did not understand, ready to label and add to data/nlu/."""
