"""The supervisors' analytics dashboard at /dashboard, its script and stylesheet, and the
vendored Chart.js it draws with (same origin only, no CDN)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from bot.web.console_page import FILES as CONSOLE_FILES
from bot.web.console_page import page_file

FILES = {
    "dashboard.html": "text/html; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
    "vendor/chart.umd.js": "text/javascript; charset=utf-8",
    "i18n.js": CONSOLE_FILES["i18n.js"],
}

router = APIRouter(include_in_schema=False)


def _file(request: Request, name: str) -> Response:
    return page_file(request, name, FILES[name])


@router.api_route("/dashboard", methods=["GET", "HEAD"])
async def dashboard_page(request: Request) -> Response:
    return _file(request, "dashboard.html")


@router.api_route("/dashboard/{name:path}", methods=["GET", "HEAD"])
async def dashboard_asset(request: Request, name: str) -> Response:
    if name == "dashboard.html" or name not in FILES:
        return Response(status_code=404)
    return _file(request, name)
