"""Nobody reviews their own nominee: an admin's (or the organizer's) nomination is decided by another
reviewer, in the service, the API and the review page. A direct invitation stays the reviewers' right."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from kindred.accounts.services import token_create
from kindred.circles.models import Membership
from kindred.core.models import AuditEvent
from kindred.core.services import PermissionDenied
from kindred.invitations.models import Invitation, Nomination
from kindred.invitations.services import invitation_direct, nomination_approve, nomination_reject

pytestmark = pytest.mark.django_db
Nominate = Callable[..., Nomination]
MakeMember = Callable[..., Membership]
SLUG = "xinwenyu"


def _unchanged(nomination: Nomination, audits: int) -> None:
    nomination.refresh_from_db()
    assert nomination.status == Nomination.Status.PENDING and nomination.reviewed_by is None
    assert not Invitation.objects.filter(nomination=nomination).exists()
    assert AuditEvent.objects.count() == audits


def test_service_refuses_the_nominator_as_reviewer(
    origin: Membership, make_member: MakeMember, nominate: Nominate
) -> None:
    admin = make_member("admin", role=Membership.Role.ADMIN)
    own = nominate(admin)
    audits = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied) as refused:
        nomination_approve(nomination=own, reviewer=admin)
    assert refused.value.code == "own_nominee"
    with pytest.raises(PermissionDenied):
        nomination_reject(nomination=own, reviewer=admin, reason="不合适")
    _unchanged(own, audits)
    # Someone else reviews it.
    invitation, _code = nomination_approve(nomination=own, reviewer=origin)
    assert invitation.sponsor_id == admin.pk
    # The organizer's own nomination goes to an admin; the direct invitation stays theirs.
    theirs = nominate(origin, email="zhang@example.com", name="张三")
    with pytest.raises(PermissionDenied):
        nomination_approve(nomination=theirs, reviewer=origin)
    nomination_approve(nomination=theirs, reviewer=admin)
    direct, _ = invitation_direct(circle=origin.circle, organizer=admin, name="李四", email="li@example.com")
    assert direct.nomination.reviewed_by == admin.user


def test_api_answers_403_and_changes_nothing(make_member: MakeMember, nominate: Nominate) -> None:
    admin = make_member("admin", role=Membership.Role.ADMIN)
    own = nominate(admin)
    _, raw = token_create(user=admin.user, name="test")
    audits = AuditEvent.objects.count()
    for action, body in (("approve", "{}"), ("reject", '{"reason": "不合适"}')):
        response = Client().post(
            f"/api/v1/circles/{SLUG}/nominations/{own.pk}/{action}",
            data=body,
            content_type="application/json",
            headers={"Authorization": f"Bearer {raw}"},
        )
        assert response.status_code == 403, response.content
    _unchanged(own, audits)


def test_review_page_hides_approve_for_own_nominee_and_refuses_the_post(
    origin: Membership, make_member: MakeMember, nominate: Nominate
) -> None:
    admin = make_member("admin", role=Membership.Role.ADMIN)
    own = nominate(admin)
    other = nominate(make_member("alice"), email="zhang@example.com", name="张三")
    client = Client()
    client.force_login(admin.user)
    page = client.get(reverse("invitations:review", args=[SLUG])).content.decode()
    assert reverse("invitations:approve", args=[SLUG, own.pk]) not in page
    assert reverse("invitations:reject", args=[SLUG, own.pk]) not in page
    assert reverse("invitations:approve", args=[SLUG, other.pk]) in page
    audits = AuditEvent.objects.count()
    response = client.post(reverse("invitations:approve", args=[SLUG, own.pk]))
    assert response.status_code == 403
    assert "http://localhost:8000/invite/" not in response.content.decode()
    _unchanged(own, audits)
    # The organizer sees the buttons for the admin's nominee.
    organizer = Client()
    organizer.force_login(origin.user)
    page = organizer.get(reverse("invitations:review", args=[SLUG])).content.decode()
    assert reverse("invitations:approve", args=[SLUG, own.pk]) in page
