"""Customer text posted to Telegram (the customer's chat, the agents' group) cannot turn into
markup: every message is sent as plain text, without parse_mode, so a complaint holding
`<b>` or `[link](...)` is shown as typed. A parse_mode added later must come with escaping
(html.escape, telegram.helpers.escape_markdown) and a change here."""

from __future__ import annotations

import re

from bot.paths import PROJECT_ROOT

PARSE_MODE = re.compile(r"parse_mode|ParseMode|DefaultValue.*parse|Defaults\(")


def test_no_telegram_message_is_sent_with_a_parse_mode():
    sources = sorted((PROJECT_ROOT / "bot").rglob("*.py"))
    assert any(path.name == "telegram_agents.py" for path in sources)  # the scan reads them
    found = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}"
        for path in sources
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if PARSE_MODE.search(line)
    ]
    assert found == []
