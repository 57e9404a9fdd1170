"""The error pages: styled in the site's layout, in the reader's language, with a viewport and a way on.

400, 403 (and the CSRF failure), 404 and 500 are rendered by Django's own handlers with DEBUG off, as in
production. The 500 page renders without a request and without the database.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.test import Client
from django.urls import path
from django.utils import translation

from kindred.urls import urlpatterns as site_urlpatterns


def _raise_error(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def _refuse(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


urlpatterns = [path("test-500/", _raise_error), path("test-403/", _refuse), *site_urlpatterns]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]

HEADINGS = {
    400: {"en": "This request could not be understood", "zh-hans": "无法理解这个请求"},
    403: {"en": "You may not do this", "zh-hans": "你无权进行此操作"},
    404: {"en": "Page not found", "zh-hans": "页面不存在"},
    500: {"en": "Something went wrong on our side", "zh-hans": "我们这边出了问题"},
    "csrf": {"en": "The form has expired", "zh-hans": "表单已过期"},
}
ACCEPT = {"en": "en", "zh-hans": "zh-CN,zh;q=0.9"}


class Page(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.h1: list[str] = []
        self.meta: list[dict[str, str | None]] = []
        self.links: list[str] = []
        self.stylesheets: list[str] = []
        self.html_lang = ""
        self._in_h1 = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "h1":
            self._in_h1 = True
            self.h1.append("")
        elif tag == "meta":
            self.meta.append(a)
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        elif tag == "link" and a.get("rel") == "stylesheet":
            self.stylesheets.append(a.get("href") or "")
        elif tag == "html":
            self.html_lang = a.get("lang") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data: str) -> None:
        if self._in_h1:
            self.h1[-1] += data


def _check(response: Any, status: int, key: int | str, language: str) -> Page:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    page = Page(response.content.decode())
    assert page.h1 == [HEADINGS[key][language]]
    assert page.html_lang == language
    assert any(m.get("name") == "viewport" for m in page.meta)
    assert any(s.endswith("kindred.css") for s in page.stylesheets)
    assert "/" in page.links  # the way on: the circles home
    return page


def _client(language: str, **kwargs: object) -> Client:
    return Client(headers={"accept-language": ACCEPT[language]}, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_404(language: str) -> None:
    _check(_client(language).get("/no-such-page/"), 404, 404, language)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_403(language: str) -> None:
    _check(_client(language).get("/test-403/"), 403, 403, language)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_403_csrf_failure(language: str) -> None:
    client = _client(language, enforce_csrf_checks=True)
    _check(client.post("/accounts/login/", {"username": "a", "password": "b"}), 403, "csrf", language)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_400(language: str) -> None:
    client = _client(language, HTTP_HOST="not-our-host.example")
    _check(client.get("/accounts/login/"), 400, 400, language)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_500_from_a_view_that_raises(language: str) -> None:
    client = _client(language, raise_request_exception=False)
    _check(client.get("/test-500/"), 500, 500, language)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_500_page_renders_without_a_request_or_the_database(language: str, django_db_blocker: Any) -> None:
    """As Django's server_error view renders it: no request, no context, and here no database either (a
    query inside the block raises)."""
    with django_db_blocker.block(), translation.override(language):
        html = loader.get_template("500.html").render()
    assert Page(html).h1 == [HEADINGS[500][language]]
