"""What the meetups API takes and gives."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import field_validator, model_validator

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


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    return value


class TripIn(Schema):
    city: str = Field(..., min_length=1, max_length=CITY_MAX_LENGTH)
    starts_on: date
    ends_on: date
    note: str = Field("", max_length=TEXT_MAX_LENGTH)

    _nul = field_validator("city", "note")(_no_nul)


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
    title: str = Field(..., min_length=1, max_length=TITLE_MAX_LENGTH)
    venue: str = Field("", max_length=VENUE_MAX_LENGTH)
    starts_at: datetime = Field(..., description="With its UTC offset, e.g. 2026-12-03T19:00:00+08:00.")
    ends_at: datetime
    capacity: int | None = Field(None, ge=1, le=CAPACITY_MAX, description="Seats; null: no limit.")

    _nul = field_validator("title", "venue")(_no_nul)

    @model_validator(mode="after")
    def _aware(self) -> _MeetupFields:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("times need a UTC offset")
        return self


class MeetupIn(_MeetupFields):
    city: str = Field(..., min_length=1, max_length=CITY_MAX_LENGTH)
    description: str = Field("", max_length=TEXT_MAX_LENGTH)
    access: Literal["open", "invitation"] = "open"
    timezone: str = Field(DEFAULT_TIMEZONE, max_length=64)
    invitee_ids: list[MemberId] = Field(default_factory=list, max_length=INVITEES_MAX)

    _nul2 = field_validator("city", "description", "timezone")(_no_nul)


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
    notes: str = Field(..., max_length=TEXT_MAX_LENGTH)

    _nul = field_validator("notes")(_no_nul)


class FollowUpIn(Schema):
    member_a: int = Field(..., ge=1, le=MAX_ID)
    member_b: int = Field(..., ge=1, le=MAX_ID)
    note: str = Field("", max_length=TEXT_MAX_LENGTH)

    _nul = field_validator("note")(_no_nul)


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
