"""The meetups API: the issue's endpoints, bad input refused with a clear 4xx and nothing changed,
invitation-only meetups invisible (404) to the uninvited, and the .ics read back field by field."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from icalendar import Calendar

from kindred.circles.models import Membership
from kindred.core.models import AuditEvent
from kindred.meetups.models import Meetup, Rsvp, Trip
from kindred.meetups.services import rsvp_set

from .conftest import SHANGHAI, next_week

pytestmark = pytest.mark.django_db


def _client(m: Membership | None) -> Client:
    client = Client()
    if m is not None:
        client.force_login(m.user)
    return client


def _post(client: Client, url: str, data: Any = None) -> Any:
    return client.post(url, data=json.dumps(data or {}), content_type="application/json")


def _state() -> tuple[int, int, int, int]:
    return (Meetup.objects.count(), Rsvp.objects.count(), Trip.objects.count(), AuditEvent.objects.count())


def test_trip_to_suggestions_to_invitation(
    origin: Membership, alice: Membership, bob: Membership, carol: Membership
) -> None:
    c = _client(origin)
    r = _post(
        c,
        "/api/v1/circles/xinwenyu/trips",
        {"city": "上海", "starts_on": "2026-12-03", "ends_on": "2026-12-05"},
    )
    assert r.status_code == 201, r.content
    trip_id = r.json()["id"]
    r = c.get(f"/api/v1/circles/xinwenyu/trips/{trip_id}/suggestions")
    assert r.status_code == 200
    got = r.json()
    assert {s["member"]["member_id"] for s in got} == {alice.pk, bob.pk}
    assert all(s["met_offline"] is False for s in got)
    # Only the traveller gets the list.
    assert _client(alice).get(f"/api/v1/circles/xinwenyu/trips/{trip_id}/suggestions").status_code == 403
    r = _post(
        c, f"/api/v1/circles/xinwenyu/trips/{trip_id}/meetup", {"title": "上海小聚", "member_ids": [alice.pk]}
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["access"] == "invitation" and [p["member_id"] for p in body["invitees"]] == [alice.pk]
    assert body["starts_at"].startswith("2026-12-03T19:00:00+08:00") or body["starts_at"].startswith(
        "2026-12-03T11:00:00"
    )
    assert _client(bob).get(f"/api/v1/meetups/{body['id']}").status_code == 404
    assert _client(alice).get(f"/api/v1/meetups/{body['id']}").status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"ends_at": "before"},
        {"capacity": -1},
        {"capacity": 0},
        {"title": ""},
        {"title": "a\x00b"},
        {"starts_at": "2026-12-03T19:00:00"},  # no offset
        {"invitee_ids": ["outside"]},
        {"invitee_ids": [2**70]},
        {"timezone": "Nowhere/Never"},
        {"access": "secret"},
    ],
)
def test_bad_meetups_are_refused_and_change_nothing(
    origin: Membership, make_member: Callable[..., Membership], change: dict[str, Any]
) -> None:
    from kindred.circles.services import circle_create

    other = circle_create(creator=make_member("xx").user, name="别的", slug="other", display_name="X")
    outsider = Membership.objects.get(circle=other)
    start = next_week()
    body: dict[str, Any] = {
        "title": "饭局",
        "city": "上海",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
    }
    body.update(change)
    if body.get("ends_at") == "before":
        body["ends_at"] = (start - timedelta(hours=1)).isoformat()
    if body.get("invitee_ids") == ["outside"]:
        body["invitee_ids"] = [outsider.pk]
    before = _state()
    r = _post(_client(origin), "/api/v1/circles/xinwenyu/meetups", body)
    assert 400 <= r.status_code < 500, r.content
    assert r.json()["detail"]
    assert _state() == before


def test_rsvp_after_the_meetup_is_refused(dinner: Callable[..., Meetup], alice: Membership) -> None:
    from kindred.meetups.models import Meetup as M

    m = dinner()
    M.objects.filter(pk=m.pk).update(
        starts_at=m.starts_at - timedelta(days=30), ends_at=m.ends_at - timedelta(days=30)
    )
    before = _state()
    r = _post(_client(alice), f"/api/v1/meetups/{m.pk}/rsvp", {"answer": "yes"})
    assert r.status_code == 400 and r.json()["code"] == "started"
    assert _state() == before


def test_rsvp_waitlist_and_checkin_over_the_api(
    dinner: Callable[..., Meetup], alice: Membership, bob: Membership
) -> None:
    m = dinner(capacity=2)
    assert (
        _post(_client(alice), f"/api/v1/meetups/{m.pk}/rsvp", {"answer": "yes"}).json()["status"] == "going"
    )
    assert (
        _post(_client(bob), f"/api/v1/meetups/{m.pk}/rsvp", {"answer": "yes"}).json()["status"]
        == "waitlisted"
    )
    assert _post(_client(bob), f"/api/v1/meetups/{m.pk}/rsvp", {"answer": "sure"}).status_code == 422
    _post(_client(alice), f"/api/v1/meetups/{m.pk}/rsvp", {"answer": "no"})
    assert Rsvp.objects.get(meetup=m, member=bob).status == "going"
    # Check-in is closed a week before.
    r = _post(_client(bob), f"/api/v1/meetups/{m.pk}/checkins", {})
    assert r.status_code == 400 and r.json()["code"] == "checkin_closed"
    assert _client(None).get(f"/api/v1/meetups/{m.pk}").status_code in (401, 404)


def test_ics_parsed_back_field_by_field(dinner: Callable[..., Meetup], alice: Membership) -> None:
    m = dinner(description="第一行, 带逗号; 和分号\n第二行")
    r = _client(alice).get(f"/api/v1/meetups/{m.pk}/ics")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/calendar")
    raw = r.content
    assert b"\r\n" in raw and b"BEGIN:VTIMEZONE" in raw and b"TZID:Asia/Shanghai" in raw
    assert "上海饭局\\, 第一次".encode() in raw  # the comma escaped, the Chinese text as UTF-8
    cal = Calendar.from_ical(raw)
    assert str(cal["version"]) == "2.0" and "Kindred" in str(cal["prodid"])
    (event,) = cal.walk("VEVENT")
    assert str(event["uid"]) == f"{m.uid.hex}@kindred"
    assert str(event["summary"]) == "上海饭局, 第一次"
    assert str(event["location"]) == "外滩, 三楼, 上海"
    assert str(event["description"]) == "第一行, 带逗号; 和分号\n第二行"
    assert event["dtstart"].params["TZID"] == "Asia/Shanghai"
    assert event["dtend"].params["TZID"] == "Asia/Shanghai"
    assert event.decoded("dtstart") == m.starts_at and event.decoded("dtend") == m.ends_at
    assert event.decoded("dtstart").utcoffset() == timedelta(hours=8)
    assert event.decoded("dtstart").tzinfo is not None and str(event.decoded("dtstart").tzinfo) in (
        "Asia/Shanghai",
        "CST",
    )
    assert str(event["url"]).endswith(f"/c/xinwenyu/meetups/{m.pk}/")
    # The UID is stable: a second download, after an edit, carries the same UID and a higher SEQUENCE.
    from kindred.meetups.services import meetup_capacity_set

    meetup_capacity_set(meetup=m, actor=m.host, capacity=8)
    again = Calendar.from_ical(_client(alice).get(f"/api/v1/meetups/{m.pk}/ics").content).walk("VEVENT")[0]
    assert (
        str(again["uid"]) == str(event["uid"]) and again.decoded("sequence") == event.decoded("sequence") + 1
    )
    assert m.starts_at.astimezone(SHANGHAI).hour == 19


def test_calendar_feed_url_over_the_api(dinner: Callable[..., Meetup], alice: Membership) -> None:
    m = dinner()
    rsvp_set(meetup=m, member=alice, answer="yes")
    r = _post(_client(alice), "/api/v1/circles/xinwenyu/calendar")
    assert r.status_code == 201
    url = r.json()["url"]
    path = url.split("://", 1)[1].split("/", 1)[1]
    feed = Client().get("/" + path)  # no sign-in: the token is the key
    assert feed.status_code == 200
    (event,) = Calendar.from_ical(feed.content).walk("VEVENT")
    assert str(event["uid"]) == f"{m.uid.hex}@kindred"
    assert _client(alice).delete("/api/v1/circles/xinwenyu/calendar").status_code == 204
    assert Client().get("/" + path).status_code == 404
    assert Client().get("/calendar/nonsense.ics").status_code == 404
