"""Nomination rules, review, invitations and their acceptance, through the services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from kindred.circles.models import Circle, MemberCard, Membership
from kindred.circles.services import circle_update, membership_remove
from kindred.conftest import PASSWORD
from kindred.core.models import AuditEvent
from kindred.core.services import Conflict, NotFound, PermissionDenied, ServiceError
from kindred.invitations.models import Invitation, Nomination
from kindred.invitations.selectors import code_hash, nominations_pending, track_records
from kindred.invitations.services import (
    Gone,
    invitation_accept,
    invitation_direct,
    invitation_reissue,
    invitation_revoke,
    nomination_approve,
    nomination_reject,
    nomination_withdraw,
)
from kindred.ties.models import Tie

pytestmark = pytest.mark.django_db
Nominate = Callable[..., Nomination]
MakeMember = Callable[..., Membership]


# --- who may nominate ---------------------------------------------------------------------------------


def test_member_nominates_with_draft_card(make_member: MakeMember, nominate: Nominate) -> None:
    member = make_member("alice")
    n = nominate(member)
    assert n.status == Nomination.Status.PENDING
    assert n.draft_card["company"] == "晓光传媒"
    assert AuditEvent.objects.filter(action="nomination_created", target_id=n.pk).exists()


def test_organizer_only_policy(
    circle: Circle, origin: Membership, make_member: MakeMember, nominate: Nominate
) -> None:
    circle_update(circle=circle, actor=origin.user, nomination_policy=Circle.NominationPolicy.ORGANIZER_ONLY)
    member = make_member("alice")
    admin = make_member("admin", role=Membership.Role.ADMIN)
    with pytest.raises(PermissionDenied):
        nominate(Membership.objects.get(pk=member.pk))
    assert nominate(Membership.objects.get(pk=admin.pk), email="a@example.com").pk
    assert nominate(Membership.objects.get(pk=origin.pk), email="b@example.com").pk
    assert Nomination.objects.filter(nominator=member).count() == 0


def test_members_wait_the_circles_days(
    circle: Circle, origin: Membership, make_member: MakeMember, nominate: Nominate
) -> None:
    circle_update(circle=circle, actor=origin.user, nominate_after_days=30)
    member = make_member("alice")
    with pytest.raises(PermissionDenied):
        nominate(Membership.objects.get(pk=member.pk))
    Membership.objects.filter(pk=member.pk).update(joined_at=timezone.now() - timedelta(days=30, minutes=1))
    assert nominate(Membership.objects.get(pk=member.pk)).pk
    # Backdated: at a time before the 30 days were up, the same member is refused.
    with pytest.raises(PermissionDenied):
        nominate(
            Membership.objects.get(pk=member.pk), email="x@example.com", at=timezone.now() - timedelta(days=2)
        )
    # The organizer never waits.
    assert nominate(Membership.objects.get(pk=origin.pk), email="o@example.com").pk


def test_pending_cap_per_nominator(
    circle: Circle, origin: Membership, make_member: MakeMember, nominate: Nominate
) -> None:
    circle_update(circle=circle, actor=origin.user, max_pending_nominations=2)
    member = make_member("alice")
    first = nominate(member, email="1@example.com")
    nominate(member, email="2@example.com")
    with pytest.raises(Conflict):
        nominate(member, email="3@example.com")
    assert Nomination.objects.filter(nominator=member).count() == 2
    nomination_withdraw(nomination=first, nominator=member)
    assert nominate(member, email="3@example.com").pk


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"closeness": 0}, ServiceError),
        ({"closeness": 6}, ServiceError),
        ({"years_known": -1}, ServiceError),
        ({"years_known": 81}, ServiceError),
        ({"email": "", "phone": ""}, ServiceError),
        ({"email": "not-an-email"}, ServiceError),
        ({"reason": "   "}, ServiceError),
        ({"name": ""}, ServiceError),
        ({"relationship": "enemy"}, ServiceError),
        ({"draft_card": {"salary": "1"}}, ServiceError),
        ({"draft_card": {"city": "x" * 65}}, ServiceError),
    ],
)
def test_bad_nomination_changes_nothing(
    make_member: MakeMember, nominate: Nominate, overrides: dict, error: type[Exception]
) -> None:
    member = make_member("alice")
    with pytest.raises(error):
        nominate(member, **overrides)
    assert Nomination.objects.count() == 0


def test_phone_only_is_enough(make_member: MakeMember, nominate: Nominate) -> None:
    n = nominate(make_member("alice"), email="", phone="138 0000 0000")
    assert n.phone == "138 0000 0000"


def test_nominating_an_active_member_conflicts(make_member: MakeMember, nominate: Nominate) -> None:
    alice = make_member("alice")
    make_member("bob")
    with pytest.raises(Conflict):
        nominate(alice, email="BOB@example.com")
    nominate(alice, email="new@example.com")
    with pytest.raises(Conflict):  # already waiting for review
        nominate(alice, email="new@example.com")


# --- review ------------------------------------------------------------------------------------------


def test_approve_makes_hashed_expiring_link_and_mails_it(
    circle: Circle,
    origin: Membership,
    make_member: MakeMember,
    nominate: Nominate,
    django_capture_on_commit_callbacks,
) -> None:
    alice = make_member("alice")
    n = nominate(alice)
    with django_capture_on_commit_callbacks(execute=True):
        invitation, code = nomination_approve(nomination=n, reviewer=origin)
    assert len(code) >= 43
    assert invitation.code_hash == code_hash(code) != code
    assert not Invitation.objects.filter(code_hash=code).exists()
    assert invitation.expires_at - invitation.created_at == timedelta(hours=circle.invitation_ttl_hours)
    n.refresh_from_db()
    assert (n.status, n.reviewed_by) == (Nomination.Status.APPROVED, origin.user)
    recipients = sorted(r for m in mail.outbox for r in m.to)
    assert recipients == ["alice@example.com", "linxiao@example.com"]
    assert all(code in m.body for m in mail.outbox)


def test_only_reviewers_approve_and_reject(make_member: MakeMember, nominate: Nominate) -> None:
    alice, bob = make_member("alice"), make_member("bob")
    n = nominate(alice)
    with pytest.raises(PermissionDenied):
        nomination_approve(nomination=n, reviewer=bob)
    with pytest.raises(PermissionDenied):
        nomination_reject(nomination=n, reviewer=alice, reason="no")
    admin = make_member("admin", role=Membership.Role.ADMIN)
    nomination_approve(nomination=n, reviewer=admin)
    with pytest.raises(Conflict):  # decided once
        nomination_reject(nomination=n, reviewer=admin, reason="changed my mind")


def test_reject_needs_reason_and_keeps_it(
    origin: Membership, make_member: MakeMember, nominate: Nominate
) -> None:
    n = nominate(make_member("alice"))
    with pytest.raises(ServiceError):
        nomination_reject(nomination=n, reviewer=origin, reason=" ")
    n.refresh_from_db()
    assert n.status == Nomination.Status.PENDING
    nomination_reject(nomination=n, reviewer=origin, reason="和圈子方向不符")
    n.refresh_from_db()
    assert (n.status, n.reject_reason) == (Nomination.Status.REJECTED, "和圈子方向不符")


def test_withdraw_only_by_nominator_while_pending(
    origin: Membership, make_member: MakeMember, nominate: Nominate
) -> None:
    alice, bob = make_member("alice"), make_member("bob")
    n = nominate(alice)
    with pytest.raises(PermissionDenied):
        nomination_withdraw(nomination=n, nominator=bob)
    nomination_withdraw(nomination=n, nominator=alice)
    with pytest.raises(Conflict):
        nomination_approve(nomination=n, reviewer=origin)


def test_direct_invitation(circle: Circle, origin: Membership, make_member: MakeMember) -> None:
    invitation, code = invitation_direct(circle=circle, organizer=origin, name="王总", phone="13900000000")
    assert invitation.sponsor == origin
    assert invitation.nomination.direct and invitation.nomination.status == Nomination.Status.APPROVED
    with pytest.raises(PermissionDenied):
        invitation_direct(circle=circle, organizer=make_member("alice"), name="x", phone="1")
    m = invitation_accept(code=code, username="wang", password=PASSWORD, display_name="")
    assert m.card.display_name == "王总"
    assert m.sponsor == origin


# --- accept --------------------------------------------------------------------------------------------


def test_accept_creates_account_membership_tie_and_card(
    origin: Membership, make_member: MakeMember, nominate: Nominate
) -> None:
    alice = make_member("alice")
    invitation, code = nomination_approve(nomination=nominate(alice), reviewer=origin)
    m = invitation_accept(code=code, username="linxiao", password=PASSWORD, display_name="林晓 Lin")
    user = User.objects.get(username="linxiao")
    assert user.check_password(PASSWORD) and user.email == "linxiao@example.com"
    assert (m.user, m.sponsor, m.role, m.depth) == (user, alice, Membership.Role.MEMBER, 2)
    card = MemberCard.objects.get(membership=m)
    assert (card.display_name, card.company, card.city) == ("林晓 Lin", "晓光传媒", "上海")
    assert Tie.objects.filter(kind=Tie.Kind.SPONSOR, status=Tie.Status.CONFIRMED, member_high=m).exists()
    invitation.refresh_from_db()
    assert (invitation.accepted_by, invitation.membership) == (user, m)
    assert invitation.accepted_at is not None


def test_accept_joins_existing_account(
    origin: Membership, make_member: MakeMember, make_user, nominate: Nominate
) -> None:
    existing = make_user("linxiao")
    _, code = nomination_approve(nomination=nominate(make_member("alice")), reviewer=origin)
    m = invitation_accept(code=code, user=existing)
    assert m.user == existing and User.objects.filter(username="linxiao").count() == 1


def test_accept_when_already_member_conflicts(
    origin: Membership, make_member: MakeMember, nominate: Nominate
) -> None:
    bob = make_member("bob")
    _, code = nomination_approve(nomination=nominate(make_member("alice")), reviewer=origin)
    with pytest.raises(Conflict):
        invitation_accept(code=code, user=bob.user)
    assert Invitation.objects.get().accepted_at is None


def test_code_is_single_use(origin: Membership, make_member: MakeMember, nominate: Nominate) -> None:
    _, code = nomination_approve(nomination=nominate(make_member("alice")), reviewer=origin)
    invitation_accept(code=code, username="linxiao", password=PASSWORD)
    with pytest.raises(Conflict):
        invitation_accept(code=code, username="other", password=PASSWORD)
    assert not User.objects.filter(username="other").exists()


def test_expired_and_revoked_are_gone(
    origin: Membership, make_member: MakeMember, nominate: Nominate
) -> None:
    alice = make_member("alice")
    invitation, code = nomination_approve(nomination=nominate(alice), reviewer=origin)
    with pytest.raises(Gone):
        invitation_accept(code=code, username="late", password=PASSWORD, at=invitation.expires_at)
    invitation_revoke(invitation=invitation, actor=alice)  # the nominator may revoke
    with pytest.raises(Gone):
        invitation_accept(code=code, username="late", password=PASSWORD)
    with pytest.raises(NotFound):
        invitation_accept(code="nonsense", username="late", password=PASSWORD)
    assert not User.objects.filter(username="late").exists()


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("", PASSWORD),
        ("ok", ""),
        ("bad name!", PASSWORD),
        ("ok", "123"),
        ("ok", "password"),
        ("x" * 151, PASSWORD),
    ],
)
def test_bad_account_input_changes_nothing(
    origin: Membership, make_member: MakeMember, nominate: Nominate, username: str, password: str
) -> None:
    _, code = nomination_approve(nomination=nominate(make_member("alice")), reviewer=origin)
    users = User.objects.count()
    with pytest.raises(ServiceError) as err:
        invitation_accept(code=code, username=username, password=password)
    assert 400 <= err.value.status_code < 500
    assert User.objects.count() == users
    assert Invitation.objects.get().accepted_at is None


def test_taken_username_conflicts(origin: Membership, make_member: MakeMember, nominate: Nominate) -> None:
    _, code = nomination_approve(nomination=nominate(make_member("alice")), reviewer=origin)
    with pytest.raises(Conflict):
        invitation_accept(code=code, username="ALICE", password=PASSWORD)


def test_revoke_rules(origin: Membership, make_member: MakeMember, nominate: Nominate) -> None:
    alice, bob = make_member("alice"), make_member("bob")
    invitation, code = nomination_approve(nomination=nominate(alice), reviewer=origin)
    with pytest.raises(PermissionDenied):
        invitation_revoke(invitation=invitation, actor=bob)
    invitation_accept(code=code, username="linxiao", password=PASSWORD)
    with pytest.raises(Conflict):
        invitation_revoke(invitation=invitation, actor=origin)
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_reissue_revokes_old_link(origin: Membership, make_member: MakeMember, nominate: Nominate) -> None:
    old, old_code = nomination_approve(nomination=nominate(make_member("alice")), reviewer=origin)
    new, new_code = invitation_reissue(invitation=old, reviewer=origin)
    old.refresh_from_db()
    assert old.revoked_at is not None and new.nomination_id == old.nomination_id
    with pytest.raises(Gone):
        invitation_accept(code=old_code, username="linxiao", password=PASSWORD)
    with pytest.raises(Conflict):  # the old row is superseded
        invitation_reissue(invitation=old, reviewer=origin)
    invitation_accept(code=new_code, username="linxiao", password=PASSWORD)
    with pytest.raises(Conflict):
        invitation_reissue(invitation=new, reviewer=origin)


def test_removed_sponsor_cannot_be_joined(
    origin: Membership, make_member: MakeMember, nominate: Nominate
) -> None:
    alice = make_member("alice")
    _, code = nomination_approve(nomination=nominate(alice), reviewer=origin)
    membership_remove(membership=alice, actor=origin, reason="违反群规")
    with pytest.raises(Gone):
        invitation_accept(code=code, username="linxiao", password=PASSWORD)
    assert not User.objects.filter(username="linxiao").exists()


# --- track record ------------------------------------------------------------------------------------


def test_track_record(
    circle: Circle, origin: Membership, make_member: MakeMember, nominate: Nominate
) -> None:
    circle_update(circle=circle, actor=origin.user, max_pending_nominations=10)
    alice = make_member("alice")
    _a, code_a = nomination_approve(nomination=nominate(alice, email="a@example.com"), reviewer=origin)
    _b, code_b = nomination_approve(nomination=nominate(alice, email="b@example.com"), reviewer=origin)
    nomination_approve(nomination=nominate(alice, email="c@example.com"), reviewer=origin)  # not used yet
    nomination_reject(nomination=nominate(alice, email="d@example.com"), reviewer=origin, reason="不合适")
    invitation_accept(code=code_a, username="na", password=PASSWORD)
    mb = invitation_accept(code=code_b, username="nb", password=PASSWORD)
    membership_remove(membership=mb, actor=origin, reason="违规")
    nominate(alice, email="e@example.com")
    record = track_records(nominator_ids={alice.pk})[alice.pk]
    assert (record.nominated, record.pending, record.approved, record.rejected) == (5, 1, 3, 1)
    assert (record.active, record.removed) == (1, 1)
    queue = nominations_pending(circle=circle)
    assert [n.email for n in queue] == ["e@example.com"]
    assert queue[0].track_record == record  # type: ignore[attr-defined]
