"""The API documentation page (/api/v1/docs) in Debian's Chromium, from the live server.

Swagger UI parses /api/v1/openapi.json in the browser and renders nothing but a parser error when the
document is invalid (a duplicate "200" key did that). The page must render every operation with no console
error, no failed request, and nothing fetched from outside our server (django-ninja serves Swagger UI from
its own static files, never a CDN).
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

if not CHROMIUM.exists():
    pytestmark.append(
        pytest.mark.skip(
            reason="no /usr/bin/chromium: install Debian's browser with `apt-get install chromium`"
        )
    )

TIMEOUT_MS = 20_000


def test_api_docs_render_every_operation_without_errors(chromium: Any, live_server: Any) -> None:
    base = live_server.url
    context = chromium.new_context(base_url=base, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []

    def only_our_server(route: Any) -> None:
        url = route.request.url
        if url.startswith(base + "/") or url.startswith("data:"):
            route.continue_()
        else:
            problems.append(f"request outside the server: {url}")
            route.abort()

    context.route("**/*", only_our_server)
    page = context.new_page()
    page.on(
        "console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}"))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    try:
        response = page.goto("/api/v1/docs")
        assert response is not None and response.status == 200
        # Either the operations or Swagger UI's parser error (which names the duplicate key).
        page.wait_for_selector(".opblock-summary, #swagger-ui .errors-wrapper", state="attached")
        page.wait_for_load_state("networkidle")
        assert page.locator("#swagger-ui .errors-wrapper").count() == 0, page.inner_text("#swagger-ui")
        operations = page.locator(".opblock").count()
        paths = page.evaluate("fetch('/api/v1/openapi.json').then(r => r.json()).then(d => d.paths)")
        assert operations == sum(len(ops) for ops in paths.values())
    finally:
        context.close()
    assert problems == []
