from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse

from kindred.accounts.models import ApiToken
from kindred.accounts.services import token_create
from kindred.conftest import PASSWORD

from .helpers import NEW_PASSWORD, reset_link, signed_in


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_login_page_is_chinese_by_default(client: Client, db: None) -> None:
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "登录" in body and "忘记密码" in body


def test_login_redirects_to_the_circles_home(client: Client, alice: User) -> None:
    response = client.post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("circles:home")
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_login_follows_a_safe_next_only(client: Client, alice: User) -> None:
    tokens_url = reverse("accounts:tokens")
    response = client.post(
        reverse("accounts:login") + f"?next={tokens_url}",
        {"username": "alice", "password": PASSWORD, "next": tokens_url},
    )
    assert response["Location"] == tokens_url
    evil = Client().post(
        reverse("accounts:login"),
        {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert evil["Location"] == reverse("circles:home")


def test_login_with_a_wrong_password_shows_an_error_and_signs_nobody_in(client: Client, alice: User) -> None:
    response = client.post(reverse("accounts:login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()
    assert not signed_in(client)


def test_logout_is_post_only_and_ends_the_session(alice: User) -> None:
    client = client_for(alice)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    assert not signed_in(client)


def test_account_pages_need_a_sign_in(client: Client, db: None) -> None:
    for name in ("accounts:password_change", "accounts:tokens"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_password_change_with_a_wrong_old_password_changes_nothing(alice: User) -> None:
    client = client_for(alice)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "旧密码不正确" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_password_change(alice: User) -> None:
    client = client_for(alice)
    assert "修改密码" in client.get(reverse("accounts:password_change")).content.decode()
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response["Location"] == reverse("accounts:password_change_done")
    assert client.get(response["Location"]).status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_password_reset_by_email(client: Client, alice: User) -> None:
    assert client.get(reverse("accounts:password_reset")).status_code == 200
    response = client.post(reverse("accounts:password_reset"), {"email": "alice@example.com"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert message.subject == "同类：重置你的密码"
    link = reset_link()

    form_url = client.get(link)["Location"]  # Django swaps the token for a session-held one
    assert "设置新密码" in client.get(form_url).content.decode()
    done = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == reverse("accounts:password_reset_complete")
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)

    # The link works once.
    again = Client().get(link, follow=True)
    assert "链接已失效" in again.content.decode()


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(
    client: Client, alice: User
) -> None:
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_tokens_page_creates_a_token_and_shows_it_once(alice: User) -> None:
    client = client_for(alice)
    page = client.get(reverse("accounts:tokens"))
    assert page.status_code == 200 and "还没有令牌" in page.content.decode()

    response = client.post(reverse("accounts:tokens"), {"name": "表格同步"})
    assert response.status_code == 200
    body = response.content.decode()
    token = ApiToken.objects.get(user=alice)
    raw = re.search(r'value="(kdr_[^"]+)"', body)
    assert raw and token.prefix in raw.group(1)
    assert "只显示这一次" in body
    assert "no-store" in response["Cache-Control"]

    later = client.get(reverse("accounts:tokens")).content.decode()
    assert raw.group(1) not in later
    assert "表格同步" in later and token.prefix in later

    # The shown token works against the API.
    me = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw.group(1)}"})
    assert me.json()["username"] == "alice"


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_tokens_page_refuses_a_bad_name(alice: User, name: str) -> None:
    response = client_for(alice).post(reverse("accounts:tokens"), {"name": name})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_tokens_page_revokes(alice: User) -> None:
    token, raw = token_create(user=alice, name="old")
    client = client_for(alice)
    assert client.get(reverse("accounts:token_revoke", args=[token.pk])).status_code == 405
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]), follow=True)
    assert "已撤销" in response.content.decode()
    token.refresh_from_db()
    assert not token.is_active
    assert Client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_revoking_someone_elses_token_from_the_page_is_404(
    alice: User, make_user: Callable[..., User]
) -> None:
    theirs, _ = token_create(user=make_user("mallory"), name="m")
    response = client_for(alice).post(reverse("accounts:token_revoke", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active


def test_tokens_page_in_english(alice: User) -> None:
    client = client_for(alice)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = client.get(reverse("accounts:tokens")).content.decode()
    assert "You have no tokens yet." in body


@pytest.mark.parametrize("name", ["脚\x00本", "脚\x07本"])
def test_tokens_page_refuses_control_characters_in_the_name(alice: User, name: str) -> None:
    client = client_for(alice)
    response = client.post(reverse("accounts:tokens"), {"name": name})
    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("field", ["username", "password"])
def test_login_form_refuses_nul_with_the_form_error(client: Client, alice: User, field: str) -> None:
    data = {"username": "alice", "password": PASSWORD}
    data[field] = "al\x00ice"
    response = client.post(reverse("accounts:login"), data)
    assert response.status_code == 200 and not signed_in(client)
    assert response.context["form"].errors


@pytest.mark.parametrize(
    ("language", "expected"), [("zh-hans", "密码长度太短"), ("en", "This password is too short")]
)
def test_password_validator_messages_are_in_the_page_language(
    alice: User, language: str, expected: str
) -> None:
    """Django 5.2's zh_Hans catalogue lacks the new password-length msgid: it showed in English."""
    client = client_for(alice)
    client.post("/i18n/setlang/", {"language": language})
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "q7$", "new_password2": "q7$"},
    )
    assert response.status_code == 200
    assert expected in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", "a" * 100_000),
        ("username", "a" * 151),
        ("password", "p" * 129),
        ("username", "\x85alice"),
    ],
)
def test_login_form_checks_its_fields_before_authenticating(
    client: Client, alice: User, field: str, value: str
) -> None:
    """Django's AuthenticationForm sets the username's max_length after building the field, so the length
    was never checked: a 100 000-character name reached the throttling table (a 500 on PostgreSQL)."""
    from axes.models import AccessAttempt

    data = {"username": "alice", "password": PASSWORD, field: value}
    response = client.post(reverse("accounts:login"), data)
    assert response.status_code == 200 and not signed_in(client)
    assert field in response.context["form"].errors
    assert not AccessAttempt.objects.exists()
    ok = client.post(reverse("accounts:login"), {"username": "alice", "password": PASSWORD})
    assert ok.status_code == 302 and signed_in(client)
