"""The meetup pages' one-query reads give what the ORM reads (meetup_lists, meetup_for_member) give: the same
meetups for each member (open ones, by invitation only to the host and invitees), in the same order, with the
same counts and the member's own answer; at most PAST_LIMIT past ones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kindred.circles.models import Membership
from kindred.circles.services import card_update
from kindred.core.fragments import CSRF_SLOT
from kindred.core.services import NotFound
from kindred.meetups import selectors
from kindred.meetups.models import Meetup
from kindred.meetups.services import (
    checkin_record,
    feed_create,
    followup_create,
    meetup_invite,
    rsvp_set,
    trip_create,
)

pytestmark = pytest.mark.django_db


def _shown(meetups: list[Meetup], host_name: Callable[[Meetup], str]) -> list[tuple]:
    return [
        (m.pk, host_name(m), m.going_count, m.waitlist_count, m.checked_in_count, m.my_status)  # type: ignore[attr-defined]
        for m in meetups
    ]


def _host_name(m: Meetup) -> str:
    return str(getattr(m, "host_name"))  # noqa: B009 - read by the one-query selectors


@pytest.mark.parametrize("past_limit", [50, 2])
def test_one_query_lists_read_as_the_orm_does(
    dinner: Callable[..., Meetup],
    alice: Membership,
    bob: Membership,
    carol: Membership,
    past_limit: int,
    monkeypatch: pytest.MonkeyPatch,
    django_assert_num_queries: Callable,
) -> None:
    monkeypatch.setattr(selectors, "PAST_LIMIT", past_limit)
    full = dinner(title="满员饭局", capacity=1)
    invited = dinner(title="邀请制", access=Meetup.Access.INVITATION, invitee_ids=[alice.pk])
    dinner(title="别人的邀请制", access=Meetup.Access.INVITATION, invitee_ids=[bob.pk])
    dinner(
        title="爱丽的饭局",
        host=alice,
        access=Meetup.Access.INVITATION,
        starts_at=full.starts_at + timedelta(days=1),
    )
    rsvp_set(meetup=full, member=bob, answer="yes")
    rsvp_set(meetup=full, member=carol, answer="yes")  # waitlisted
    rsvp_set(meetup=full, member=alice, answer="maybe")
    rsvp_set(meetup=invited, member=alice, answer="yes")
    checkin_record(meetup=invited, actor=alice, at=invited.starts_at + timedelta(minutes=10))
    later = timezone.now() + timedelta(days=60)
    mine = {m.pk: m for m in selectors.meetup_page_lists(member=alice)[0]}
    assert (mine[invited.pk].checked_in_count, mine[invited.pk].my_status) == (1, "going")  # type: ignore[attr-defined]
    assert mine[full.pk].going_count == 1 and mine[full.pk].waitlist_count >= 1  # type: ignore[attr-defined]
    for member in (alice, bob, carol):
        for now in (timezone.now(), later):
            orm = selectors.meetup_lists(member=member, now=now)
            with django_assert_num_queries(1):
                upcoming, past = selectors.meetup_page_lists(member=member, now=now)
            expected = (
                _shown(orm.upcoming, lambda m: m.host.card.display_name),
                _shown(orm.past, lambda m: m.host.card.display_name),
            )
            assert (_shown(upcoming, _host_name), _shown(past, _host_name)) == expected
            assert len(past) <= past_limit
        for m in Meetup.objects.all():
            try:
                orm_one = [selectors.meetup_for_member(member=member, meetup_id=m.pk)]
            except NotFound:
                orm_one = []
            try:
                one = [selectors.meetup_page_one(member=member, meetup_id=m.pk)]
            except NotFound:
                one = []
            assert _shown(one, _host_name) == _shown(orm_one, lambda m: m.host.card.display_name)


def test_one_query_people_read_as_the_orm_does(
    dinner: Callable[..., Meetup],
    origin: Membership,
    alice: Membership,
    bob: Membership,
    carol: Membership,
    make_member: Callable[..., Membership],
    django_assert_num_queries: Callable,
) -> None:
    meetup = dinner(capacity=2, access=Meetup.Access.INVITATION, invitee_ids=[alice.pk, bob.pk, carol.pk])
    dave = make_member("dave", display_name="丁一")
    meetup_invite(meetup=meetup, actor=origin, member_ids=[dave.pk])
    for member, answer in ((carol, "yes"), (alice, "yes"), (bob, "yes"), (dave, "maybe")):
        rsvp_set(meetup=meetup, member=member, answer=answer)  # bob waits
    checkin_record(meetup=meetup, actor=origin, member=alice, at=meetup.starts_at)
    followup_create(meetup=meetup, actor=origin, member_a=alice, member_b=carol, note="聊聊发行")
    for member in (alice, bob, dave, origin):
        orm = selectors.meetup_detail(member=member, meetup=meetup)
        with django_assert_num_queries(1):
            page = selectors.meetup_page_detail(member=member, meetup_id=meetup.pk)
        for mine, theirs in ((page.going, orm.going), (page.waitlist, orm.waitlist), (page.maybe, orm.maybe)):
            assert [(p.member_id, p.name, p.status, p.checked_in) for p in mine] == [
                (r.member_id, r.member.card.display_name, r.status, r.checked_in_at is not None)
                for r in theirs
            ]
        assert [(p.member_id, p.name) for p in page.invitees] == [
            (m.pk, m.card.display_name) for m in orm.invitees
        ]
        assert [(f.a_name, f.b_name, f.note) for f in page.followups] == [
            (f.member_a.card.display_name, f.member_b.card.display_name, f.note) for f in orm.followups
        ]
        assert (page.mine and (page.mine.status, page.mine.status_label)) == (
            orm.mine and (orm.mine.status, orm.mine.get_status_display())
        )
    assert [p.name for p in page.waitlist] == ["李博"] and len(page.invitees) == 4


def _page(member: Membership, url: str, language: str = "zh-hans") -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(member.user, backend="kindred.accounts.backends.ModelBackend")
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _going(page: str, meetup: Meetup) -> int:
    card = page.split(f'id="meetup-{meetup.pk}"')[1].split("</div>\n</div>")[0]
    return int(card.split(" going")[0].split()[-1])


def test_an_answer_shows_at_once_and_the_trip_form_follows_the_language(
    dinner: Callable[..., Meetup], alice: Membership, bob: Membership
) -> None:
    meetup = dinner()
    detail, listing = f"/c/xinwenyu/meetups/{meetup.pk}/", "/c/xinwenyu/meetups/"
    assert f'id="going-{bob.pk}"' not in _page(alice, detail)
    going = _going(_page(alice, listing, "en"), meetup)
    rsvp_set(meetup=meetup, member=bob, answer="yes")
    assert f'id="going-{bob.pk}"' in _page(alice, detail) and 'id="my-status"' not in _page(alice, detail)
    assert _going(_page(alice, listing, "en"), meetup) == going + 1
    rsvp_set(meetup=meetup, member=alice, answer="maybe")
    assert 'id="my-status"' in _page(alice, detail)
    zh, en = _page(alice, listing), _page(alice, listing, "en")
    assert 'name="city"' in zh and "城市" in zh.split('id="trip-form"')[1].split("</form>")[0]
    assert "City" in en.split('id="trip-form"')[1].split("</form>")[0]
    card_update(membership=meetup.host, fields={"display_name": "新东道主"})
    assert "新东道主" in _page(alice, listing) and "新东道主" in _page(alice, detail)


def test_the_kept_page_carries_each_viewers_token_and_the_hosts_forms(
    dinner: Callable[..., Meetup], origin: Membership, alice: Membership
) -> None:
    meetup = dinner()
    url = f"/c/xinwenyu/meetups/{meetup.pk}/"
    assert f"meetups/{meetup.pk}/notes/" not in _page(alice, url)
    _page(origin, url)  # the host's page, kept
    client = Client(enforce_csrf_checks=True)
    client.force_login(origin.user, backend="kindred.accounts.backends.ModelBackend")
    page = client.get(url).content.decode()
    assert CSRF_SLOT not in page
    form = page.split(f'action="/c/xinwenyu/meetups/{meetup.pk}/notes/"')[1]
    token = form.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = client.post(
        f"/c/xinwenyu/meetups/{meetup.pk}/notes/", {"notes": "带名片", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert "带名片" in _page(alice, url)


def test_trips_and_the_calendar_link_in_one_query(
    alice: Membership, bob: Membership, django_assert_num_queries: Callable
) -> None:
    with django_assert_num_queries(1):
        assert selectors.trips_and_feed(member=alice) == ([], False)
    today = timezone.localdate()
    trip_create(
        traveller=bob, city="上海", starts_on=today + timedelta(days=3), ends_on=today + timedelta(days=5)
    )
    trip_create(
        traveller=alice, city="北京", starts_on=today + timedelta(days=1), ends_on=today + timedelta(days=2)
    )
    feed_create(member=alice)
    with django_assert_num_queries(1):
        trips, feed = selectors.trips_and_feed(member=alice)
    assert feed is True and selectors.trips_and_feed(member=bob)[1] is False
    assert [(t["city"], t["traveller_name"], t["starts_on"]) for t in trips] == [
        ("北京", "王爱丽", today + timedelta(days=1)),
        ("上海", "李博", today + timedelta(days=3)),
    ]
    assert selectors.trips_and_feed(member=alice, today=today + timedelta(days=4))[0][0]["city"] == "上海"
    page = _page(alice, "/c/xinwenyu/meetups/")
    assert (
        "李博 · 上海" in page and "/meetups/calendar/revoke/" in page
    )  # the link is on: it can be turned off
