from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from kindred.accounts.models import ApiToken
from kindred.accounts.services import token_create
from kindred.circles.models import Membership
from kindred.conftest import PASSWORD

TOKEN_URL = "/api/v1/auth/token"


def post_json(client: Client, url: str, data: Any) -> Any:
    return client.post(url, data=json.dumps(data), content_type="application/json")


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def alice(make_user: Callable[..., User]) -> User:
    return make_user("alice", first_name="丽", last_name="王")


def test_auth_token_with_good_credentials_returns_a_working_token(client: Client, alice: User) -> None:
    response = post_json(client, TOKEN_URL, {"username": "alice", "password": PASSWORD, "name": "脚本"})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"token", "id", "name", "prefix"}
    assert body["token"].startswith("kdr_") and body["token"].startswith(body["prefix"])
    assert body["name"] == "脚本"
    token = ApiToken.objects.get(pk=body["id"])
    assert token.user == alice and token.token_hash != body["token"]

    me = Client().get("/api/v1/me", headers=bearer(body["token"]))
    assert me.status_code == 200
    assert me.json()["username"] == "alice"


def test_auth_token_default_name(client: Client, alice: User) -> None:
    response = post_json(client, TOKEN_URL, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 201
    assert response.json()["name"] == "API"


@pytest.mark.parametrize(
    "payload",
    [
        {"username": "alice", "password": "wrong"},
        {"username": "nobody", "password": PASSWORD},
    ],
)
def test_auth_token_with_bad_credentials_is_401_and_creates_nothing(
    client: Client, alice: User, payload: dict[str, str]
) -> None:
    response = post_json(client, TOKEN_URL, payload)
    assert response.status_code == 401
    assert response.json()["detail"] == "用户名或密码错误。"
    assert not ApiToken.objects.exists()


def test_auth_token_for_an_inactive_user_is_401(client: Client, alice: User) -> None:
    alice.is_active = False
    alice.save()
    response = post_json(client, TOKEN_URL, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 401
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({}, 422),
        ({"username": "alice"}, 422),
        ({"username": "", "password": PASSWORD}, 422),
        ({"username": "alice", "password": PASSWORD, "name": ""}, 422),
        ({"username": "alice", "password": PASSWORD, "name": "x" * 81}, 422),
        ({"username": ["alice"], "password": PASSWORD}, 422),
        ({"username": "alice", "password": PASSWORD, "name": "   "}, 400),
        ("not an object", 422),
    ],
)
def test_auth_token_bad_input_is_a_4xx_with_detail_and_changes_nothing(
    client: Client, alice: User, payload: Any, status: int
) -> None:
    response = post_json(client, TOKEN_URL, payload)
    assert response.status_code == status
    assert "detail" in response.json()
    assert not ApiToken.objects.exists()


def test_auth_token_with_broken_json_is_a_4xx(client: Client, alice: User) -> None:
    response = client.post(TOKEN_URL, data="{nope", content_type="application/json")
    assert 400 <= response.status_code < 500
    assert "detail" in response.json()


def test_me_lists_the_users_circles_with_role(client: Client, make_member: Callable[..., Membership]) -> None:
    member = make_member("bob")
    _, raw = token_create(user=member.user, name="t")
    body = client.get("/api/v1/me", headers=bearer(raw)).json()
    assert body["username"] == "bob"
    assert body["email"] == "bob@example.com"
    assert body["circles"] == [{"slug": "xinwenyu", "name": "新文娱产业群", "role": "member"}]


def test_me_shows_the_full_name_as_display_name(client: Client, alice: User) -> None:
    _, raw = token_create(user=alice, name="t")
    body = client.get("/api/v1/me", headers=bearer(raw)).json()
    assert body["display_name"] == "丽 王"
    assert body["circles"] == []


def test_me_works_with_a_session_too(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert client.get("/api/v1/me").json()["id"] == alice.pk


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer kdr_not-a-token"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic YWxpY2U6cGFzcw=="},
    ],
)
def test_me_without_valid_credentials_is_401(client: Client, alice: User, headers: dict[str, str]) -> None:
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert "detail" in response.json()


def test_a_revoked_token_is_refused(client: Client, alice: User) -> None:
    token, raw = token_create(user=alice, name="t")
    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 200
    assert client.delete(f"/api/v1/me/tokens/{token.pk}", headers=bearer(raw)).status_code == 204
    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 401


def test_bearer_use_records_last_used(client: Client, alice: User) -> None:
    token, raw = token_create(user=alice, name="t")
    assert token.last_used_at is None
    client.get("/api/v1/me", headers=bearer(raw))
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_me_tokens_lists_tokens_without_secrets(client: Client, alice: User) -> None:
    old, old_raw = token_create(user=alice, name="old")
    _, raw = token_create(user=alice, name="new")
    client.delete(f"/api/v1/me/tokens/{old.pk}", headers=bearer(raw))
    response = client.get("/api/v1/me/tokens", headers=bearer(raw))
    assert response.status_code == 200
    body = response.json()
    assert [(t["name"], t["is_active"]) for t in body] == [("new", True), ("old", False)]
    text = response.content.decode()
    assert raw not in text and old_raw not in text and "token_hash" not in text
    assert old.token_hash not in text


def test_deleting_another_users_token_is_404_and_leaves_it(
    client: Client, alice: User, make_user: Callable[..., User]
) -> None:
    theirs, their_raw = token_create(user=make_user("mallory"), name="m")
    _, raw = token_create(user=alice, name="a")
    response = client.delete(f"/api/v1/me/tokens/{theirs.pk}", headers=bearer(raw))
    assert response.status_code == 404
    assert "detail" in response.json()
    assert client.get("/api/v1/me", headers=bearer(their_raw)).status_code == 200


@pytest.mark.parametrize("token_id", ["999999", str(2**63), str(10**40), "abc", "-1"])
def test_deleting_a_token_that_cannot_exist_is_a_4xx(client: Client, alice: User, token_id: str) -> None:
    _, raw = token_create(user=alice, name="a")
    response = client.delete(f"/api/v1/me/tokens/{token_id}", headers=bearer(raw))
    assert response.status_code in (404, 422)
    assert "detail" in response.json()


def test_api_errors_follow_the_users_language(client: Client, alice: User) -> None:
    response = client.post(
        TOKEN_URL,
        data=json.dumps({"username": "alice", "password": "wrong"}),
        content_type="application/json",
        headers={"Accept-Language": "en"},
    )
    assert response.json()["detail"] == "Wrong username or password."


@pytest.mark.parametrize("field", ["username", "password", "name"])
def test_auth_token_refuses_control_characters_with_422(client: Client, alice: User, field: str) -> None:
    """A NUL reached the user lookup and PostgreSQL answered with a 500; now it stops at the schema."""
    payload = {"username": "alice", "password": PASSWORD, "name": "脚本"}
    payload[field] = payload[field][:2] + "\x00" + payload[field][2:]
    response = post_json(client, TOKEN_URL, payload)
    assert response.status_code == 422, response.content
    assert [e["loc"][-1] for e in response.json()["detail"]] == [field]
    assert not ApiToken.objects.exists()


def test_auth_token_keeps_the_password_exactly_as_typed(
    client: Client, make_user: Callable[..., User]
) -> None:
    User.objects.create_user(username="spacey", password="  two  spaces  ")
    response = post_json(client, TOKEN_URL, {"username": "spacey", "password": "  two  spaces  "})
    assert response.status_code == 201
    assert post_json(client, TOKEN_URL, {"username": "spacey", "password": "two spaces"}).status_code == 401
