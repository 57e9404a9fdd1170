"""Login throttling (django-axes, database handler): per account and per IP, each on its own.

With the limit at 100 failures within an hour, the 101st attempt on one account is refused, even with
the right password; through the web form and through the API token endpoint alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Sum
from django.test import AsyncClient, Client
from django.urls import reverse

from kindred.accounts.models import ApiToken
from kindred.conftest import PASSWORD

from .helpers import signed_in

LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token"
LIMIT = 100


@pytest.fixture(autouse=True)
def _limit_is_100(db: None) -> None:
    assert settings.AXES_FAILURE_LIMIT == LIMIT
    assert timedelta(hours=1) == settings.AXES_COOLOFF_TIME


@pytest.fixture
def bob(make_user: Callable[..., User]) -> User:
    return make_user("bob")


def web_login(client: Client, username: str, password: str) -> int:
    return client.post(LOGIN, {"username": username, "password": password}).status_code


def api_login(client: Client, username: str, password: str) -> int:
    payload = json.dumps({"username": username, "password": password})
    return client.post(TOKEN, data=payload, content_type="application/json").status_code


def fail(
    client: Client, username: str, times: int, login: Callable[[Client, str, str], int] = web_login
) -> list[int]:
    return [login(client, username, "wrong password") for _ in range(times)]


def test_the_100th_attempt_is_still_judged(alice: User, client_from: Callable[[str], Client]) -> None:
    client = client_from("10.0.0.1")
    assert set(fail(client, "alice", LIMIT - 1)) == {200}
    assert web_login(client, "alice", PASSWORD) == 302
    assert signed_in(client)


def test_the_101st_web_attempt_on_one_account_is_refused_even_with_the_right_password(
    alice: User, client_from: Callable[[str], Client]
) -> None:
    client = client_from("10.0.0.1")
    statuses = fail(client, "alice", LIMIT)
    assert set(statuses[:-1]) == {200}
    assert statuses[-1] == 429  # the 100th failure locks at once
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert not signed_in(client)
    body = response.content.decode()
    assert "登录失败次数过多" in body and "60" in body
    assert response["Retry-After"] == "3600"
    # The count lives in the database (so every worker process sees it).
    total = AccessAttempt.objects.filter(username="alice").aggregate(n=Sum("failures_since_start"))["n"]
    assert total >= LIMIT


def test_the_101st_api_attempt_is_refused_with_json(
    alice: User, client_from: Callable[[str], Client]
) -> None:
    client = client_from("10.0.0.2")
    statuses = fail(client, "alice", LIMIT, login=api_login)
    assert set(statuses[:-1]) == {401}
    assert statuses[-1] == 429
    response = client.post(
        TOKEN, data=json.dumps({"username": "alice", "password": PASSWORD}), content_type="application/json"
    )
    assert response.status_code == 429
    assert "登录失败次数过多" in response.json()["detail"]
    assert not ApiToken.objects.exists()


def test_web_and_api_failures_count_together(alice: User, client_from: Callable[[str], Client]) -> None:
    client = client_from("10.0.0.3")
    fail(client, "alice", LIMIT // 2)
    fail(client, "alice", LIMIT // 2, login=api_login)
    assert api_login(client, "alice", PASSWORD) == 429
    assert web_login(client, "alice", PASSWORD) == 429


def test_the_lock_is_per_account(alice: User, bob: User, client_from: Callable[[str], Client]) -> None:
    # Spread over two addresses so that neither address reaches the limit on its own.
    first, second = client_from("10.0.1.1"), client_from("10.0.1.2")
    fail(first, "alice", LIMIT // 2)
    fail(second, "alice", LIMIT // 2)
    # Alice is locked from anywhere, even a fresh address.
    assert web_login(client_from("10.0.1.3"), "alice", PASSWORD) == 429
    assert api_login(client_from("10.0.1.4"), "alice", PASSWORD) == 429
    # Another account from the same addresses still signs in.
    assert web_login(first, "bob", PASSWORD) == 302
    assert signed_in(first)
    assert api_login(second, "bob", PASSWORD) == 201


def test_the_lock_is_per_ip(alice: User, bob: User, client_from: Callable[[str], Client]) -> None:
    attacker = client_from("10.0.2.1")
    # One guess on each of many accounts: no account reaches the limit, the address does.
    for i in range(LIMIT):
        assert web_login(attacker, f"guess{i}", "wrong password") in (200, 429)
    assert web_login(attacker, "bob", PASSWORD) == 429
    assert api_login(attacker, "bob", PASSWORD) == 429
    assert not signed_in(attacker)
    # The same accounts from another address are fine.
    elsewhere = client_from("10.0.2.2")
    assert web_login(elsewhere, "bob", PASSWORD) == 302
    assert api_login(elsewhere, "alice", PASSWORD) == 201


def test_the_lock_ends_after_the_cool_off(alice: User, client_from: Callable[[str], Client]) -> None:
    client = client_from("10.0.3.1")
    fail(client, "alice", LIMIT)
    assert web_login(client, "alice", PASSWORD) == 429
    # An hour and a minute later (the attempts are back-dated rather than waited for).
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(
            attempt_time=attempt.attempt_time - timedelta(hours=1, minutes=1)
        )
    assert web_login(client, "alice", PASSWORD) == 302


def test_the_lockout_page_follows_the_users_language(
    alice: User, client_from: Callable[[str], Client]
) -> None:
    client = client_from("10.0.4.1")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    fail(client, "alice", LIMIT)
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert reverse("accounts:password_reset") in response.content.decode()


def test_the_lock_holds_under_asgi_too(alice: User) -> None:
    """`kindred serve` runs ASGI, where axes' middleware calls the lockout answer differently."""
    async_to_sync(_lock_out_over_asgi)()


async def _lock_out_over_asgi() -> None:
    client = AsyncClient(REMOTE_ADDR="10.0.5.1")
    payload = json.dumps({"username": "alice", "password": "wrong password"})
    for _ in range(LIMIT):
        await client.post(TOKEN, data=payload, content_type="application/json")
    good = json.dumps({"username": "alice", "password": PASSWORD})
    api = await client.post(TOKEN, data=good, content_type="application/json")
    assert api.status_code == 429
    assert "登录失败次数过多" in api.json()["detail"]
    web = await client.post(LOGIN, {"username": "alice", "password": PASSWORD})
    assert web.status_code == 429
    assert "登录失败次数过多" in web.content.decode()
