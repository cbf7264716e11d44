"""Load benchmark of the gateway against raw Rasa, scale-out measurement and soak
(`python -m bench --help`; docs/PERFORMANCE.md)."""
