"""The middleware stack as `kindred serve` runs it: Django over ASGI, the whole stack sync in one thread hop.

Django's test client runs the sync stack of WSGI; these requests go through `kindred.asgi`'s HTTP application
(kindred/core/asgi.py), so security headers, sessions, CSRF, the language switch and login lockouts are checked
on the path the server takes, with requests served at once, and the number of thread hops per request is pinned.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Iterator
from http.cookies import SimpleCookie
from typing import Any

import pytest
from asgiref.sync import SyncToAsync, async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.db.backends.signals import connection_created

from kindred.asgi import django_application
from kindred.conftest import PASSWORD

# Each request's sync code runs in a thread of its own (as under `kindred serve`), on its own database
# connection: the rows a test makes must be committed for it to see them.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LOGIN = "/accounts/login/"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# request_started's receivers, the middleware chain with the view, and closing the response: what Django's own
# ASGI handler needs for a bare sync view. Django's default adaptation of this stack took 17.
HOPS_PER_REQUEST = 3


def http_scope(method: str, path: str, headers: list[tuple[bytes, bytes]], ip: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "query_string": b"",
        "headers": headers,
        "client": (ip, 40000),
        "server": ("127.0.0.1", 80),
    }


async def exchange(scope: dict[str, Any], body: bytes = b"") -> tuple[dict[str, Any], bytes]:
    """One HTTP request through the served application: the response's start message and its body."""
    communicator = ApplicationCommunicator(django_application, scope)
    await communicator.send_input({"type": "http.request", "body": body})
    start = await communicator.receive_output(timeout=10)
    content = b""
    while True:
        chunk = await communicator.receive_output(timeout=10)
        content += chunk.get("body", b"")
        if not chunk.get("more_body"):
            break
    await communicator.wait(timeout=10)
    return start, content


class Browser:
    """A cookie jar over the ASGI application: each request is one ASGI HTTP exchange."""

    def __init__(self, ip: str = "10.9.0.1") -> None:
        self.cookies: dict[str, str] = {}
        self.ip = ip

    def request(
        self, method: str, path: str, body: bytes = b"", content_type: str = ""
    ) -> tuple[int, dict[str, str], str]:
        headers = [(b"host", b"127.0.0.1")]
        if self.cookies:
            jar = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            headers.append((b"cookie", jar.encode()))
        if content_type:
            headers.append((b"content-type", content_type.encode()))
        if method == "POST":
            headers.append((b"origin", b"http://127.0.0.1"))
            headers.append((b"referer", b"http://127.0.0.1/"))

        scope = http_scope(method, path, headers, self.ip)
        start, content = async_to_sync(exchange)(scope, body)
        answer: dict[str, str] = {}
        for name, value in start["headers"]:
            key, text = name.decode().lower(), value.decode()
            if key == "set-cookie":
                for morsel in SimpleCookie(text).values():
                    self.cookies[morsel.key] = morsel.value
            else:
                answer[key] = text
        return start["status"], answer, content.decode()

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, dict[str, str], str]:
        from urllib.parse import urlencode

        return self.request("POST", path, urlencode(fields).encode(), "application/x-www-form-urlencoded")

    def sign_in(self, username: str, password: str) -> tuple[int, dict[str, str], str]:
        _status, _headers, page = self.get(LOGIN)
        token = CSRF_FIELD.search(page)
        assert token, page[:500]
        return self.post_form(
            LOGIN, {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)}
        )


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Every sync_to_async call made while the test runs (each one a hand-off to a thread and back)."""
    calls: list[object] = []
    real = SyncToAsync.__call__

    def counting(self: SyncToAsync[Any, Any], *args: Any, **kwargs: Any) -> Any:
        calls.append(self.func)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counting)
    yield calls


def test_hello_takes_one_hop_through_the_whole_stack_and_keeps_the_security_headers(
    hops: list[object],
) -> None:
    status, headers, body = Browser().get("/hello")
    assert (status, body) == (200, "hello")
    assert len(hops) == HOPS_PER_REQUEST, hops
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert "Accept-Language" in headers["vary"]


def test_a_form_post_without_the_csrf_token_is_refused(make_user: Callable[..., User]) -> None:
    make_user("alice")
    browser = Browser()
    browser.get(LOGIN)
    assert settings.CSRF_COOKIE_NAME in browser.cookies
    status, _headers, _body = browser.post_form(LOGIN, {"username": "alice", "password": PASSWORD})
    assert status == 403
    assert settings.SESSION_COOKIE_NAME not in browser.cookies


def test_sign_in_keeps_the_session_and_the_language_switch_holds(make_user: Callable[..., User]) -> None:
    make_user("alice")
    browser = Browser()
    status, headers, _body = browser.sign_in("alice", PASSWORD)
    assert status == 302, headers
    assert settings.SESSION_COOKIE_NAME in browser.cookies
    status, headers, page = browser.get("/accounts/tokens/")
    assert status == 200
    assert headers["content-language"] == "zh-hans"
    assert "退出" in page  # the signed-in navigation, in Chinese by default

    token = CSRF_FIELD.search(page)
    assert token
    status, _headers, _body = browser.post_form(
        "/i18n/setlang/",
        {"language": "en", "next": "/accounts/tokens/", "csrfmiddlewaretoken": token.group(1)},
    )
    assert status == 302
    status, headers, page = browser.get("/accounts/tokens/")
    assert status == 200
    assert headers["content-language"] == "en"
    assert "Sign out" in page


def test_the_lockout_holds_through_the_served_stack(make_user: Callable[..., User]) -> None:
    make_user("alice")
    browser = Browser(ip="10.9.0.7")
    wrong = json.dumps({"username": "alice", "password": "wrong password"}).encode()
    limit = settings.AXES_FAILURE_LIMIT
    statuses = [
        browser.request("POST", "/api/v1/auth/token", wrong, "application/json")[0] for _ in range(limit)
    ]
    assert set(statuses[:-1]) == {401} and statuses[-1] == 429
    status, headers, page = browser.sign_in("alice", PASSWORD)
    assert status == 429
    assert headers["retry-after"] == "3600"
    assert "登录失败次数过多" in page
    assert settings.SESSION_COOKIE_NAME not in browser.cookies


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL's connections go back to the pool")
def test_requests_keep_their_threads_database_connection(make_user: Callable[..., User]) -> None:
    """Opening a SQLite connection costs more CPU than a light page's queries: a request thread keeps its own."""
    make_user("alice")
    browser = Browser()
    assert browser.sign_in("alice", PASSWORD)[0] == 302
    opened: list[str] = []

    def note(sender: object, connection: Any, **kwargs: object) -> None:
        opened.append(connection.alias)

    connection_created.connect(note)
    try:
        statuses = [browser.get("/accounts/tokens/")[0] for _ in range(10)]
    finally:
        connection_created.disconnect(note)
    assert statuses == [200] * 10
    assert len(opened) <= 1, opened


def test_concurrent_requests_keep_their_own_language() -> None:
    """Requests served at once on the request threads: each keeps its own language, in headers and page."""
    languages = ["en", "zh-hans"] * 8

    async def all_at_once() -> list[tuple[dict[str, Any], bytes]]:
        scopes = [
            http_scope(
                "GET",
                LOGIN,
                [(b"host", b"127.0.0.1"), (b"cookie", f"django_language={lang}".encode())],
                "10.9.0.9",
            )
            for lang in languages
        ]
        return await asyncio.gather(*(exchange(scope) for scope in scopes))

    answers = async_to_sync(all_at_once)()
    for lang, (start, content) in zip(languages, answers, strict=True):
        assert start["status"] == 200
        headers = {name.decode().lower(): value.decode() for name, value in start["headers"]}
        assert headers["content-language"] == lang
        page = content.decode()
        assert f'<html lang="{lang}">' in page
        assert ("Sign in" in page) == (lang == "en")
