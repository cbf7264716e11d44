"""The console and the dashboard in Chinese, in headless Chromium against an in-process
gateway on a real database: every visible string comes from the zh-CN catalogue (a scan of
every visible text and label fails on any English word that is not data), the language
follows the browser until the agent chooses one and then follows the agent, the transcript
shows the buttons the customer saw and pressed, and the deadlines the console shows are
the ones the bot quoted to the customer. Screenshots of both pages in Chinese are written
to docs/screenshots/."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect
from sqlalchemy import insert, select

from bot.agents.passwords import set_password
from bot.agents.service import agent_locale, create_agent
from bot.analytics.models import ImprovementAction
from bot.conversations.store import add_message, get_or_create_conversation
from bot.db import transaction
from bot.i18n import format_deadline
from bot.paths import DEFAULT_REMEDY_POLICY, PROJECT_ROOT
from bot.tickets.models import Ticket
from bot.tickets.remedy_policy import load_remedy_policy
from bot.tickets.service import NewTicket, create_ticket
from bot.tickets.sla import load_policy
from bot.web.api_locale import catalogue

PASSWORD = "console password 1"
CUSTOMER = "rest-zh-7"
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 860}
# English that may show in a Chinese page because it is data or a name: ticket numbers,
# the agents' user names, currency codes, file formats, names (the switch's "English",
# Telegram).
ALLOWED = [
    r"\bCP-\d{8}-\d{4}\b",
    r"\b(?:xiaoli|wang)\b",
    r"\b(?:" + "|".join(load_remedy_policy(DEFAULT_REMEDY_POLICY).currencies) + r")\b",
    r"\bCSV\b",
    r"\bEnglish\b",
    r"\bTelegram\b",
    r"\bcomplaintbot\b",
    r"\{\w+\}",  # the canned replies' placeholders, as supervisors write them
]
COMPENSATION = '/inform{"desired_resolution": "compensation"}'

# Every text a person can see: visible text nodes, the options of visible selects, and
# the placeholder, aria-label and title of visible elements; with where each was found.
VISIBLE_TEXT = """
() => {
  const found = [];
  const shown = (el) => el && el.checkVisibility({ checkVisibilityCSS: true });
  const where = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.className && typeof el.className === "string" ? "." + el.className : "");
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const parent = node.parentElement;
    if (!node.textContent.trim() || !parent || parent.closest("option")) continue;
    if (shown(parent)) found.push([where(parent), node.textContent]);
  }
  for (const select of document.querySelectorAll("select")) {
    if (!shown(select)) continue;
    for (const option of select.options) found.push([where(select) + " option", option.text]);
  }
  for (const el of document.querySelectorAll("[placeholder], [aria-label], [title]")) {
    if (!shown(el)) continue;
    for (const name of ["placeholder", "aria-label", "title"]) {
      if (el.hasAttribute(name)) found.push([where(el) + "@" + name, el.getAttribute(name)]);
    }
  }
  found.push(["title", document.title]);
  return found;
}
"""


def english_left(page: Page) -> list[tuple[str, str]]:
    """(where, word) for every English word a person sees that is not allowed data."""
    left = []
    for where, text in page.evaluate(VISIBLE_TEXT):
        for pattern in ALLOWED:
            text = re.sub(pattern, " ", text)
        left += [(where, word) for word in re.findall(r"[A-Za-z]{2,}", text)]
    return left


@pytest.fixture
def gateway(offline_gateway):
    return offline_gateway("i18n.db")


def _people(app: FastAPI, now: datetime) -> None:
    with transaction(app.state.sessions) as session:
        for username, role, name in (
            ("xiaoli", "supervisor", "主管小李"),
            ("wang", "agent", "专员小王"),
        ):
            create_agent(session, username=username, role=role, display_name=name, now=now)
            set_password(session, username=username, password=PASSWORD)


def _queue_a_chinese_complaint(app: FastAPI, now: datetime) -> tuple[str, str]:
    """A Chinese customer's complaint waiting in the queue; in the transcript the bot
    offered buttons, the customer pressed one, and the bot quoted the deadline. Returns the
    ticket id and the deadline the bot quoted."""
    policy = load_policy(app.state.settings.sla_policy)

    def complaint(session: Any, category: str, description: str, when: datetime, **more: Any):
        new = NewTicket(channel="rest", sender_id=CUSTOMER, language="zh", category=category,
                        description=description, **more)  # fmt: skip
        return create_ticket(session, new=new, policy=policy, now=when)

    with transaction(app.state.sessions) as session:
        earlier = complaint(session, "delivery", "快递丢了", now - timedelta(days=3))
        earlier.status = "resolved"
        ticket = complaint(session, "safety", "烧水的时候电水壶漏电，手被电了一下", now,
                           product="电水壶", desired_resolution="compensation")  # fmt: skip
        ticket.status, ticket.severity = "escalated", "urgent"
        quoted = format_deadline(ticket.first_response_due, policy.timezone, "zh")
        conv = get_or_create_conversation(session, channel="rest", sender_id=CUSTOMER, now=now)
        said = [
            ("in", "customer", "电水壶漏电了", None),
            ("out", "bot", "您希望怎么处理？", [
                {"title": "退款", "payload": '/inform{"desired_resolution": "refund"}'},
                {"title": "赔偿", "payload": COMPENSATION},
            ]),
            # The widget's JSON spacing differs from the offered payload's; same button.
            ("in", "customer", '/inform{"desired_resolution":"compensation"}', None),
            ("out", "bot", "请确认提交投诉？", [
                {"title": "对，提交", "payload": "/affirm"},
                {"title": "不用了", "payload": "/deny"},
            ]),
            ("in", "customer", "/affirm", None),
            ("out", "bot", f"工单 {ticket.id} 已受理，专员会在 {quoted} 前联系您。", None),
        ]  # fmt: skip
        for direction, author, text, buttons in said:
            add_message(session, conversation=conv, direction=direction, author=author,
                        text=text, buttons=buttons, now=now, delivered=True)  # fmt: skip
        conv.owner = "queue"
        ticket_id, conv_id = ticket.id, conv.id
    app.state.queue.enqueue(ticket_id, conv_id, "urgent", now=now)
    return ticket_id, quoted


def _sign_in_zh(page: Page, path: str, username: str) -> None:
    page.goto(path)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def _screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path))
    return path


def test_the_default_locale_applies_when_the_browser_asks_for_neither(open_page, gateway):
    gateway.app.state.settings.default_locale = "zh-CN"  # COMPLAINTBOT_DEFAULT_LOCALE
    french = open_page(gateway.url, locale="fr-FR")
    french.goto("/dashboard")
    expect(french.locator("h1")).to_have_text("投诉数据看板")
    expect(french.locator("#login-title")).to_have_text("登录")
    english = open_page(gateway.url, locale="en-GB")  # the browser's language comes first
    english.goto("/dashboard")
    expect(english.locator("h1")).to_have_text("Complaints dashboard")


def test_the_scan_finds_a_forgotten_english_label(open_page, gateway):
    """The scan itself: an English word put into the Chinese page is found, in text, in an
    attribute and in an option; hidden ones and allowed data are not."""
    page = open_page(gateway.url, locale="zh-CN")
    page.goto("/console")
    expect(page.locator("h1")).to_have_text("坐席工作台")
    assert english_left(page) == []
    page.evaluate("""() => {
      document.getElementById("login-title").textContent = "Sign in";
      document.getElementById("login-username").placeholder = "your name";
      const option = document.createElement("option");
      option.textContent = "Everything";
      document.getElementById("locale-switch").appendChild(option);
      const hidden = document.createElement("p");
      hidden.hidden = true;
      hidden.textContent = "Hidden words";
      document.body.appendChild(hidden);
      document.getElementById("login-error").textContent = "CP-20261204-0001 · wang · CNY";
    }""")
    assert sorted(word for _where, word in english_left(page)) == [
        "Everything", "Sign", "in", "name", "your",
    ]  # fmt: skip


def test_the_console_in_chinese_shows_no_english_and_what_the_customer_saw(open_page, gateway):
    now = datetime.now(UTC)
    _people(gateway.app, now)
    ticket_id, quoted = _queue_a_chinese_complaint(gateway.app, now)
    zh = catalogue("zh-CN")

    # The browser speaks Chinese and the agent has not chosen: the sign-in is Chinese.
    page = open_page(gateway.url, locale="zh-CN", viewport=VIEWPORT)
    page.goto("/console")
    expect(page.locator("#login-title")).to_have_text(zh["login.title"])
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert english_left(page) == []

    _sign_in_zh(page, "/console", "xiaoli")
    expect(page.locator("#agent-name")).to_have_text("主管小李（主管）")
    row = page.locator("#queue li", has_text=ticket_id)
    expect(row.locator(".badge")).to_have_text("紧急")
    expect(row.locator(".summary")).to_have_text("安全 · 烧水的时候电水壶漏电，手被电了一下")
    assert english_left(page) == []

    page.get_by_role("button", name=f"领取 {ticket_id}").click()
    expect(page.locator("#queue li")).to_have_count(0)
    transcript = page.locator("#transcript")
    # Button presses show the title the customer pressed, marked as a button, never the
    # payload; the bot's messages show the buttons it offered.
    expect(transcript.locator("li.pressed .button-title")).to_have_text(["赔偿", "对，提交"])
    expect(transcript.locator("li.pressed .pressed-mark")).to_have_text(["按钮", "按钮"])
    expect(transcript.locator("li.from-bot").nth(0).locator(".offered-button")).to_have_text(
        ["退款", "赔偿"]
    )
    expect(transcript).not_to_contain_text("/inform")
    expect(transcript).not_to_contain_text("/affirm")

    # The deadline the bot quoted the customer is the console's, to the minute and zone.
    due = page.locator('#ticket-fields dd[data-field="first_response_due"]')
    expect(due).to_contain_text(quoted)
    # ... with how long until then beside it (urgent: 15 minutes from now).
    expect(due).to_have_text(re.compile(re.escape(quoted) + r" · 1[45]\s?分钟后$"))
    expect(page.locator('#ticket-fields dd[data-field="severity"]')).to_have_text("紧急")
    expect(page.locator('#ticket-fields dd[data-field="desired_resolution"]')).to_have_text("赔偿")
    expect(page.locator("#earlier li")).to_contain_text("物流配送 · 已解决 · 未评分")
    expect(page.locator("#emotion-note")).to_have_text(zh["emotion.rasa_down"])
    expect(page.locator("#remedy-state")).to_have_text(zh["remedy.none"])

    # A canned reply in the customer's language quotes the deadline as the bot does.
    page.get_by_label("快捷回复").select_option("plan")
    page.get_by_role("button", name="插入").click()
    zone = load_policy(gateway.app.state.settings.sla_policy).timezone
    with gateway.app.state.sessions() as session:
        ticket = session.get(Ticket, ticket_id)
        resolution_quote = format_deadline(ticket.resolution_due, zone, "zh")
    expect(page.get_by_label("发给客户的消息")).to_have_value(
        re.compile(re.escape(resolution_quote))
    )
    # The supervisor edits a canned reply in the console; the agent's next insert has it.
    page.get_by_text(zh["canned.edit_heading"]).click()
    page.get_by_label(zh["canned.edit_pick"]).select_option("empathy")
    expect(page.get_by_label(zh["canned.edit_text"])).to_have_value(re.compile("非常抱歉"))
    page.get_by_label(zh["canned.edit_text"]).fill("{customer}您好，真的非常抱歉，让您受惊了。")
    page.get_by_role("button", name=zh["canned.save"]).click()
    expect(page.locator("#canned-edit-status")).to_have_text(zh["canned.saved"].format(version=1))
    assert english_left(page) == []
    page.get_by_label("快捷回复").select_option("empathy")
    page.get_by_label("发给客户的消息").fill("")
    page.get_by_role("button", name="插入").click()
    expect(page.get_by_label("发给客户的消息")).to_have_value("您好，真的非常抱歉，让您受惊了。")
    page.get_by_label("发给客户的消息").fill("非常抱歉，我们马上处理。")
    page.get_by_role("button", name="发送", exact=True).click()
    expect(transcript.locator("li.from-agent .text")).to_have_text(["非常抱歉，我们马上处理。"])
    assert english_left(page) == []
    shot = _screenshot(page, "console-zh-CN.png")
    assert shot.stat().st_size > 10_000

    # One switch: English now, the same deadline in the bot's English form; remembered.
    page.locator("#locale-switch").select_option("en")
    expect(page.locator("h1")).to_have_text("Agent console")
    expect(page.locator("#agent-name")).to_have_text("主管小李 (supervisor)")
    expect(transcript.locator("li.pressed .pressed-mark")).to_have_text(["Button", "Button"])
    with gateway.app.state.sessions() as session:
        ticket = session.get(Ticket, ticket_id)
        english_quote = format_deadline(ticket.first_response_due, zone, "en")
    expect(due).to_contain_text(english_quote)
    _wait_for_locale(gateway.app, "xiaoli", "en")
    page.locator("#locale-switch").select_option("zh-CN")
    expect(page.locator("h1")).to_have_text("坐席工作台")
    _wait_for_locale(gateway.app, "xiaoli", "zh-CN")

    page.get_by_label("处理结果").fill("已赔偿并召回电水壶。")
    page.get_by_role("button", name="结案").click()
    expect(page.locator("#ticket-status")).to_have_text(zh["resolve.done"].format(status="已解决"))
    assert english_left(page) == []

    # Another browser, in English: the agent's own choice wins once signed in.
    other = open_page(gateway.url, locale="en-US")
    other.goto("/console")
    expect(other.locator("#login-title")).to_have_text("Sign in")
    other.get_by_label("Username").fill("xiaoli")
    other.get_by_label("Password").fill(PASSWORD)
    other.get_by_role("button", name="Sign in").click()
    expect(other.locator("#agent-name")).to_have_text("主管小李（主管）")
    expect(other.locator("#login-title")).to_be_hidden()
    expect(other.locator("h1")).to_have_text("坐席工作台")


def _wait_for_locale(app: FastAPI, username: str, locale: str) -> None:
    """Polls until the switch's save reached the database (it is sent in the background)."""
    deadline = datetime.now(UTC) + timedelta(seconds=10)
    while True:
        with app.state.sessions() as session:
            if agent_locale(session, username) == locale:
                return
        assert datetime.now(UTC) < deadline, f"{username}'s locale never became {locale}"
        time.sleep(0.05)


def _dashboard_data(app: FastAPI, now: datetime) -> None:
    from analytics.conftest import ticket_row

    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = [
        ticket_row(number, today - timedelta(days=1 + number % 10, hours=-3),
                   category=("product_quality", "delivery", "safety")[number % 3],
                   severity=("general", "major", "urgent")[number % 3],
                   channel=("rest", "webchat", "telegram")[number % 3],
                   product=("电水壶", "电风扇", None)[number % 3], language="zh",
                   csat=(None, 3, 5)[number % 3], validity=(None, "valid", "invalid")[number % 3],
                   first_responded_at=today - timedelta(days=1 + number % 10, hours=-4))
        for number in range(1, 31)
    ]  # fmt: skip
    with transaction(app.state.sessions) as session:
        session.execute(insert(Ticket), rows)


def test_the_dashboard_in_chinese_shows_no_english(open_page, gateway):
    now = datetime.now(UTC)
    _people(gateway.app, now)
    _dashboard_data(gateway.app, now)
    zh = catalogue("zh-CN")
    page = open_page(gateway.url, locale="zh-CN", viewport=VIEWPORT)
    _sign_in_zh(page, "/dashboard", "xiaoli")
    expect(page.locator("#board[data-ready]")).to_have_count(1)
    expect(page.locator("#status")).to_have_text(zh["dashboard.status_total"].format(n=30))
    expect(page.locator("#f-category option[value=safety]")).to_have_text("安全")
    labels = page.evaluate(
        "() => Chart.getChart(document.getElementById('chart-severity')).data.labels"
    )
    assert sorted(labels) == sorted(["一般", "重大", "紧急"])
    assert english_left(page) == []
    shot = _screenshot(page, "dashboard-zh-CN.png")
    assert shot.stat().st_size > 10_000

    page.locator("#causes button").first.click()
    expect(page.locator("#drill-title")).to_contain_text("工单：")
    expect(page.locator("#drill-rows tr").first).to_be_visible()
    assert english_left(page) == []

    # An agent is turned away in Chinese too.
    agent = open_page(gateway.url, locale="zh-CN")
    _sign_in_zh(agent, "/dashboard", "wang")
    expect(agent.locator("#denied h2")).to_have_text(zh["dashboard.denied_title"])
    expect(agent.locator("#denied-text")).to_contain_text("wang（客服专员）")
    assert english_left(agent) == []


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_a_supervisor_filters_drills_down_plans_an_action_and_finds_any_ticket(
    open_page, gateway, locale
):
    """The dashboard's supervisor work in either language, the browser's: filter, drill
    down, plan an improvement action from a root cause and update it, search all tickets
    and open one in the console."""
    now = datetime.now(UTC)
    _people(gateway.app, now)
    _dashboard_data(gateway.app, now)
    words = catalogue(locale)
    page = open_page(gateway.url, locale=locale, viewport=VIEWPORT)
    page.goto("/dashboard")
    page.get_by_label(words["login.username"]).fill("xiaoli")
    page.get_by_label(words["login.password"]).fill(PASSWORD)
    page.get_by_role("button", name=words["login.submit"]).click()
    expect(page.locator("#board[data-ready]")).to_have_count(1)
    expect(page.locator("#status")).to_have_text(words["dashboard.status_total"].format(n=30))

    # Filter: one category.
    page.locator("#f-category").select_option("safety")
    page.get_by_role("button", name=words["filters.apply"]).click()
    expect(page.locator("#status")).to_have_text(words["dashboard.status_total"].format(n=10))
    page.locator("#f-category").select_option("")
    page.get_by_role("button", name=words["filters.apply"]).click()
    expect(page.locator("#status")).to_have_text(words["dashboard.status_total"].format(n=30))

    # Drill down from a root cause: its ten tickets.
    cause = words["category.product_quality"] + " × 电水壶"
    page.get_by_role("button", name=words["causes.tickets_for"].format(cause=cause)).click()
    expect(page.locator("#drill-title")).to_have_text(words["drill.title_for"].format(title=cause))
    expect(page.locator("#drill-rows tr")).to_have_count(10)

    # Plan an improvement action from that root cause, then mark it done.
    page.get_by_role("button", name=words["actions.plan_aria"].format(cause=cause)).click()
    expect(page.locator("#action-form-title")).to_have_text(
        words["actions.form_new"].format(cause=cause)
    )
    page.get_by_label(words["actions.field_title"], exact=True).fill("电水壶加装漏电保护")
    page.get_by_role("button", name=words["actions.save"]).click()
    row = page.locator("#actions tr", has_text="电水壶加装漏电保护")
    expect(row).to_contain_text(words["action_status.planned"])
    expect(page.locator("#action-box")).to_be_hidden()
    with gateway.app.state.sessions() as session:
        [action] = session.scalars(select(ImprovementAction)).all()
        assert (action.category, action.product, action.owner, action.created_by) == (
            "product_quality", "电水壶", "xiaoli", "agent:xiaoli",
        )  # fmt: skip
    page.get_by_role(
        "button", name=words["actions.edit_aria"].format(title="电水壶加装漏电保护")
    ).click()
    page.get_by_label(words["actions.field_status"]).select_option("done")
    page.get_by_role("button", name=words["actions.save"]).click()
    expect(row).to_contain_text(words["action_status.done"])
    with gateway.app.state.sessions() as session:
        assert session.scalars(select(ImprovementAction.status)).all() == ["done"]
    if locale == "zh-CN":
        assert english_left(page) == []

    # All tickets: full-text search and a filter; any ticket opens in the console.
    page.get_by_label(words["all.search"], exact=True).fill("电风扇")
    page.get_by_role("button", name=words["all.submit"]).click()
    expect(page.locator("#all-rows tr")).to_have_count(10)
    expect(page.locator("#all-count")).to_have_text(words["drill.count"].format(n=10))
    page.locator("#all-severity").select_option("major")
    page.get_by_role("button", name=words["all.submit"]).click()
    expect(page.locator("#all-rows tr")).to_have_count(10)  # n % 3 == 1: delivery and major
    page.get_by_label(words["all.search"], exact=True).fill("电水壶")
    page.get_by_role("button", name=words["all.submit"]).click()
    expect(page.locator("#all-count")).to_have_text(words["drill.count"].format(n=0))
    page.locator("#all-severity").select_option("")
    page.get_by_role("button", name=words["all.submit"]).click()
    first = page.locator("#all-rows a").first
    ticket_id = first.text_content()
    if locale == "zh-CN":
        assert english_left(page) == []
    first.click()
    expect(page).to_have_url(re.compile(r"/console#ticket="))
    expect(page.locator("#ticket-fields dd[data-field=id]")).to_have_text(ticket_id)


def test_relative_times_move_on_with_the_clock(open_page, gateway):
    """The transcript's and the deadlines' relative times follow the page's clock (driven
    here: five minutes pass in an instant)."""
    now = datetime.now(UTC)
    _people(gateway.app, now)
    ticket_id, quoted = _queue_a_chinese_complaint(gateway.app, now)
    page = open_page(gateway.url, locale="zh-CN")
    page.clock.install(time=now)
    _sign_in_zh(page, "/console", "xiaoli")
    page.get_by_role("button", name=f"领取 {ticket_id}").click()
    first = page.locator("#transcript li .when").first
    due = page.locator('#ticket-fields dd[data-field="first_response_due"]')
    expect(due).to_have_text(f"{quoted} · 15分钟后")
    page.clock.fast_forward("05:00")
    expect(first).to_have_text(re.compile(r" · 5分钟前$"))
    expect(due).to_have_text(f"{quoted} · 10分钟后")
