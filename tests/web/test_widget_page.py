"""The demo page and the widget's files: content types, caching, the snippet to copy."""

from __future__ import annotations

import re

import pytest


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/widget.js", "text/javascript; charset=utf-8"),
        ("/widget.css", "text/css; charset=utf-8"),
    ],
)
def test_widget_files_are_served_with_type_cache_and_etag(client, path, content_type):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["cache-control"] == "public, max-age=300"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["access-control-allow-origin"] == "*"
    etag = response.headers["etag"]

    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.head(path).status_code == 200


def test_the_widget_never_parses_message_text_as_html(client):
    source = client.get("/widget.js").text
    assert "innerHTML" not in source
    assert "insertAdjacentHTML" not in source
    assert "document.write" not in source
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", source.split("*/", 1)[1])


def test_the_demo_page_embeds_the_widget_and_shows_the_snippet(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert '<script src="/widget.js" defer></script>' in page
    # The snippet to copy names this gateway's absolute URL, escaped as text.
    assert '&lt;script src="http://testserver/widget.js" defer' in page
    assert "{{" not in page
