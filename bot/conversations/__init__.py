"""Conversations and the messages in them, stored before they are answered."""
