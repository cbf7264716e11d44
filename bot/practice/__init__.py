"""Practice mode for agents (模拟投诉): simulated customers built from the corpus."""
