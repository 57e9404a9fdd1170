"""The meetups API: trips and their suggestions, meetups, RSVP, check-in, notes, follow-ups, .ics, the
calendar link and notices. Anyone who is not an active member of the circle, and anyone not invited to an
invitation-only meetup, gets 404."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Path, Router, Status

from kindred.circles.models import Membership
from kindred.circles.selectors import membership_for_circle, membership_get
from kindred.core.schemas import ERRORS
from kindred.core.services import PermissionDenied

from . import selectors, services
from .models import Meetup, Rsvp
from .schemas import (
    MAX_ID,
    AttendeeOut,
    CheckinIn,
    FeedOut,
    FollowUpIn,
    FollowUpOut,
    InviteIn,
    MeetupDetailOut,
    MeetupIn,
    MeetupListOut,
    MeetupOut,
    NotesIn,
    NoticeOut,
    PersonOut,
    RsvpIn,
    RsvpOut,
    TripIn,
    TripMeetupIn,
    TripOut,
    TripSuggestionOut,
)

router = Router(tags=["meetups"])

Id = Annotated[int, Path(ge=1, le=MAX_ID)]


def _person(m: Membership) -> PersonOut:
    card = m.card
    return PersonOut(member_id=m.pk, display_name=card.display_name, company=card.company, city=card.city)


def _meetup_out(m: Meetup) -> MeetupOut:
    return MeetupOut(
        id=m.pk,
        uid=m.uid.hex,
        title=m.title,
        city=m.city,
        venue=m.venue,
        description=m.description,
        starts_at=m.starts_at,
        ends_at=m.ends_at,
        timezone=m.timezone,
        capacity=m.capacity,
        access=m.access,
        host=_person(m.host),
        going=m.going_count,  # type: ignore[attr-defined]
        waitlisted=m.waitlist_count,  # type: ignore[attr-defined]
        checked_in=m.checked_in_count,  # type: ignore[attr-defined]
        my_status=m.my_status,  # type: ignore[attr-defined]
        notes=m.notes,
    )


def _rsvp_out(r: Rsvp) -> RsvpOut:
    return RsvpOut(
        meetup_id=r.meetup_id,
        member_id=r.member_id,
        status=r.status,  # type: ignore[arg-type]
        checked_in_at=r.checked_in_at,
    )


def _detail_out(me: Membership, meetup_id: int) -> MeetupDetailOut:
    meetup = selectors.meetup_for_member(member=me, meetup_id=meetup_id)
    d = selectors.meetup_detail(member=me, meetup=meetup)
    return MeetupDetailOut(
        **_meetup_out(meetup).model_dump(),
        attendees=[
            AttendeeOut(member=_person(r.member), status=r.status, checked_in_at=r.checked_in_at)
            for r in (*d.going, *d.waitlist, *d.maybe)
        ],
        invitees=[_person(m) for m in d.invitees],
        followups=[
            FollowUpOut(member_a=_person(f.member_a), member_b=_person(f.member_b), note=f.note)
            for f in d.followups
        ],
    )


# --- trips -------------------------------------------------------------------------------------------


@router.post("/circles/{slug}/trips", response={201: TripOut, **ERRORS}, summary="Announce a trip")
def trip_create(request: HttpRequest, slug: str, payload: TripIn) -> Status[TripOut]:
    me = membership_for_circle(user=request.user, slug=slug)
    trip = services.trip_create(traveller=me, **payload.model_dump())
    return Status(
        201,
        TripOut(
            id=trip.pk,
            traveller_id=me.pk,
            city=trip.city,
            starts_on=trip.starts_on,
            ends_on=trip.ends_on,
            note=trip.note,
        ),
    )


@router.get(
    "/circles/{slug}/trips/{trip_id}/suggestions",
    response={200: list[TripSuggestionOut], **ERRORS},
    summary="Members to meet on a trip",
)
def trip_suggestions(request: HttpRequest, slug: str, trip_id: Id) -> list[TripSuggestionOut]:
    """The members based in the trip's city, best first (tie strength, offers/needs overlap), each marked
    when the traveller has never met them offline. Only the traveller gets the list."""
    me = membership_for_circle(user=request.user, slug=slug)
    trip = selectors.trip_for_member(member=me, trip_id=trip_id)
    if trip.traveller_id != me.pk:
        raise PermissionDenied(_("Only the traveller sees this list."), code="not_traveller")
    return [
        TripSuggestionOut(
            member=_person(s.member),
            score=s.score,
            tied=s.tied,
            mutual_ties=s.mutual,
            overlap=list(s.overlap),
            met_offline=s.met_offline,
        )
        for s in selectors.trip_suggestions(trip=trip)
    ]


@router.post(
    "/circles/{slug}/trips/{trip_id}/meetup",
    response={201: MeetupDetailOut, **ERRORS},
    summary="Invite members to dinner on a trip",
)
def trip_meetup(
    request: HttpRequest, slug: str, trip_id: Id, payload: TripMeetupIn
) -> Status[MeetupDetailOut]:
    me = membership_for_circle(user=request.user, slug=slug)
    trip = selectors.trip_for_member(member=me, trip_id=trip_id)
    meetup = services.meetup_from_trip(trip=trip, host=me, **payload.model_dump())
    return Status(201, _detail_out(me, meetup.pk))


# --- meetups -----------------------------------------------------------------------------------------


@router.get("/circles/{slug}/meetups", response={200: MeetupListOut, **ERRORS}, summary="Meetups I may see")
def meetup_list(request: HttpRequest, slug: str) -> MeetupListOut:
    me = membership_for_circle(user=request.user, slug=slug)
    lists = selectors.meetup_lists(member=me)
    return MeetupListOut(
        upcoming=[_meetup_out(m) for m in lists.upcoming], past=[_meetup_out(m) for m in lists.past]
    )


@router.post("/circles/{slug}/meetups", response={201: MeetupDetailOut, **ERRORS}, summary="Create a meetup")
def meetup_create(request: HttpRequest, slug: str, payload: MeetupIn) -> Status[MeetupDetailOut]:
    me = membership_for_circle(user=request.user, slug=slug)
    data = payload.model_dump()
    meetup = services.meetup_create(circle=me.circle, host=me, tz=data.pop("timezone"), **data)
    return Status(201, _detail_out(me, meetup.pk))


@router.get("/meetups/{meetup_id}", response={200: MeetupDetailOut, **ERRORS}, summary="A meetup")
def meetup_get(request: HttpRequest, meetup_id: Id) -> MeetupDetailOut:
    _meetup, me = selectors.meetup_for_user(user=request.user, meetup_id=meetup_id)
    return _detail_out(me, meetup_id)


@router.post(
    "/meetups/{meetup_id}/rsvp", response={200: RsvpOut, **ERRORS}, summary="Answer yes, no or maybe"
)
def rsvp(request: HttpRequest, meetup_id: Id, payload: RsvpIn) -> RsvpOut:
    """Yes takes a seat, or a place on the waitlist when the meetup is full (status `waitlisted`); giving
    up a seat promotes the first on the waitlist. 400 once the meetup has started."""
    meetup, me = selectors.meetup_for_user(user=request.user, meetup_id=meetup_id)
    return _rsvp_out(services.rsvp_set(meetup=meetup, member=me, answer=payload.answer))


@router.post("/meetups/{meetup_id}/checkins", response={200: RsvpOut, **ERRORS}, summary="Check in")
def checkin(request: HttpRequest, meetup_id: Id, payload: CheckinIn) -> RsvpOut:
    """Check yourself in (you must be going), or, as the host, anyone present. Records met-offline ties
    between everyone checked in."""
    meetup, me = selectors.meetup_for_user(user=request.user, meetup_id=meetup_id)
    member = membership_get(circle=me.circle_id, member_id=payload.member_id) if payload.member_id else None
    return _rsvp_out(services.checkin_record(meetup=meetup, actor=me, member=member))


@router.get(
    "/meetups/{meetup_id}/ics",
    response={200: None, **ERRORS},
    summary="The meetup as an iCalendar file",
    # The int status, as in `response=`: a str "200" here was a second "200" key in openapi.json.
    openapi_extra={"responses": {200: {"description": "text/calendar", "content": {"text/calendar": {}}}}},
)
def meetup_ics(request: HttpRequest, meetup_id: Id) -> HttpResponse:
    meetup, _me = selectors.meetup_for_user(user=request.user, meetup_id=meetup_id)
    response = HttpResponse(selectors.meetup_ics(meetup=meetup), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="meetup-{meetup.pk}.ics"'
    return response


@router.post("/meetups/{meetup_id}/notes", response={200: MeetupDetailOut, **ERRORS}, summary="Host's notes")
def notes(request: HttpRequest, meetup_id: Id, payload: NotesIn) -> MeetupDetailOut:
    meetup, me = selectors.meetup_for_user(user=request.user, meetup_id=meetup_id)
    services.meetup_notes_set(meetup=meetup, actor=me, notes=payload.notes)
    return _detail_out(me, meetup_id)


@router.post(
    "/meetups/{meetup_id}/followups",
    response={201: MeetupDetailOut, **ERRORS},
    summary="Who should talk next",
)
def followup(request: HttpRequest, meetup_id: Id, payload: FollowUpIn) -> Status[MeetupDetailOut]:
    meetup, me = selectors.meetup_for_user(user=request.user, meetup_id=meetup_id)
    services.followup_create(
        meetup=meetup,
        actor=me,
        member_a=membership_get(circle=me.circle_id, member_id=payload.member_a),
        member_b=membership_get(circle=me.circle_id, member_id=payload.member_b),
        note=payload.note,
    )
    return Status(201, _detail_out(me, meetup_id))


@router.post(
    "/meetups/{meetup_id}/invitees", response={200: MeetupDetailOut, **ERRORS}, summary="Invite more"
)
def invite(request: HttpRequest, meetup_id: Id, payload: InviteIn) -> MeetupDetailOut:
    meetup, me = selectors.meetup_for_user(user=request.user, meetup_id=meetup_id)
    services.meetup_invite(meetup=meetup, actor=me, member_ids=payload.member_ids)
    return _detail_out(me, meetup_id)


# --- my calendar and notices -------------------------------------------------------------------------


@router.post(
    "/circles/{slug}/calendar", response={201: FeedOut, **ERRORS}, summary="A new secret calendar URL"
)
def feed_create(request: HttpRequest, slug: str) -> Status[FeedOut]:
    me = membership_for_circle(user=request.user, slug=slug)
    _feed, raw = services.feed_create(member=me)
    return Status(201, FeedOut(url=services.feed_url(raw)))


@router.delete(
    "/circles/{slug}/calendar", response={204: None, **ERRORS}, summary="Turn the calendar URL off"
)
def feed_revoke(request: HttpRequest, slug: str) -> Status[None]:
    me = membership_for_circle(user=request.user, slug=slug)
    services.feed_revoke(member=me)
    return Status(204, None)


@router.get("/circles/{slug}/notices", response={200: list[NoticeOut], **ERRORS}, summary="My meetup notices")
def notices(request: HttpRequest, slug: str) -> list[NoticeOut]:
    me = membership_for_circle(user=request.user, slug=slug)
    return [  # the unread meetups.* notifications of the member's inbox (/circles/{slug}/notifications)
        NoticeOut(
            meetup_id=n.target_id or 0,
            meetup_title=str(n.params.get("title", "")),
            kind=n.kind.removeprefix("meetups."),
            created_at=n.created_at,
            read=n.read,
        )
        for n in selectors.meetup_lists(member=me).notices
    ]
