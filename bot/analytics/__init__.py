"""Complaint analytics: summary figures, early warnings and improvement actions (改进)."""
