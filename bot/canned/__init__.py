"""Canned replies for agents: FEP-structured texts per customer language, shipped as YAML
files in bot/canned/replies/, edited by supervisors in the console (every version kept)."""
