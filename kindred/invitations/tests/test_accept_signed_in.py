"""A signed-in member who opens someone else's invitation link is told whose it is and chooses explicitly:
sign out (and create the invitee's account), or join as themselves. Nothing is used before the choice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from kindred.circles.models import Membership
from kindred.conftest import PASSWORD
from kindred.core.models import AuditEvent
from kindred.invitations.models import Invitation, Nomination
from kindred.invitations.services import nomination_approve
from tests.forms import form_body, form_fields

pytestmark = pytest.mark.django_db
Nominate = Callable[..., Nomination]
MakeMember = Callable[..., Membership]
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def link(origin: Membership, make_member: MakeMember, nominate: Nominate) -> tuple[str, Invitation]:
    invitation, code = nomination_approve(nomination=nominate(make_member("alice")), reviewer=origin)
    return code, invitation


def _state() -> tuple[Any, ...]:
    return (
        AuditEvent.objects.count(),
        Membership.objects.count(),
        User.objects.count(),
        Invitation.objects.filter(accepted_at__isnull=False).count(),
    )


def test_get_says_whose_invitation_and_changes_nothing(
    link: tuple[str, Invitation], make_member: MakeMember
) -> None:
    code, _ = link
    bob = make_member("bob", display_name="陈波")
    client = Client()
    client.force_login(bob.user)
    before = _state()
    page = client.get(reverse("invitations:accept", args=[code]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "林晓" in body and "bob" in body  # whose invitation, and who is signed in
    form_fields(body, "accept-signout")
    join = dict(form_fields(body, "accept-join"))
    assert join["display_name"] == "陈波"  # one's own name, not the nominee's
    assert _state() == before
    # A post without a choice (the old one-click form) is refused and uses nothing.
    refused = client.post(reverse("invitations:accept", args=[code]), {"display_name": ""})
    assert refused.status_code == 400
    assert _state() == before


def test_sign_out_then_the_invitee_creates_their_account(
    link: tuple[str, Invitation], make_member: MakeMember
) -> None:
    code, invitation = link
    bob = make_member("bob")
    client = Client()
    client.force_login(bob.user)
    url = reverse("invitations:accept", args=[code])
    before = _state()
    response = client.post(
        url, form_body(client.get(url).content.decode(), "accept-signout"), content_type=FORM
    )
    assert response.status_code == 302 and response["Location"] == url
    assert _state() == before
    page = client.get(url).content.decode()
    assert "_auth_user_id" not in client.session
    fields = [
        (k, {"username": "linxiao", "password1": PASSWORD, "password2": PASSWORD}.get(k, v))
        for k, v in form_fields(page, "accept-signup")
    ]
    assert dict(fields)["display_name"] == "林晓"  # the invitee's own form is pre-filled for them
    from urllib.parse import urlencode

    assert client.post(url, urlencode(fields), content_type=FORM).status_code == 302
    invitation.refresh_from_db()
    assert invitation.accepted_by is not None and invitation.accepted_by.username == "linxiao"
    assert not Membership.objects.filter(user=bob.user, circle=invitation.circle).exclude(pk=bob.pk).exists()


def test_join_as_yourself(link: tuple[str, Invitation], make_user: Callable[..., User]) -> None:
    code, invitation = link
    carol = make_user("carol", first_name="小卡")
    client = Client()
    client.force_login(carol)
    url = reverse("invitations:accept", args=[code])
    page = client.get(url).content.decode()
    response = client.post(url, form_body(page, "accept-join"), content_type=FORM)
    assert response.status_code == 302
    membership = Membership.objects.get(user=carol)
    assert membership.card.display_name == "小卡"
    invitation.refresh_from_db()
    assert invitation.accepted_by == carol
