"""What the meetups API takes and gives."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import model_validator

from kindred.core.text import FreeText, OneLine

from .models import (
    CAPACITY_MAX,
    CITY_MAX_LENGTH,
    DEFAULT_TIMEZONE,
    INVITEES_MAX,
    TEXT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    VENUE_MAX_LENGTH,
)

MAX_ID = 2**63 - 1
MemberId = Annotated[int, Field(ge=1, le=MAX_ID)]
City = Annotated[str, Field(min_length=1, max_length=CITY_MAX_LENGTH), OneLine]
Title = Annotated[str, Field(min_length=1, max_length=TITLE_MAX_LENGTH), OneLine]
Venue = Annotated[str, Field(max_length=VENUE_MAX_LENGTH), OneLine]
Text = Annotated[str, Field(max_length=TEXT_MAX_LENGTH), FreeText]


class TripIn(Schema):
    city: City
    starts_on: date
    ends_on: date
    note: Text = ""


class TripOut(Schema):
    id: int
    traveller_id: int
    city: str
    starts_on: date
    ends_on: date
    note: str


class PersonOut(Schema):
    member_id: int
    display_name: str
    company: str
    city: str


class TripSuggestionOut(Schema):
    member: PersonOut
    score: int
    tied: bool = Field(..., description="A confirmed tie with the traveller.")
    mutual_ties: int
    overlap: list[str] = Field(
        ..., description="Words shared between one side's offers and the other's needs."
    )
    met_offline: bool = Field(..., description="False: the traveller has never met them at a meetup.")


class _MeetupFields(Schema):
    title: Title
    venue: Venue = ""
    starts_at: datetime = Field(..., description="With its UTC offset, e.g. 2026-12-03T19:00:00+08:00.")
    ends_at: datetime
    capacity: int | None = Field(None, ge=1, le=CAPACITY_MAX, description="Seats; null: no limit.")

    @model_validator(mode="after")
    def _aware(self) -> _MeetupFields:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("times need a UTC offset")
        return self


class MeetupIn(_MeetupFields):
    city: City
    description: Text = ""
    access: Literal["open", "invitation"] = "open"
    timezone: Annotated[str, Field(max_length=64), OneLine] = DEFAULT_TIMEZONE
    invitee_ids: list[MemberId] = Field(default_factory=list, max_length=INVITEES_MAX)


class TripMeetupIn(_MeetupFields):
    member_ids: list[MemberId] = Field(..., min_length=1, max_length=INVITEES_MAX)
    starts_at: datetime | None = None  # type: ignore[assignment]
    ends_at: datetime | None = None  # type: ignore[assignment]

    @model_validator(mode="after")
    def _aware(self) -> TripMeetupIn:
        for value in (self.starts_at, self.ends_at):
            if value is not None and value.tzinfo is None:
                raise ValueError("times need a UTC offset")
        return self


class MeetupOut(Schema):
    id: int
    uid: str
    title: str
    city: str
    venue: str
    description: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    capacity: int | None
    access: str
    host: PersonOut
    going: int
    waitlisted: int
    checked_in: int
    my_status: str | None
    notes: str


class AttendeeOut(Schema):
    member: PersonOut
    status: str
    checked_in_at: datetime | None


class FollowUpOut(Schema):
    member_a: PersonOut
    member_b: PersonOut
    note: str


class MeetupDetailOut(MeetupOut):
    attendees: list[AttendeeOut]
    invitees: list[PersonOut]
    followups: list[FollowUpOut]


class MeetupListOut(Schema):
    upcoming: list[MeetupOut]
    past: list[MeetupOut]


class RsvpIn(Schema):
    answer: Literal["yes", "no", "maybe"]


class RsvpOut(Schema):
    meetup_id: int
    member_id: int
    status: Literal["going", "waitlisted", "maybe", "declined"]
    checked_in_at: datetime | None


class CheckinIn(Schema):
    member_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="Someone else (host only); default: yourself."
    )


class NotesIn(Schema):
    notes: Text


class FollowUpIn(Schema):
    member_a: int = Field(..., ge=1, le=MAX_ID)
    member_b: int = Field(..., ge=1, le=MAX_ID)
    note: Text = ""


class InviteIn(Schema):
    member_ids: list[MemberId] = Field(..., min_length=1, max_length=INVITEES_MAX)


class FeedOut(Schema):
    url: str = Field(..., description="Shown once: keep it secret. A new one retires the old one.")


class NoticeOut(Schema):
    meetup_id: int
    meetup_title: str
    kind: str
    created_at: datetime
    read: bool
