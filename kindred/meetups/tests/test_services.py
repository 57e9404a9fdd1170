"""Meetup rules: times and seats, invitation-only visibility, RSVPs and the waitlist, check-ins and the
met-offline ties they record, reminders, the calendar feed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from kindred.circles.models import Circle, Membership
from kindred.circles.services import membership_remove
from kindred.core.models import AuditEvent
from kindred.core.services import NotFound, PermissionDenied, ServiceError
from kindred.meetups import selectors, services
from kindred.meetups.models import CalendarFeed, Meetup, Rsvp, Trip
from kindred.notifications.models import Notification
from kindred.ties.models import Tie
from kindred.ties.services import tie_declare

from .conftest import next_week

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, int, int, int]:
    return (Meetup.objects.count(), Rsvp.objects.count(), Trip.objects.count(), AuditEvent.objects.count())


def test_meetup_create_refuses_bad_input_and_changes_nothing(
    dinner: Callable[..., Meetup], circle: Circle, make_member: Callable[..., Membership]
) -> None:
    from kindred.circles.services import circle_create

    other = circle_create(creator=make_member("x").user, name="别的", slug="other", display_name="X")
    outsider = Membership.objects.get(circle=other)
    before = _counts()
    start = next_week()
    cases: list[dict[str, object]] = [
        {"ends_at": start - timedelta(minutes=1)},
        {"ends_at": start},
        {"capacity": 0},
        {"capacity": -3},
        {"title": "   "},
        {"starts_at": timezone.now() - timedelta(days=1)},
        {"tz": "Mars/Olympus"},
    ]
    for case in cases:
        with pytest.raises(ServiceError):
            dinner(**case)
    with pytest.raises(ServiceError):
        dinner(invitee_ids=[outsider.pk])
    assert _counts() == before


def test_trip_create_refuses_end_before_start(origin: Membership) -> None:
    with pytest.raises(ServiceError) as err:
        services.trip_create(
            traveller=origin, city="上海", starts_on=date(2026, 12, 5), ends_on=date(2026, 12, 3)
        )
    assert err.value.code == "ends_before_start"
    assert not Trip.objects.exists()


def test_invitation_only_is_invisible_to_the_uninvited(
    dinner: Callable[..., Meetup], alice: Membership, bob: Membership
) -> None:
    m = dinner(access=Meetup.Access.INVITATION, invitee_ids=[alice.pk])
    assert selectors.meetup_for_member(member=alice, meetup_id=m.pk).pk == m.pk
    with pytest.raises(NotFound):
        selectors.meetup_for_member(member=bob, meetup_id=m.pk)
    with pytest.raises(NotFound):
        services.rsvp_set(meetup=m, member=bob, answer="yes")
    assert [x.pk for x in selectors.meetup_lists(member=bob).upcoming] == []
    assert Notification.objects.filter(recipient=alice, kind="meetups.invited").count() == 1
    assert len(mail.outbox) == 0  # sent after the commit (the test's transaction never commits)


def test_waitlist_promotes_in_order_when_a_seat_frees(
    dinner: Callable[..., Meetup], alice: Membership, bob: Membership, carol: Membership
) -> None:
    m = dinner(capacity=2)  # the host takes one seat
    assert services.rsvp_set(meetup=m, member=alice, answer="yes").status == Rsvp.Status.GOING
    assert services.rsvp_set(meetup=m, member=bob, answer="yes").status == Rsvp.Status.WAITLISTED
    assert services.rsvp_set(meetup=m, member=carol, answer="yes").status == Rsvp.Status.WAITLISTED
    # Saying yes again keeps the place in the queue.
    assert services.rsvp_set(meetup=m, member=bob, answer="yes").status == Rsvp.Status.WAITLISTED
    services.rsvp_set(meetup=m, member=alice, answer="no")
    statuses = dict(Rsvp.objects.filter(meetup=m).values_list("member_id", "status"))
    assert statuses[bob.pk] == Rsvp.Status.GOING
    assert statuses[carol.pk] == Rsvp.Status.WAITLISTED
    assert Notification.objects.filter(recipient=bob, kind="meetups.promoted").count() == 1
    # More seats promote the rest.
    services.meetup_capacity_set(meetup=m, actor=m.host, capacity=5)
    assert Rsvp.objects.get(meetup=m, member=carol).status == Rsvp.Status.GOING


def test_rsvp_after_start_and_host_rules(
    dinner: Callable[..., Meetup], alice: Membership, origin: Membership
) -> None:
    m = dinner()
    with pytest.raises(ServiceError) as err:
        services.rsvp_set(meetup=m, member=alice, answer="yes", at=m.starts_at + timedelta(minutes=1))
    assert err.value.code == "started"
    with pytest.raises(ServiceError):
        services.rsvp_set(meetup=m, member=origin, answer="no")
    with pytest.raises(ServiceError):
        services.rsvp_set(meetup=m, member=alice, answer="perhaps")
    assert not Rsvp.objects.filter(member=alice).exists()


def test_checkin_records_met_offline_ties_between_everyone_checked_in(
    dinner: Callable[..., Meetup], alice: Membership, bob: Membership, carol: Membership, origin: Membership
) -> None:
    m = dinner()
    tie_declare(declarer=alice, other=bob, kind="friend")  # pending: stays pending, gains the fact
    for who in (alice, bob):
        services.rsvp_set(meetup=m, member=who, answer="yes")
    during = m.starts_at + timedelta(minutes=30)
    with pytest.raises(ServiceError):  # not going: cannot check in themself
        services.checkin_record(meetup=m, actor=carol, at=during)
    with pytest.raises(ServiceError):  # too early
        services.checkin_record(meetup=m, actor=alice, at=m.starts_at - timedelta(days=1))
    with pytest.raises(PermissionDenied):  # only the host checks others in
        services.checkin_record(meetup=m, actor=alice, member=bob, at=during)
    services.checkin_record(meetup=m, actor=alice, at=during)
    services.checkin_record(meetup=m, actor=origin, at=during)  # the host themself
    services.checkin_record(meetup=m, actor=origin, member=bob, at=during)
    services.checkin_record(meetup=m, actor=origin, member=carol, at=during)  # a walk-in
    services.checkin_record(meetup=m, actor=carol, at=during)  # twice: nothing more
    ties = {(t.member_low_id, t.member_high_id): t for t in Tie.objects.filter(met_offline_at__isnull=False)}
    people = sorted([origin.pk, alice.pk, bob.pk, carol.pk])
    assert len(ties) == 6
    for i, a in enumerate(people):
        for b in people[i + 1 :]:
            assert ties[(a, b)].met_offline_at == during
    ab = ties[tuple(sorted((alice.pk, bob.pk)))]  # type: ignore[index]
    assert ab.status == Tie.Status.PENDING and ab.kind == "friend"
    ac = ties[tuple(sorted((alice.pk, carol.pk)))]  # type: ignore[index]
    assert ac.status == Tie.Status.CONFIRMED and ac.kind == Tie.Kind.MET
    detail = selectors.meetup_detail(member=alice, meetup=m)
    assert len(detail.checked_in) == 4


def test_followups_and_notes_by_the_host_only(
    dinner: Callable[..., Meetup], alice: Membership, bob: Membership, carol: Membership, origin: Membership
) -> None:
    m = dinner()
    for who in (alice, bob):
        services.rsvp_set(meetup=m, member=who, answer="yes")
    with pytest.raises(PermissionDenied):
        services.meetup_notes_set(meetup=m, actor=alice, notes="x")
    services.meetup_notes_set(meetup=m, actor=origin, notes="聊了短剧出海")
    services.followup_create(meetup=m, actor=origin, member_a=alice, member_b=bob, note="版权合作")
    with pytest.raises(ServiceError):
        services.followup_create(meetup=m, actor=origin, member_a=alice, member_b=carol)
    detail = selectors.meetup_detail(member=bob, meetup=m)
    assert [(f.member_a_id, f.member_b_id) for f in detail.followups] == [(alice.pk, bob.pk)]


def test_reminders_are_sent_once(
    dinner: Callable[..., Meetup],
    alice: Membership,
    bob: Membership,
    django_capture_on_commit_callbacks: object,
) -> None:
    m = dinner()
    services.rsvp_set(meetup=m, member=alice, answer="yes")
    services.rsvp_set(meetup=m, member=bob, answer="maybe")
    early = m.starts_at - timedelta(days=3)
    assert services.reminders_send(now=early) == 0
    soon = m.starts_at - timedelta(hours=5)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        assert services.reminders_send(now=soon) == 2  # the host and alice
    assert services.reminders_send(now=soon) == 0
    assert services.reminders_send(now=soon + timedelta(hours=1)) == 0
    assert Notification.objects.filter(kind="meetups.reminder").count() == 2
    assert sorted(x.to[0] for x in mail.outbox) == ["alice@example.com", "organizer@example.com"]
    assert "上海饭局" in mail.outbox[0].subject


def test_feed_token_is_hashed_revocable_and_shows_my_meetups(
    dinner: Callable[..., Meetup], alice: Membership, bob: Membership, origin: Membership
) -> None:
    mine = dinner(title="我的饭局")
    dinner(title="别人的饭局")
    services.rsvp_set(meetup=mine, member=alice, answer="maybe")
    feed, raw = services.feed_create(member=alice)
    assert raw not in feed.token_hash and len(feed.token_hash) == 64
    got = selectors.feed_for_token(token=raw)
    assert [m.title for m in got.meetups] == ["我的饭局"]
    _, raw2 = services.feed_create(member=alice)  # a new URL retires the old one
    with pytest.raises(NotFound):
        selectors.feed_for_token(token=raw)
    assert selectors.feed_for_token(token=raw2).member.pk == alice.pk
    assert services.feed_revoke(member=alice) == 1
    with pytest.raises(NotFound):
        selectors.feed_for_token(token=raw2)
    assert CalendarFeed.objects.filter(member=alice, revoked_at__isnull=True).count() == 0
    _, raw3 = services.feed_create(member=bob)
    membership_remove(membership=bob, actor=origin, reason="测试")
    with pytest.raises(NotFound):
        selectors.feed_for_token(token=raw3)


def test_trip_suggestions_rank_by_tie_and_overlap_and_mark_never_met(
    origin: Membership, make_member: Callable[..., Membership]
) -> None:
    from kindred.circles.services import card_update

    card_update(membership=origin, fields={"needs": "找短剧发行和投资", "city": "北京"})
    plain = make_member("plain", display_name="普通", city="上海")
    match = make_member("match", display_name="发行", city="上海", offers="短剧发行")
    make_member("far", display_name="北京人", city="北京", offers="短剧发行")
    tied = make_member("tied", display_name="老友", city=" 上海 ")
    trip = services.trip_create(
        traveller=origin, city="上海", starts_on=date(2026, 12, 3), ends_on=date(2026, 12, 5)
    )
    got = selectors.trip_suggestions(trip=trip)
    # tied: the sponsor tie with the traveller (make_member under the origin) — everyone here has one.
    names = [s.member.card.display_name for s in got]
    assert set(names) == {"普通", "发行", "老友"}
    assert names[0] == "发行"
    assert "短剧" in got[0].overlap or "发行" in got[0].overlap
    assert all(not s.met_offline for s in got)
    assert tied.pk in {s.member.pk for s in got} and plain.pk in {s.member.pk for s in got}
    assert match.pk == got[0].member.pk
    m = services.meetup_from_trip(trip=trip, host=origin, member_ids=[match.pk, plain.pk], title="上海小聚")
    assert m.access == Meetup.Access.INVITATION and m.city == "上海"
    assert timezone.localtime(m.starts_at).date() == date(2026, 12, 3)
    assert sorted(m.invitees.values_list("member_id", flat=True)) == sorted([match.pk, plain.pk])


def test_remind_command_is_idempotent(dinner: Callable[..., Meetup], alice: Membership) -> None:
    from io import StringIO

    from django.core.management import call_command

    soon = timezone.now() + timedelta(hours=3)
    m = dinner(starts_at=soon)
    services.rsvp_set(meetup=m, member=alice, answer="yes")
    out = StringIO()
    call_command("meetups", "remind", stdout=out)
    call_command("meetups", "remind", stdout=out)
    assert out.getvalue().splitlines() == ["2 reminder(s) sent", "0 reminder(s) sent"]
    assert Rsvp.objects.filter(meetup=m, reminded_at__isnull=False).count() == 2
