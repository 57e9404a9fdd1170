"""The meetups routes in the authorization matrix (tests/test_authorization_matrix.py).

The world gets an invitation-only dinner hosted by the organizer for the plain member alone, starting
within the hour (answers and check-in both open; the member said yes): the admin is not invited and must
not learn it exists. A trip of the organizer's to 上海, where the card owner (`target`) lives. Everyone
has a calendar link (so turning it off changes something)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from kindred.circles.services import card_update
from kindred.meetups.models import Meetup
from kindred.meetups.services import feed_create, meetup_create, rsvp_set, trip_create
from tests.authz import MEMBERS, ORGANIZER, PARTY

SECRET_TITLE = "邀请制饭局-M5Q8"
INVITED = frozenset({"member", "organizer"})  # the invitee and the host


def _future(hours: int = 24 * 7) -> tuple[str, str]:
    start = timezone.localtime() + timedelta(hours=hours)
    return start.isoformat(), (start + timedelta(hours=2)).isoformat()


def _local(hours: int) -> str:
    return (timezone.localtime() + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def _new_meetup(w: Any) -> dict[str, Any]:
    start, end = _future()
    return {"title": "新饭局", "city": "北京", "starts_at": start, "ends_at": end, "capacity": 8}


def _trip(w: Any) -> dict[str, Any]:
    day = timezone.localdate() + timedelta(days=10)
    return {"city": "上海", "starts_on": day.isoformat(), "ends_on": (day + timedelta(days=1)).isoformat()}


PAGES = {
    "meetups:list": ("GET", MEMBERS, None),
    "meetups:create": ("GET", MEMBERS, None),
    "meetups:feed_create": ("POST", MEMBERS, None),
    "meetups:feed_revoke": ("POST", MEMBERS, None),
    "meetups:detail": ("GET", INVITED, None),
    "meetups:ics": ("GET", INVITED, None),
    "meetups:rsvp": ("POST", PARTY, lambda w: {"answer": "maybe"}),
    "meetups:checkin": ("POST", INVITED, lambda w: {}),
    "meetups:notes": ("POST", ORGANIZER, lambda w: {"notes": "聊得很好"}),
    "meetups:followup": (
        "POST",
        ORGANIZER,
        lambda w: {"member_a": w.members["member"].pk, "member_b": w.members["organizer"].pk, "note": "再聊"},
    ),
    "meetups:trip_create": ("POST", MEMBERS, _trip),
    "meetups:trip": ("GET", MEMBERS, None),
    "meetups:trip_invite": (
        "POST",
        ORGANIZER,
        lambda w: {
            "title": "上海饭局",
            "starts_at": _local(24 * 8),
            "ends_at": _local(24 * 8 + 2),
            "members": [w.target.pk],
        },
    ),
}

API = {
    "POST /circles/{slug}/trips": (MEMBERS, _trip),
    "GET /circles/{slug}/trips/{trip_id}/suggestions": (ORGANIZER, None),
    "POST /circles/{slug}/trips/{trip_id}/meetup": (
        ORGANIZER,
        lambda w: {"title": "上海饭局", "member_ids": [w.target.pk]},
    ),
    "GET /circles/{slug}/meetups": (MEMBERS, None),
    "POST /circles/{slug}/meetups": (MEMBERS, _new_meetup),
    "GET /meetups/{meetup_id}": (INVITED, None),
    "POST /meetups/{meetup_id}/rsvp": (PARTY, lambda w: {"answer": "maybe"}),
    "POST /meetups/{meetup_id}/checkins": (INVITED, lambda w: {}),
    "GET /meetups/{meetup_id}/ics": (INVITED, None),
    "POST /meetups/{meetup_id}/notes": (ORGANIZER, lambda w: {"notes": "聊得很好"}),
    "POST /meetups/{meetup_id}/followups": (
        ORGANIZER,
        lambda w: {"member_a": w.members["member"].pk, "member_b": w.members["organizer"].pk},
    ),
    "POST /meetups/{meetup_id}/invitees": (ORGANIZER, lambda w: {"member_ids": [w.target.pk]}),
    "POST /circles/{slug}/calendar": (MEMBERS, None),
    "DELETE /circles/{slug}/calendar": (MEMBERS, None),
    "GET /circles/{slug}/notices": (MEMBERS, None),
}


def setup(world: Any) -> dict[str, Any]:
    host, member = world.members["organizer"], world.members["member"]
    now = timezone.now()
    start = now + timedelta(minutes=30)
    meetup = meetup_create(
        circle=world.circle,
        host=host,
        title=SECRET_TITLE,
        city="北京",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        access=Meetup.Access.INVITATION,
        invitee_ids=[member.pk],
        at=now - timedelta(days=1),
    )
    rsvp_set(meetup=meetup, member=member, answer="yes", at=now - timedelta(hours=20))
    card_update(membership=world.target, fields={"city": "上海"})
    trip = trip_create(
        traveller=host,
        city="上海",
        starts_on=timezone.localdate() + timedelta(days=7),
        ends_on=timezone.localdate() + timedelta(days=9),
    )
    world.secrets[SECRET_TITLE] = INVITED
    for role in ("member", "admin", "organizer"):
        feed, raw = feed_create(member=world.members[role])
        world.secrets[raw] = frozenset()
        world.secrets[feed.token_hash] = frozenset()
    return {"meetup_id": meetup.pk, "trip_id": trip.pk}
