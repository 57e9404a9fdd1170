"""The invitee's new password obeys the one rule (kindred.core.text): at most PASSWORD_MAX_LENGTH characters,
no control characters, kept exactly as typed; a refused password uses nothing, on the web and the API."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from kindred.circles.models import Membership
from kindred.conftest import PASSWORD
from kindred.core.text import PASSWORD_MAX_LENGTH
from kindred.invitations.models import Invitation
from kindred.invitations.services import nomination_approve
from tests.forms import form_fields

pytestmark = pytest.mark.django_db
BAD = ["p" * (PASSWORD_MAX_LENGTH + 1), "p" * 100_000, "pass\x00word-long-enough", "pass\x85word-long-enough"]


@pytest.fixture
def code(origin: Membership, make_member: Any, nominate: Any) -> str:
    _invitation, raw = nomination_approve(nomination=nominate(make_member("alice")), reviewer=origin)
    return raw


def _used() -> tuple[int, int]:
    return User.objects.count(), Invitation.objects.filter(accepted_at__isnull=False).count()


@pytest.mark.parametrize("password", BAD)
def test_web_signup_refuses_the_password_and_uses_nothing(code: str, password: str) -> None:
    client = Client()
    url = reverse("invitations:accept", args=[code])
    fields = [
        (k, {"username": "linxiao", "password1": password, "password2": password}.get(k, v))
        for k, v in form_fields(client.get(url).content.decode(), "accept-signup")
    ]
    before = _used()
    response = client.post(url, urlencode(fields), content_type="application/x-www-form-urlencoded")
    assert response.status_code in (200, 400)
    assert "password1" in response.context["form"].errors
    assert _used() == before


@pytest.mark.parametrize("password", BAD)
def test_api_accept_refuses_the_password_and_uses_nothing(code: str, password: str) -> None:
    before = _used()
    response = Client().post(
        f"/api/v1/invitations/{code}/accept",
        {"username": "linxiao", "password": password, "display_name": "林晓"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert _used() == before


def test_a_password_with_spaces_is_kept_exactly(code: str) -> None:
    password = f"  {PASSWORD}  "
    response = Client().post(
        f"/api/v1/invitations/{code}/accept",
        {"username": "linxiao", "password": password, "display_name": "林晓"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert User.objects.get(username="linxiao").check_password(password)
