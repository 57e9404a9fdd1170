"""CSRF on the API, checked as real clients send requests (Django's test client skips CSRF unless told).

A client without cookies (a script, an invitee accepting over the API) needs no CSRF token: there is no
session to forge a request with. A browser session still must send its token, or it gets 403.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from kindred.circles.models import Circle, Membership
from kindred.invitations.models import Invitation
from kindred.invitations.services import invitation_direct

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a long and fresh passphrase 7"


@pytest.fixture
def code(circle: Circle, origin: Membership) -> str:
    _, raw = invitation_direct(circle=circle, organizer=origin, name="张三", email="zhangsan@example.com")
    return raw


def accept(client: Client, code: str, data: dict[str, str], **headers: str) -> tuple[int, dict[str, object]]:
    response = client.post(
        f"/api/v1/invitations/{code}/accept",
        data=json.dumps(data),
        content_type="application/json",
        headers=headers,
    )
    return response.status_code, response.json()


def browser_session(user: User) -> tuple[Client, str]:
    """A CSRF-enforcing client signed in as `user`, and the CSRF token a page of the site gave it."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    browser.get("/accounts/password/change/")
    return browser, browser.cookies[settings.CSRF_COOKIE_NAME].value


def test_anonymous_accept_without_cookies_needs_no_csrf_token(code: str) -> None:
    client = Client(enforce_csrf_checks=True)
    status, body = accept(client, code, {"username": "zhangsan", "password": NEW_PASSWORD})
    assert status == 201, body
    assert body["username"] == "zhangsan" and body["token"]
    assert User.objects.filter(username="zhangsan").exists()


def test_session_without_csrf_token_is_refused_and_nothing_changes(
    code: str, make_user: Callable[..., User]
) -> None:
    outsider = make_user("outsider")
    browser, _ = browser_session(outsider)
    status, _body = accept(browser, code, {"display_name": "外人"})
    assert status == 403
    assert Invitation.objects.get().accepted_at is None
    assert not Membership.objects.filter(user=outsider).exists()


def test_session_with_its_csrf_token_accepts_as_itself(code: str, make_user: Callable[..., User]) -> None:
    invitee = make_user("invitee")
    browser, token = browser_session(invitee)
    status, body = accept(browser, code, {"display_name": "张三"}, X_CSRFToken=token)
    assert status == 201, body
    assert body["username"] == "invitee" and body["token"] is None
    assert Membership.objects.filter(user=invitee).exists()


def test_other_operations_without_cookies_or_token_are_401_not_403(client: Client) -> None:
    cookieless = Client(enforce_csrf_checks=True)
    response = cookieless.post("/api/v1/circles", data="{}", content_type="application/json")
    assert response.status_code == 401


def test_session_post_to_other_operations_needs_the_csrf_token(make_user: Callable[..., User]) -> None:
    browser, token = browser_session(make_user("carol"))
    body = json.dumps({"name": "新圈子", "slug": "xinquanzi", "display_name": "卡罗"})
    refused = browser.post("/api/v1/circles", data=body, content_type="application/json")
    assert refused.status_code == 403
    assert not Circle.objects.filter(slug="xinquanzi").exists()
    allowed = browser.post(
        "/api/v1/circles", data=body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert allowed.status_code == 201, allowed.content
