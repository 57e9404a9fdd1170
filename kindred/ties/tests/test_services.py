"""The tie state machine: declare, confirm, ignore, and every refusal (which changes nothing)."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.utils import timezone

from kindred.circles.models import Membership
from kindred.circles.services import membership_remove
from kindred.core.models import AuditEvent
from kindred.core.services import Conflict, NotFound, PermissionDenied, ServiceError
from kindred.ties.models import EARLIEST_SINCE_YEAR, Tie
from kindred.ties.selectors import INCOMING, OUTGOING, tie_get_for_member, tie_overview
from kindred.ties.services import tie_confirm, tie_declare, tie_ignore
from kindred.ties.tests.conftest import tie_snapshot

pytestmark = pytest.mark.django_db


def test_declare_makes_a_pending_tie_with_an_audit_row(alice: Membership, bob: Membership) -> None:
    tie = tie_declare(declarer=alice, other=bob, kind="colleague", since_year=2015)
    assert tie.status == Tie.Status.PENDING
    assert (tie.member_low_id, tie.member_high_id) == tuple(sorted((alice.pk, bob.pk)))
    assert tie.declared_by_id == alice.pk
    assert (tie.kind, tie.since_year, tie.confirmed_at) == ("colleague", 2015, None)
    event = AuditEvent.objects.get(action="tie_declared")
    assert (event.actor_id, event.target_id, event.data["other"]) == (alice.user_id, tie.pk, bob.pk)


def test_declaring_back_confirms_the_request(alice: Membership, bob: Membership) -> None:
    first = tie_declare(declarer=alice, other=bob, kind="classmate")
    tie = tie_declare(declarer=bob, other=alice, kind="friend", since_year=2001)
    assert tie.pk == first.pk
    assert tie.status == Tie.Status.CONFIRMED
    assert tie.confirmed_at is not None
    # The first declaration's kind stands; a missing year is filled in.
    assert (tie.kind, tie.since_year) == ("classmate", 2001)
    assert Tie.objects.filter(member_low_id=tie.member_low_id, member_high_id=tie.member_high_id).count() == 1
    assert AuditEvent.objects.filter(action="tie_confirmed", actor=bob.user).count() == 1


def test_the_other_party_confirms_and_the_tie_is_mutual(alice: Membership, bob: Membership) -> None:
    tie = tie_declare(declarer=alice, other=bob, kind="friend")
    confirmed = tie_confirm(tie=tie, member=bob)
    assert confirmed.status == Tie.Status.CONFIRMED
    for me, them in ((alice, bob), (bob, alice)):
        view = tie_get_for_member(membership=me, tie_id=tie.pk)
        assert (view.direction, view.status, view.partner.pk) == ("mutual", "confirmed", them.pk)
    assert AuditEvent.objects.filter(action="tie_confirmed", actor=bob.user, target_id=tie.pk).exists()


def test_the_declarer_cannot_confirm_their_own_request(alice: Membership, bob: Membership) -> None:
    tie = tie_declare(declarer=alice, other=bob, kind="friend")
    before = tie_snapshot()
    with pytest.raises(PermissionDenied):
        tie_confirm(tie=tie, member=alice)
    with pytest.raises(PermissionDenied):
        tie_ignore(tie=tie, member=alice)
    assert tie_snapshot() == before


def test_a_third_member_cannot_answer(alice: Membership, bob: Membership, carol: Membership) -> None:
    tie = tie_declare(declarer=alice, other=bob, kind="friend")
    before = tie_snapshot()
    with pytest.raises(NotFound):
        tie_confirm(tie=tie, member=carol)
    with pytest.raises(NotFound):
        tie_ignore(tie=tie, member=carol)
    assert tie_snapshot() == before


def test_double_declare_is_a_conflict(alice: Membership, bob: Membership) -> None:
    tie_declare(declarer=alice, other=bob, kind="friend")
    before = tie_snapshot()
    with pytest.raises(Conflict) as exc:
        tie_declare(declarer=alice, other=bob, kind="partner", since_year=2020)
    assert exc.value.code == "already_declared"
    assert tie_snapshot() == before


def test_declaring_a_confirmed_tie_is_a_conflict(origin: Membership, alice: Membership) -> None:
    # alice joined under the origin: their sponsor tie is confirmed.
    before = tie_snapshot()
    for declarer, other in ((alice, origin), (origin, alice)):
        with pytest.raises(Conflict) as exc:
            tie_declare(declarer=declarer, other=other, kind="friend")
        assert exc.value.status_code == 409
        assert exc.value.code == "already_tied"
    assert tie_snapshot() == before


def test_a_confirmed_tie_cannot_be_confirmed_or_ignored_again(alice: Membership, bob: Membership) -> None:
    tie = tie_confirm(tie=tie_declare(declarer=alice, other=bob, kind="friend"), member=bob)
    before = tie_snapshot()
    with pytest.raises(Conflict):
        tie_confirm(tie=tie, member=bob)
    with pytest.raises(Conflict):
        tie_ignore(tie=tie, member=bob)
    assert tie_snapshot() == before


@pytest.mark.parametrize(
    ("kind", "since_year", "code"),
    [
        ("sponsor", None, "bad_kind"),
        ("enemy", None, "bad_kind"),
        ("friend", EARLIEST_SINCE_YEAR - 1, "bad_since_year"),
        ("friend", "next", "bad_since_year"),
    ],
)
def test_bad_kind_or_year_is_refused(
    alice: Membership, bob: Membership, kind: str, since_year: int | str | None, code: str
) -> None:
    year = timezone.localdate().year + 1 if since_year == "next" else since_year
    before = tie_snapshot()
    with pytest.raises(ServiceError) as exc:
        tie_declare(declarer=alice, other=bob, kind=kind, since_year=year)  # type: ignore[arg-type]
    assert exc.value.code == code
    assert exc.value.status_code == 400
    assert tie_snapshot() == before


def test_this_year_and_the_earliest_year_are_fine(
    alice: Membership, bob: Membership, carol: Membership
) -> None:
    assert tie_declare(declarer=alice, other=bob, kind="friend", since_year=timezone.localdate().year).pk
    assert tie_declare(declarer=alice, other=carol, kind="other", since_year=EARLIEST_SINCE_YEAR).pk


def test_a_tie_with_yourself_is_refused(alice: Membership) -> None:
    before = tie_snapshot()
    with pytest.raises(ServiceError) as exc:
        tie_declare(declarer=alice, other=alice, kind="friend")
    assert exc.value.code == "self_tie"
    assert tie_snapshot() == before


def test_a_tie_across_circles_is_refused(alice: Membership, outsider: Membership) -> None:
    before = tie_snapshot()
    for declarer, other in ((alice, outsider), (outsider, alice)):
        with pytest.raises(ServiceError) as exc:
            tie_declare(declarer=declarer, other=other, kind="friend")
        assert exc.value.code == "other_circle"
    assert tie_snapshot() == before


def test_removed_members_can_neither_declare_nor_be_declared(
    origin: Membership, alice: Membership, bob: Membership
) -> None:
    membership_remove(membership=bob, actor=origin, reason="离开了行业")
    before = tie_snapshot()
    with pytest.raises(ServiceError) as exc:
        tie_declare(declarer=alice, other=bob, kind="friend")
    assert exc.value.code == "member_removed"
    # A stale object of the removed member, as a request begun before the removal would hold.
    with pytest.raises(PermissionDenied):
        tie_declare(declarer=bob, other=alice, kind="friend")
    assert tie_snapshot() == before


def test_a_request_from_a_member_removed_since_cannot_be_confirmed(
    origin: Membership, alice: Membership, bob: Membership
) -> None:
    tie = tie_declare(declarer=alice, other=bob, kind="friend")
    membership_remove(membership=alice, actor=origin, reason="违反圈规")
    before = tie_snapshot()
    with pytest.raises(ServiceError) as exc:
        tie_confirm(tie=tie, member=bob)
    assert exc.value.code == "member_removed"
    assert tie_snapshot() == before
    # And the request no longer shows among bob's.
    assert tie_overview(membership=bob).incoming == []


def test_ignore_is_quiet(alice: Membership, bob: Membership) -> None:
    tie = tie_declare(declarer=alice, other=bob, kind="friend")
    ignored = tie_ignore(tie=tie, member=bob)
    assert ignored.status == Tie.Status.IGNORED
    assert AuditEvent.objects.filter(action="tie_ignored", actor=bob.user).count() == 1
    # The declarer still sees a pending request, and asking again gets the same answer as before.
    mine = tie_overview(membership=alice)
    assert [(v.partner.pk, v.direction, v.status) for v in mine.outgoing] == [(bob.pk, OUTGOING, "pending")]
    with pytest.raises(Conflict) as exc:
        tie_declare(declarer=alice, other=bob, kind="friend")
    assert exc.value.code == "already_declared"
    # The one who ignored no longer has it among their requests; ignoring again changes nothing.
    assert tie_overview(membership=bob).incoming == []
    before = tie_snapshot()
    assert tie_ignore(tie=tie, member=bob).status == Tie.Status.IGNORED
    assert tie_snapshot() == before


def test_who_ignored_may_change_their_mind_by_declaring_back(alice: Membership, bob: Membership) -> None:
    tie = tie_ignore(tie=tie_declare(declarer=alice, other=bob, kind="colleague"), member=bob)
    again = tie_declare(declarer=bob, other=alice, kind="friend")
    assert (again.pk, again.status, again.kind) == (tie.pk, Tie.Status.CONFIRMED, "colleague")


def test_who_ignored_may_change_their_mind_by_confirming(alice: Membership, bob: Membership) -> None:
    tie = tie_ignore(tie=tie_declare(declarer=alice, other=bob, kind="friend"), member=bob)
    view = tie_get_for_member(membership=bob, tie_id=tie.pk)
    assert (view.direction, view.status) == (INCOMING, "ignored")
    assert tie_confirm(tie=tie, member=bob).status == Tie.Status.CONFIRMED


def test_at_back_dates_the_tie(alice: Membership, bob: Membership) -> None:
    declared = timezone.make_aware(datetime(2026, 3, 1, 10, 0))
    confirmed = timezone.make_aware(datetime(2026, 3, 2, 9, 30))
    tie = tie_declare(declarer=alice, other=bob, kind="friend", since_year=2010, at=declared)
    tie_confirm(tie=tie, member=bob, at=confirmed)
    tie.refresh_from_db()
    assert (tie.created_at, tie.confirmed_at) == (declared, confirmed)
