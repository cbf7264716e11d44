"""Agents: the people (and their roles and API tokens) who work the tickets."""
