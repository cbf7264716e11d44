"""Customers: one row per channel identity, with contact details; forgetting one."""
