"""iCalendar (RFC 5545) output for meetups, built with the `icalendar` library. No Django imports.

Each event carries a stable UID (the meetup's UUID), a SEQUENCE that grows with edits, DTSTART/DTEND in the
meetup's own time zone (TZID, with the VTIMEZONE the library derives), and text escaped by the library
(commas, semicolons, newlines; Chinese text as UTF-8).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

PRODID = "-//Kindred//Kindred meetups//ZH"
UID_DOMAIN = "kindred"


@dataclass(frozen=True)
class EventData:
    uid: str
    sequence: int
    title: str
    description: str
    location: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    url: str
    stamp: datetime
    cancelled: bool = False


def event_uid(uuid_hex: str) -> str:
    return f"{uuid_hex}@{UID_DOMAIN}"


def build_calendar(events: Iterable[EventData], *, name: str = "") -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if name:
        cal.add("x-wr-calname", name)
    for data in events:
        zone = ZoneInfo(data.timezone)
        event = Event()
        event.add("uid", data.uid)
        event.add("sequence", data.sequence)
        event.add("dtstamp", data.stamp.astimezone(ZoneInfo("UTC")))
        event.add("dtstart", data.starts_at.astimezone(zone))
        event.add("dtend", data.ends_at.astimezone(zone))
        event.add("summary", data.title)
        if data.location:
            event.add("location", data.location)
        if data.description:
            event.add("description", data.description)
        if data.url:
            event.add("url", data.url)
        event.add("status", "CANCELLED" if data.cancelled else "CONFIRMED")
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
