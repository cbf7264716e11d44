"""The chat widget in headless Chromium against the real stack (Rasa, actions, gateway)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from bot.agents.models import Agent
from bot.agents.service import create_agent
from bot.conversations.store import add_message, get_or_create_conversation
from bot.db import make_engine, make_session_factory, transaction

pytestmark = pytest.mark.stack

COMPLAINT = "my parcel never arrived, order JD0098812"
BOT_WAIT = 30_000  # ms: the first answer of a fresh Rasa can be slow
SESSION_KEY = "complaintbot.webchat.session"


@pytest.fixture
def page(browser, stack, request) -> Page:
    """A fresh browser profile (new localStorage, so a new chat session) per test."""
    locale = getattr(request, "param", "en-US")
    context = browser.new_context(locale=locale, base_url=stack.base_url)
    context.set_default_timeout(10_000)
    errors: list[str] = []
    tab = context.new_page()
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert errors == [], errors  # no script errors on the page, ours or the shop's


def open_chat(page: Page, bubble_name: str = "Chat with us") -> None:
    page.goto("/")
    page.get_by_role("button", name=bubble_name).click()
    expect(page.get_by_role("dialog")).to_be_visible()


def say(page: Page, text: str, label: str = "Your message") -> None:
    box = page.get_by_label(label)
    box.fill(text)
    box.press("Enter")


def bot_messages(page: Page):
    return page.locator(".cb-from-bot .cb-text")


def session_of(page: Page) -> str:
    return page.evaluate(f"localStorage.getItem('{SESSION_KEY}')")


def test_a_complaint_and_its_answer_survive_a_reload(page, stack):
    open_chat(page)
    expect(page.get_by_label("Your message")).to_be_focused()
    say(page, COMPLAINT)
    expect(page.locator(".cb-from-customer .cb-text")).to_have_text([COMPLAINT])
    # A delivery complaint with its order number: the bot goes on to what the customer wants.
    refund = page.get_by_role("button", name="Refund", exact=True)
    expect(refund).to_be_enabled(timeout=BOT_WAIT)
    expect(page.locator(".cb-typing")).to_be_hidden()
    answers = bot_messages(page).all_inner_texts()

    page.reload()
    # The panel stays open across the reload, and the conversation comes back from the server.
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(page.locator(".cb-from-customer .cb-text")).to_have_text([COMPLAINT])
    expect(bot_messages(page)).to_have_text(answers)
    expect(refund).to_be_enabled()  # still the open question
    history = httpx.get(
        f"{stack.base_url}/webchat/history", params={"session": session_of(page)}
    ).json()["messages"]
    assert [m["text"] for m in history][:1] == [COMPLAINT]


def test_markup_in_a_complaint_is_shown_as_text_and_never_runs(page):
    attack = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> broken kettle'
    open_chat(page)
    say(page, attack)
    expect(page.locator(".cb-from-customer .cb-text")).to_have_text([attack])
    expect(bot_messages(page).first).to_be_visible(timeout=BOT_WAIT)
    page.reload()
    expect(page.locator(".cb-from-customer .cb-text")).to_have_text([attack])
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator(".cb-log script, .cb-log img").count() == 0


def test_a_button_sends_its_payload_and_then_disables(page):
    open_chat(page)
    say(page, "I want to make a complaint")
    delivery = page.get_by_role("button", name="Delivery", exact=True)
    expect(delivery).to_be_enabled(timeout=BOT_WAIT)
    answered = bot_messages(page).count()
    delivery.click()
    expect(page.locator(".cb-from-customer .cb-text").last).to_have_text("Delivery")
    expect(delivery).to_be_disabled()
    expect(delivery).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="Billing", exact=True)).to_be_disabled()
    expect(bot_messages(page)).not_to_have_count(answered, timeout=BOT_WAIT)
    # The conversation moved on: the bot asks what happened, not for the category again.
    expect(page.get_by_role("button", name="Delivery", exact=True)).to_have_count(1)
    page.reload()  # in the history, the pressed button shows as its title, and stays disabled
    expect(page.locator(".cb-from-customer .cb-text").last).to_have_text("Delivery")
    expect(page.get_by_role("button", name="Delivery", exact=True)).to_be_disabled()


@pytest.mark.parametrize("page", ["zh-CN"], indirect=True)
def test_the_ui_speaks_chinese_to_a_chinese_browser(page):
    open_chat(page, bubble_name="联系客服")
    expect(page.get_by_role("dialog", name="在线客服")).to_be_visible()
    expect(page.get_by_role("button", name="发送")).to_be_visible()
    expect(page.get_by_role("button", name="关闭对话")).to_be_visible()
    box = page.get_by_label("您的消息")
    expect(box).to_have_attribute("placeholder", re.compile("问题"))
    say(page, "你好", label="您的消息")
    expect(bot_messages(page).first).to_have_text(re.compile(r"[\u4e00-\u9fff]"), timeout=BOT_WAIT)
    expect(page.locator(".cb-from-bot .cb-name").first).to_have_text("客服助手")


@pytest.fixture
def shop(stack) -> Iterator[str]:
    """A shop on an origin of its own whose page embeds the widget with one script tag."""
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Kettle shop</title>'
        '<link rel="icon" href="data:,"></head><body><h1>Kettles</h1>'
        f'<script src="{stack.base_url}/widget.js" data-lang="zh" data-title="小店客服" '
        'data-position="left" data-color="#8a2be2" data-open="true"></script>'
        "</body></html>"
    ).encode()

    class ShopPage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), ShopPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/kettles.html"
    server.shutdown()
    server.server_close()


def test_embedded_on_another_origin_with_data_attributes(page, shop):
    """The widget finds the gateway from its own script URL, wherever the page is."""
    page.goto(shop)
    expect(page.get_by_role("dialog", name="小店客服")).to_be_visible()  # data-open, data-title
    expect(page.locator(".cb-status")).to_have_text("在线")
    say(page, "我的快递丢了", label="您的消息")
    expect(bot_messages(page).first).to_be_visible(timeout=BOT_WAIT)
    box = page.locator(".cb-root").bounding_box()
    assert box is not None and box["x"] < 100  # data-position="left"
    accent = page.locator(".cb-send").evaluate("b => getComputedStyle(b).backgroundColor")
    assert accent == "rgb(138, 43, 226)"  # data-color


def test_a_dropped_connection_comes_back_and_sends_what_was_typed_meanwhile(page):
    routes = []

    def through(socket) -> None:  # a transparent proxy the test can cut
        routes.append((socket, socket.connect_to_server()))

    page.route_web_socket(re.compile(r"/webchat/ws"), through)
    open_chat(page)
    status = page.locator(".cb-status")
    expect(status).to_have_text("Online")

    def cut() -> None:
        browser_side, server_side = routes[-1]
        server_side.close()
        browser_side.close(code=1012, reason="gateway restarting")

    cut()
    expect(status).to_have_text("Connection lost, reconnecting…")
    expect(status).to_have_text("Online")  # the backoff's first retry comes within a second
    assert len(routes) == 2

    cut()
    say(page, "are you still there?")  # sent on the next connection, not lost
    expect(page.locator(".cb-from-customer .cb-text")).to_have_text(["are you still there?"])
    expect(bot_messages(page).first).to_be_visible(timeout=BOT_WAIT)
    expect(page.locator(".cb-from-customer")).to_have_count(1)  # once, not twice
    assert len(routes) == 3


def test_keyboard_only(page):
    page.goto("/")
    bubble = page.get_by_role("button", name="Chat with us")
    bubble.focus()
    page.keyboard.press("Enter")
    box = page.get_by_label("Your message")
    expect(box).to_be_focused()
    expect(bubble).to_have_attribute("aria-expanded", "true")

    page.keyboard.type("hello")
    page.keyboard.press("Shift+Enter")  # a new line, not a send
    page.keyboard.type("is anyone there?")
    expect(page.locator(".cb-from-customer")).to_have_count(0)
    page.keyboard.press("Enter")
    expect(page.locator(".cb-from-customer .cb-text")).to_have_text(["hello\nis anyone there?"])
    expect(box).to_have_value("")

    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(bubble).to_be_focused()
    expect(bubble).to_have_attribute("aria-expanded", "false")

    page.get_by_role("button", name="Open the customer service chat").click()  # the shop's link
    expect(page.get_by_role("dialog")).to_be_visible()


def test_an_agent_reply_sent_while_away_shows_unread_with_the_agents_name(page, stack):
    open_chat(page)
    say(page, "hello")
    expect(bot_messages(page).first).to_be_visible(timeout=BOT_WAIT)
    page.get_by_role("button", name="Close chat").click()
    session = session_of(page)
    page.close()  # the customer leaves; an agent answers meanwhile

    engine = make_engine(stack.settings.database_url)
    try:
        with transaction(make_session_factory(engine)) as db:
            now = datetime.now(UTC)
            if db.scalar(select(Agent).where(Agent.username == "li.na")) is None:
                create_agent(db, username="li.na", role="agent", display_name="专员李娜", now=now)
            conversation = get_or_create_conversation(
                db, channel="webchat", sender_id=session, now=now
            )
            add_message(
                db,
                conversation=conversation,
                direction="out",
                author="agent:li.na",
                text="I'm Li Na, I have your case.",
                now=now,
            )
    finally:
        engine.dispose()

    again = page.context.new_page()
    again.goto("/")
    bubble = again.get_by_role("button", name="Chat with us (1 new message)")
    expect(bubble).to_be_visible()
    bubble.click()
    agent = again.locator(".cb-from-agent")
    expect(agent.locator(".cb-name")).to_have_text("专员李娜")
    expect(agent.locator(".cb-text")).to_have_text("I'm Li Na, I have your case.")
    expect(again.get_by_role("button", name="Chat with us", exact=True)).to_be_visible()
