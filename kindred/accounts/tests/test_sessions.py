"""Changing or resetting the password signs out every other session (Django's session auth hash)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from kindred.conftest import PASSWORD

from .helpers import NEW_PASSWORD, reset_link


def sign_in(user: User) -> Client:
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def is_signed_in(client: Client) -> bool:
    response = client.get(reverse("accounts:tokens"))
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_password_change_signs_out_other_sessions_but_keeps_this_one(alice: User) -> None:
    here, elsewhere = sign_in(alice), sign_in(alice)
    assert is_signed_in(here) and is_signed_in(elsewhere)
    response = here.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere)
    # The session-authenticated API follows the same rule.
    assert elsewhere.get("/api/v1/me").status_code == 401
    assert here.get("/api/v1/me").status_code == 200


def test_password_reset_signs_out_every_session(alice: User) -> None:
    phone, laptop = sign_in(alice), sign_in(alice)
    stranger = Client()
    stranger.post(reverse("accounts:password_reset"), {"email": alice.email})
    form_url = stranger.get(reset_link())["Location"]
    done = stranger.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == reverse("accounts:password_reset_complete")
    assert not is_signed_in(phone)
    assert not is_signed_in(laptop)
    assert not is_signed_in(stranger)  # a reset does not sign anyone in
    fresh = Client()
    assert (
        fresh.post(reverse("accounts:login"), {"username": "alice", "password": NEW_PASSWORD}).status_code
        == 302
    )
    assert is_signed_in(fresh)
