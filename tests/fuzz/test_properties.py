"""Properties of the pure parts that read what customers (and the internet) send: any input
gives a sane answer, never an exception. Bounded example counts, derandomised, so they run in
`make test` in a few seconds."""

from __future__ import annotations

import json
import logging
import re
from ipaddress import ip_network

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.channels.limits import RateLimiter, client_ip
from bot.channels.telegram import COMMANDS, MAX_CALLBACK_DATA, command_payload, keyboard, split_text
from bot.channels.webchat import FrameError, parse_frame
from bot.conversations.keys import conversation_key
from bot.privacy import PiiMaskingFilter, mask_pii
from bot.routing.router import _CONTROL, _PAYLOAD, clean_text, safe_for_rasa

bounded = settings(max_examples=100, deadline=None, derandomize=True, database=None)
# Every Unicode category, surrogates and control characters included.
any_text = st.text(st.characters(codec=None), max_size=300)
INTENTS = frozenset({"affirm", "deny", "inform", "request_human", "rate_service"})


@bounded
@given(channel=st.sampled_from(["rest", "telegram", "webchat"]), sender=any_text)
@example(channel="rest", sender="cust-1\n")  # found by review: "$" matched before "\n"
@example(channel="rest", sender="\ud800")
def test_conversation_keys_are_url_path_safe_and_stable(channel, sender):
    key = conversation_key(channel, sender)
    assert key == conversation_key(channel, sender)
    prefix, _, rest = key.partition(":")
    assert prefix == channel
    assert re.fullmatch(r"~?[A-Za-z0-9_.@+\-]{1,160}", rest), key


@bounded
@given(a=any_text, b=any_text)
def test_different_senders_get_different_keys(a, b):
    if a != b:
        assert conversation_key("rest", a) != conversation_key("rest", b)


phones = st.from_regex(r"1[3-9]\d{9}", fullmatch=True) | st.from_regex(
    r"\+44 7\d{3} \d{6}", fullmatch=True
)
emails = st.from_regex(r"[a-z]{2,10}\.[a-z]{2,8}@[a-z]{3,10}\.(com|cn|org)", fullmatch=True)
words = st.text(st.characters(codec="utf-8", exclude_categories=["Nd"]), max_size=40)


@bounded
@given(before=words, secret=phones | emails, after=words)
def test_masking_hides_phones_and_emails_in_any_surrounding_text(before, secret, after):
    masked = mask_pii(f"{before} {secret} {after}")
    assert secret not in masked
    assert mask_pii(masked) == masked  # masking is stable: a masked line stays as it is


@bounded
@given(msg=any_text, args=st.lists(any_text | st.integers() | st.none(), max_size=3))
def test_the_log_filter_never_loses_or_breaks_a_record(msg, args):
    record = logging.LogRecord("x", logging.INFO, __file__, 1, msg, tuple(args), None)
    assert PiiMaskingFilter().filter(record)
    assert isinstance(record.getMessage(), str)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=10,
)
frame_texts = st.one_of(
    any_text,
    json_values.map(json.dumps),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["message", "button", "ping"]) | json_values},
        optional={"text": json_values, "payload": json_values, "id": json_values},
    ).map(json.dumps),
)


@bounded
@given(raw=frame_texts.map(lambda text: {"text": text}) | st.binary().map(lambda b: {"bytes": b}))
def test_a_webchat_frame_is_read_or_refused_with_a_frame_error(raw):
    try:
        frame = parse_frame(raw)
    except FrameError as error:
        assert error.code and str(error)
        json.dumps(error.frame(), ensure_ascii=False).encode("utf-8")  # sendable
        return
    assert frame["type"] in ("message", "button", "ping")
    json.dumps(frame, ensure_ascii=False).encode("utf-8")  # storable and sendable


@bounded
@given(raw=any_text)
def test_clean_text_is_printable_storable_and_stable(raw):
    text = clean_text(raw)
    assert not _CONTROL.search(text)
    assert text == text.strip() and clean_text(text) == text
    text.encode("utf-8")  # no lone surrogates
    if text:
        assert any(not ch.isspace() for ch in text)


@bounded
@given(text=any_text | st.from_regex(r"/[a-z_]{2,12}(\{.{0,30}\})?", fullmatch=True))
def test_only_known_button_payloads_reach_rasa_as_commands(text):
    sent = safe_for_rasa(text, INTENTS)
    if sent.startswith("/"):
        match = _PAYLOAD.match(sent)
        assert match and match.group(1) in INTENTS and sent == text
    else:
        assert sent == text or sent == "\uff0f" + text[1:]


@bounded
@given(text=any_text, limit=st.integers(min_value=2, max_value=200))
def test_telegram_pieces_fit_and_lose_no_visible_character(text, limit):
    pieces = split_text(text, limit)
    assert all(len(p.encode("utf-16-le", "surrogatepass")) // 2 <= limit for p in pieces)
    assert "".join("".join(p.split()) for p in pieces) == "".join(text.split())


@bounded
@given(text=any_text)
def test_telegram_commands_map_onto_known_payloads_only(text):
    assert command_payload(text) in {None, *COMMANDS.values()}


buttons = st.lists(
    st.dictionaries(st.sampled_from(["title", "payload", "other"]), json_values, max_size=3),
    max_size=5,
)


@bounded
@given(buttons=buttons)
def test_telegram_keyboards_keep_callback_data_within_telegram_limits(buttons):
    markup = keyboard(buttons)
    rows = markup.inline_keyboard if markup is not None else ()
    for (button,) in rows:
        assert button.text
        assert len(str(button.callback_data).encode("utf-8")) <= MAX_CALLBACK_DATA


addresses = st.ip_addresses().map(str)
hops = st.lists(addresses | any_text, max_size=4).map(", ".join)


@bounded
@given(peer=addresses, forwarded=hops | st.none())
def test_an_untrusted_peer_is_the_client_whatever_it_forwards(peer, forwarded):
    assert client_ip(peer, forwarded, []) == peer


@bounded
@given(client=addresses, forwarded=hops)
def test_behind_a_trusted_proxy_the_client_is_never_a_trusted_hop_it_did_not_name(
    client, forwarded
):
    proxy = "10.9.8.7"
    header = f"{forwarded}, {client}" if forwarded else client
    found = client_ip(proxy, header, [ip_network("10.0.0.0/8")])
    if not client.startswith("10."):
        assert found == client  # the hop the trusted proxy saw


@bounded
@given(
    gaps=st.lists(st.floats(min_value=0, max_value=30, allow_nan=False), max_size=60),
    limit=st.integers(min_value=1, max_value=8),
)
def test_the_sliding_window_never_admits_more_than_the_limit_in_a_minute(gaps, limit):
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    accepted: list[float] = []
    for gap in gaps:
        now[0] += gap
        refusal = limiter.hit([("k", limit, "messages")])
        if refusal is None:
            accepted.append(now[0])
        else:
            assert 1 <= refusal.retry_after <= 60
            now[0] += refusal.retry_after  # waiting as told is always enough
            assert limiter.hit([("k", limit, "messages")]) is None
            accepted.append(now[0])
    for i, start in enumerate(accepted):
        assert len([t for t in accepted[i:] if round(t - start, 6) < 60]) <= limit
