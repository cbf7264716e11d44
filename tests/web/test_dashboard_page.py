"""The dashboard page, its files and the vendored Chart.js: content types, the same strict
CSP as the console, and the filter lists kept in step with the ticket model."""

from __future__ import annotations

import re

import pytest

from bot.tickets.models import CATEGORIES, CHANNELS
from bot.web.widget import STATIC_DIR

CSP = (
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


@pytest.mark.parametrize(
    ("path", "content_type", "marker"),
    [
        ("/dashboard", "text/html; charset=utf-8", b'<script src="/dashboard/vendor/chart.umd.js"'),
        ("/dashboard/dashboard.js", "text/javascript; charset=utf-8", b"/api/analytics/summary"),
        ("/dashboard/dashboard.css", "text/css; charset=utf-8", b".kpi"),
        ("/dashboard/vendor/chart.umd.js", "text/javascript; charset=utf-8", b"Chart.js v4.6.1"),
    ],
)
def test_dashboard_files_are_served_with_type_and_csp(client, path, content_type, marker):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert marker in response.content
    again = client.get(path, headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path",
    ["/dashboard/dashboard.html", "/dashboard/console.js", "/dashboard/vendor/README.md",
     "/dashboard/vendor/../console.js", "/dashboard/nothing.js"],
)  # fmt: skip
def test_only_the_dashboard_files_are_served(client, path):
    assert client.get(path).status_code == 404


def test_the_page_loads_no_inline_script_or_style():
    page = (STATIC_DIR / "dashboard.html").read_text(encoding="utf-8")
    assert re.findall(r"<script[^>]*>\s*[^<\s]", page) == []
    assert "<style" not in page
    assert " style=" not in page
    assert "://" not in page  # nothing from another origin


def _js_list(name: str) -> list[str]:
    script = (STATIC_DIR / "dashboard.js").read_text(encoding="utf-8")
    found = re.search(rf"var {name} = \[(.*?)\];", script, re.S)
    assert found is not None, name
    return re.findall(r'"([^"]+)"', found.group(1))


def test_filter_lists_match_the_ticket_model():
    assert _js_list("CATEGORIES") == list(CATEGORIES)
    assert _js_list("CHANNELS") == list(CHANNELS)
