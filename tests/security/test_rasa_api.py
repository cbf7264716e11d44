"""Rasa's HTTP API on the real stack: it listens on the loopback interface only (as do the
action server and, by default, the gateway), and its API refuses callers without its
token or with a wrong one while the gateway, which has it, is served.

Which addresses a process listens on is read from the kernel's socket tables
(/proc/net/tcp and tcp6), so nothing is sent to another interface.
"""

from __future__ import annotations

import ipaddress
import uuid
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.stack

LISTEN = "0A"


def _address(hex_address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """A /proc/net/tcp{,6} address: the bytes of each 32-bit word in host (little) order."""
    raw = bytes.fromhex(hex_address)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    if len(words) == 4:
        return ipaddress.IPv4Address(words)
    address = ipaddress.IPv6Address(words)
    return address.ipv4_mapped or address


def listening_addresses(port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            address, hex_port = local.rsplit(":", 1)
            if state == LISTEN and int(hex_port, 16) == port:
                found.append(_address(address))
    return found


def test_the_socket_table_reader_knows_loopback_from_any():
    assert _address("0100007F") == ipaddress.IPv4Address("127.0.0.1")
    assert _address("00000000") == ipaddress.IPv4Address("0.0.0.0")
    assert _address("00000000000000000000000001000000") == ipaddress.IPv6Address("::1")
    assert _address("0000000000000000FFFF00000100007F") == ipaddress.IPv4Address("127.0.0.1")


def test_rasa_the_action_server_and_the_gateway_listen_on_loopback_only(stack):
    settings = stack.settings
    for name, port in (("Rasa", settings.rasa_port), ("action server", settings.actions_port),
                       ("gateway", settings.port)):  # fmt: skip
        addresses = listening_addresses(port)
        assert addresses, f"nothing listens on the {name}'s port {port}"
        assert all(address.is_loopback for address in addresses), (name, addresses)


def test_rasa_refuses_its_api_without_the_token(stack):
    settings = stack.settings
    assert settings.rasa_token is not None
    token = settings.rasa_token.get_secret_value()
    base = f"http://127.0.0.1:{settings.rasa_port}"
    conversation = f"security-{uuid.uuid4().hex[:8]}"
    reads = [
        ("GET", "/status", None),
        ("GET", "/domain", None),
        ("GET", f"/conversations/{conversation}/tracker", None),
        ("POST", "/model/parse", {"text": "my parcel is late"}),
    ]
    writes = [
        ("POST", f"/conversations/{conversation}/tracker/events",
         [{"event": "slot", "name": "lang", "value": "en"}]),
        ("POST", f"/conversations/{conversation}/trigger_intent", {"name": "greet"}),
        ("POST", f"/conversations/{conversation}/messages", {"text": "hi", "sender": "user"}),
        ("PUT", "/model", {"model_file": "/etc/passwd"}),
        ("DELETE", "/model", None),
    ]  # fmt: skip
    wrong_tokens: list[dict[str, str] | None] = [None, {"token": ""}, {"token": token + "x"},
                                                 {"token": "changeme"}]  # fmt: skip
    # Rasa answers /domain in JSON or YAML as asked: 406 without an Accept header.
    with httpx.Client(base_url=base, timeout=30, headers={"Accept": "application/json"}) as client:
        for method, path, body in reads + writes:
            for params in wrong_tokens:
                answer = client.request(method, path, params=params, json=body)
                assert answer.status_code in (401, 403), (method, path, params, answer.text)
            # The token in a header instead of the query is not Rasa's scheme: refused too.
            answer = client.request(method, path, json=body,
                                    headers={"Authorization": f"Bearer {token}"})  # fmt: skip
            assert answer.status_code in (401, 403), (method, path, "bearer")
        for method, path, body in reads:
            answer = client.request(method, path, params={"token": token}, json=body)
            assert answer.status_code == 200, (method, path, answer.text)
        # Nothing of the refused writes reached the conversation.
        tracker = client.get(f"/conversations/{conversation}/tracker", params={"token": token})
        events = tracker.json()["events"]
        assert [e for e in events if e.get("event") == "user"] == []
