"""The console's and dashboard's languages: both catalogues hold the same keys with text in
each, every key the pages use exists, every code the server sends has a label; the locale
API serves the catalogues and the SLA zone and remembers each agent's choice (SQLite and
PostgreSQL)."""

from __future__ import annotations

import json
import re

import pytest

from bot.agents.service import LOCALES, agent_locale
from bot.analytics.models import ACTION_STATUSES
from bot.canned.service import PARTS
from bot.i18n import RESOLUTION_LABELS
from bot.tickets.models import (
    CATEGORIES,
    CHANNELS,
    EMOTION_LEVELS,
    MOTIVES,
    SEVERITIES,
    STATUSES,
    VALIDITIES,
)
from bot.tickets.remedy_policy import REMEDY_TYPES
from bot.web.api_locale import CATALOGUE_DIR
from bot.web.widget import STATIC_DIR

PAGES = ("console.html", "console.js", "dashboard.html", "dashboard.js", "i18n.js")
# A string literal that is a message key ("queue.claim_aria", "alerts.badge_spike").
KEY_LITERAL = re.compile(r"""["']([a-z][a-z_]*\.[a-z][a-z0-9_-]*)["']""")
# Literals of that shape that are not keys.
NOT_KEYS = {"i18n.js", "console.js", "dashboard.js", "console.css", "dashboard.css"}
# Keys the scripts build from a code: "<family>." + a value the server sends.
FAMILIES = {
    "severity": SEVERITIES,
    "status": STATUSES,
    "category": CATEGORIES,
    "channel": CHANNELS,
    "emotion": EMOTION_LEVELS,
    "motive": MOTIVES,
    "validity": VALIDITIES,
    "resolution": tuple(RESOLUTION_LABELS),
    "remedy_type": REMEDY_TYPES,
    "action_status": ACTION_STATUSES,
    "role": ("agent", "supervisor", "admin"),
    "language": ("en", "zh"),
    "alert_kind": ("warning", "breach", "spike", "cluster"),
    "deadline": ("first_response", "resolution"),
    "dimension": ("category", "product"),
    "switch": LOCALES,
    "canned_part": PARTS,
    "alert_badge": ("spike", "cluster", "breach", "warning"),
}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _catalogue(locale: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((CATALOGUE_DIR / f"{locale}.json").read_text("utf-8"))
    return data


def _used_keys() -> set[str]:
    used: set[str] = set()
    for name in PAGES:
        source = (STATIC_DIR / name).read_text("utf-8")
        used |= set(re.findall(r'data-i18n(?:-title)?="([^"]+)"', source))
        for pairs in re.findall(r'data-i18n-attr="([^"]+)"', source):
            used |= {pair.split(":", 1)[1].strip() for pair in pairs.split(";")}
        used |= set(KEY_LITERAL.findall(source)) - NOT_KEYS
    return used


def test_both_catalogues_have_the_same_keys_and_no_empty_text():
    catalogues = {locale: _catalogue(locale) for locale in LOCALES}
    assert set(catalogues["en"]) == set(catalogues["zh-CN"])
    for locale, messages in catalogues.items():
        empty = [key for key, text in messages.items() if not isinstance(text, str) or not text]
        assert empty == [], (locale, empty)


def test_translations_keep_the_placeholders():
    english, chinese = _catalogue("en"), _catalogue("zh-CN")
    differ = {
        key: (text, chinese[key])
        for key, text in english.items()
        if key != "time.format"
        and set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(chinese[key]))
    }
    assert differ == {}


def test_every_key_the_pages_use_is_in_the_catalogue():
    used = _used_keys()
    assert len(used) > 150  # the extraction finds the pages' keys at all
    missing = sorted(used - set(_catalogue("en")))
    assert missing == []


def test_every_code_the_server_sends_has_a_label():
    english = _catalogue("en")
    missing = [
        f"{family}.{code}"
        for family, codes in FAMILIES.items()
        for code in codes
        if f"{family}.{code}" not in english
    ]
    assert missing == []


def test_the_chinese_catalogue_is_chinese():
    """No English word is left in a Chinese message (placeholders aside) but names: the
    language switch's "English", CSV, Telegram, the product's own name."""
    allowed = {"English", "CSV", "Telegram", "complaintbot"}
    english = {
        key: words
        for key, text in _catalogue("zh-CN").items()
        if (words := set(re.findall(r"[A-Za-z]{2,}", PLACEHOLDER.sub("", text))) - allowed)
    }
    assert english == {}


def test_the_locales_endpoint_serves_both_catalogues_and_the_policy_zone(client):
    answer = client.get("/api/console/locales")
    assert answer.status_code == 200
    found = answer.json()
    assert found["default_locale"] == "en"
    assert found["locales"] == ["en", "zh-CN"]
    assert found["timezone"] == {"id": "Asia/Shanghai", "name_zh": "北京时间"}
    assert found["catalogues"]["zh-CN"]["queue.claim"] == "领取"
    assert found["catalogues"]["en"]["queue.claim"] == "Claim"


def test_an_agent_chooses_a_language_and_keeps_it(client, db, tokens):
    alice, bob = tokens["alice"], tokens["bob"]
    assert client.get("/api/console/me", headers=alice).json()["locale"] is None
    answer = client.put("/api/console/me/locale", json={"locale": "zh-CN"}, headers=alice)
    assert answer.status_code == 200
    assert answer.json() == {"locale": "zh-CN"}
    assert client.get("/api/console/me", headers=alice).json()["locale"] == "zh-CN"
    assert client.get("/api/console/me", headers=bob).json()["locale"] is None
    with db() as session:
        assert agent_locale(session, "alice") == "zh-CN"
    client.put("/api/console/me/locale", json={"locale": "en"}, headers=alice)
    assert client.get("/api/console/me", headers=alice).json()["locale"] == "en"


@pytest.mark.parametrize(
    "body", [{"locale": "fr"}, {"locale": ""}, {"locale": None}, {}, {"locale": "en", "x": 1}]
)
def test_an_unknown_locale_is_refused(client, tokens, body):
    answer = client.put("/api/console/me/locale", json=body, headers=tokens["alice"])
    assert answer.status_code == 422
    assert client.get("/api/console/me", headers=tokens["alice"]).json()["locale"] is None


def test_choosing_a_language_needs_a_signed_in_person(client, tokens):
    assert client.put("/api/console/me/locale", json={"locale": "en"}).status_code == 401
    answer = client.put("/api/console/me/locale", json={"locale": "en"}, headers=tokens["service"])
    assert answer.status_code == 401


def test_the_default_locale_is_a_setting(tmp_path):
    from bot.config import load_settings

    assert load_settings(_env_file=None, default_locale="zh-CN").default_locale == "zh-CN"
    with pytest.raises(ValueError):
        load_settings(_env_file=None, default_locale="de")


@pytest.mark.parametrize("path", ["/console/i18n.js", "/dashboard/i18n.js"])
def test_both_pages_load_the_one_language_script(client, path):
    answer = client.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    assert b"/api/console/locales" in answer.content
    page = "/console" if path.startswith("/console") else "/dashboard"
    assert f'<script src="{path}" defer></script>'.encode() in client.get(page).content
