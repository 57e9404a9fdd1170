"""Meetup pages: Chinese by default, 404 for outsiders and the uninvited, forms refusing bad input with a
400 and nothing changed, constant query counts for the list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kindred.circles.models import Membership
from kindred.meetups.models import Meetup, Rsvp, Trip
from kindred.meetups.selectors import meetup_lists
from kindred.meetups.services import rsvp_set

from .conftest import next_week

# session (none when the session is cached), user, membership, the lists (one), the news from the inbox, the
# trips with whether the calendar link is on (one)
LIST_PAGE_QUERIES = 6

pytestmark = pytest.mark.django_db


def _client(m: Membership) -> Client:
    c = Client()
    c.force_login(m.user)
    return c


def test_pages_are_chinese_and_invitation_only_is_404_for_the_uninvited(
    dinner: Callable[..., Meetup], alice: Membership, bob: Membership
) -> None:
    m = dinner(access=Meetup.Access.INVITATION, invitee_ids=[alice.pk])
    page = _client(alice).get("/c/xinwenyu/meetups/")
    assert (
        page.status_code == 200 and "即将举行" in page.content.decode() and m.title in page.content.decode()
    )
    assert m.title not in _client(bob).get("/c/xinwenyu/meetups/").content.decode()
    for url in (f"/c/xinwenyu/meetups/{m.pk}/", f"/c/xinwenyu/meetups/{m.pk}/meetup.ics"):
        assert _client(bob).get(url).status_code == 404
        assert _client(alice).get(url).status_code == 200
    assert _client(bob).post(f"/c/xinwenyu/meetups/{m.pk}/rsvp/", {"answer": "yes"}).status_code == 404
    assert not Rsvp.objects.filter(member=bob).exists()


def test_forms_refuse_bad_input_with_400_and_change_nothing(origin: Membership) -> None:
    c = _client(origin)
    start = next_week()
    data: dict[str, Any] = {
        "title": "饭局",
        "city": "上海",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "access": "open",
    }
    r = c.post("/c/xinwenyu/meetups/new/", data)
    assert r.status_code == 400 and "结束时间必须晚于开始时间" in r.content.decode()
    r = c.post(
        "/c/xinwenyu/meetups/new/",
        {**data, "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), "capacity": "-2"},
    )
    assert r.status_code == 400
    r = c.post("/c/xinwenyu/trips/", {"city": "上海", "starts_on": "2026-12-05", "ends_on": "2026-12-03"})
    assert r.status_code == 400
    assert not Meetup.objects.exists() and not Trip.objects.exists()
    r = c.post(
        "/c/xinwenyu/meetups/new/",
        {**data, "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")},
    )
    assert r.status_code == 302 and Meetup.objects.get().starts_at == start


@pytest.mark.parametrize("size", [10, 60])
def test_meetup_lists_constant_queries(
    size: int, dinner: Callable[..., Meetup], make_member: Callable[..., Membership], alice: Membership
) -> None:
    meetups = [dinner(title=f"饭局{i}") for i in range(size // 10)]
    for i in range(size):
        m = make_member(f"g{size}_{i}")
        rsvp_set(meetup=meetups[i % len(meetups)], member=m, answer="yes")
    with CaptureQueriesContext(connection) as ctx:
        lists = meetup_lists(member=alice)
        assert len(lists.upcoming) == len(meetups)
    assert len(ctx.captured_queries) == 3
    client = _client(alice)
    client.get("/c/xinwenyu/meetups/")
    with CaptureQueriesContext(connection) as page:
        assert client.get("/c/xinwenyu/meetups/").status_code == 200
    assert len(page.captured_queries) <= LIST_PAGE_QUERIES, [q["sql"][:80] for q in page.captured_queries]
