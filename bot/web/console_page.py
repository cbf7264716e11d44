"""The agent console page at /console and its script and stylesheet (same origin only)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from bot.web.widget import STATIC_DIR, _read

FILES = {
    "console.html": "text/html; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
    "console.css": "text/css; charset=utf-8",
    # Shared with the dashboard: the language switch, catalogue look-up and time formats.
    "i18n.js": "text/javascript; charset=utf-8",
}
# Nothing but our own files and our own API: an injected script would have nowhere to load
# from or send to, and no site may frame the console.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)


def page_file(request: Request, name: str, media_type: str) -> Response:
    """A file of bot/web/static under the console's security headers, revalidated by ETag."""
    path = STATIC_DIR / name
    body, etag = _read(path, path.stat().st_mtime_ns)
    headers = {**SECURITY_HEADERS, "ETag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _file(request: Request, name: str) -> Response:
    return page_file(request, name, FILES[name])


@router.api_route("/console", methods=["GET", "HEAD"])
async def console_page(request: Request) -> Response:
    return _file(request, "console.html")


@router.api_route("/console/{name}", methods=["GET", "HEAD"])
async def console_asset(request: Request, name: str) -> Response:
    if name not in ("console.js", "console.css", "i18n.js"):
        return Response(status_code=404)
    return _file(request, name)
