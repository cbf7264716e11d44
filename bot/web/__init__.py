"""The gateway's HTTP surface: app factory, API, pages."""
