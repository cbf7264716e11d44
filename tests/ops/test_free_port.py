"""free_port(): the ports the tests' servers bind seconds after they are chosen."""

from __future__ import annotations

import socket

from bot import stack
from bot.stack import free_port


def test_free_port_never_repeats_and_stays_out_of_the_ephemeral_range():
    low = stack._ephemeral_low()
    ports = [free_port() for _ in range(500)]
    assert len(set(ports)) == len(ports)
    assert all(1024 <= port < 65536 for port in ports)
    if low - stack._LOWEST_PORT >= 1000:
        # Outgoing connections take their local port from [low, high]: none can take these.
        assert all(stack._LOWEST_PORT <= port < low for port in ports)


def test_free_port_skips_a_port_something_listens_on(monkeypatch):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        busy = taken.getsockname()[1]
        others = [port for port in range(1025, 65536) if port != busy]
        choices = iter([busy, *others])
        monkeypatch.setattr(stack, "_LOWEST_PORT", 1024)
        monkeypatch.setattr(stack, "_ephemeral_low", lambda: 65536)
        monkeypatch.setattr(stack.random, "randrange", lambda _a, _b: next(choices))
        port = free_port()
    assert port != busy
    assert port in others
