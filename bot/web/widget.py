"""The chat widget's files and the demo page at `/` that embeds it.

`/widget.js` is loaded by other sites with one script tag, so its URL cannot carry a
version: it is cached briefly and revalidated by ETag, and a release reaches every shop
within minutes.
"""

from __future__ import annotations

import hashlib
import html
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request, Response

STATIC_DIR = Path(__file__).parent / "static"
ASSET_CACHE = "public, max-age=300"
ASSET_TYPES = {
    "widget.js": "text/javascript; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
}

# The demo page: our script and stylesheet only (its own <style> block aside), talking only
# to this gateway, so customer text that became markup would have nothing to run.
DEMO_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

router = APIRouter(include_in_schema=False)


@lru_cache(maxsize=16)
def _read(path: Path, mtime_ns: int) -> tuple[bytes, str]:
    """File bytes and their ETag; the modification time in the key picks up edits."""
    body = path.read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def _asset(request: Request, name: str) -> Response:
    path = STATIC_DIR / name
    body, etag = _read(path, path.stat().st_mtime_ns)
    headers = {
        "Cache-Control": ASSET_CACHE,
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
        # Any site may embed the widget; this also allows `crossorigin` + integrity checks.
        "Access-Control-Allow-Origin": "*",
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=ASSET_TYPES[name], headers=headers)


@router.api_route("/widget.js", methods=["GET", "HEAD"])
async def widget_js(request: Request) -> Response:
    return _asset(request, "widget.js")


@router.api_route("/widget.css", methods=["GET", "HEAD"])
async def widget_css(request: Request) -> Response:
    return _asset(request, "widget.css")


@router.api_route("/", methods=["GET", "HEAD"])
async def demo_page(request: Request) -> Response:
    """A shop page with the widget, showing the snippet to copy for this gateway."""
    path = STATIC_DIR / "demo.html"
    body, _etag = _read(path, path.stat().st_mtime_ns)
    origin = str(request.base_url).rstrip("/")
    page = body.decode("utf-8").replace("{{ widget_src }}", html.escape(f"{origin}/widget.js"))
    return Response(
        page,
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-cache", **DEMO_SECURITY_HEADERS},
    )
