"""Every state change of trips and meetups.

RSVPs and the waitlist (one row per member and meetup):

    yes   → going when a seat is free (or there is no limit), otherwise waitlisted (in the order of saying yes)
    maybe → maybe; no → declined
    a going member who changes to maybe/no frees a seat: the first on the waitlist is promoted at once

Every RSVP locks the meetup row first, so two members racing for the last seat are served one after the
other. Check-ins (by the host for anyone present, or by an attendee for themself) record a met-offline tie
between each pair of members checked in (kindred.ties.services.tie_record_met).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kindred.circles.models import Circle, Membership
from kindred.core import events
from kindred.core.services import NotFound, PermissionDenied, ServiceError, audit_record
from kindred.core.text import clean_line, clean_multiline
from kindred.core.tokens import new_token
from kindred.core.tokens import token_hash as feed_token_hash
from kindred.notifications.services import notification_send
from kindred.ties.services import tie_record_met

from .audit import Action
from .models import (
    CAPACITY_MAX,
    CHECKIN_CLOSES_AFTER,
    CHECKIN_OPENS_BEFORE,
    CITY_MAX_LENGTH,
    DEFAULT_TIMEZONE,
    FEED_TOKEN_BYTES,
    INVITEES_MAX,
    MEETUP_MAX_HOURS,
    REMINDER_WINDOW,
    TEXT_MAX_LENGTH,
    TITLE_LABEL,
    TITLE_MAX_LENGTH,
    TRIP_MAX_DAYS,
    VENUE_MAX_LENGTH,
    CalendarFeed,
    FollowUp,
    Invitee,
    Meetup,
    Rsvp,
    Trip,
)

ANSWERS = ("yes", "no", "maybe")
# A dinner made from a trip: the first evening of the trip, unless the traveller says otherwise.
TRIP_DINNER_START = time(19, 0)
TRIP_DINNER_HOURS = 2.5


def _same_circle_active(members: Iterable[Membership], circle_id: int) -> None:
    for m in members:
        if m.circle_id != circle_id or not m.is_active:
            raise ServiceError(_("Everyone must be an active member of this circle."), code="not_in_circle")


def meetup_url(meetup: Meetup) -> str:
    return settings.SITE_URL + _meetup_path(meetup)


def _meetup_path(meetup: Meetup) -> str:
    return reverse("meetups:detail", kwargs={"slug": meetup.circle.slug, "meetup_id": meetup.pk})


def _notify(
    *,
    members: Iterable[Membership],
    meetup: Meetup,
    kind: str,
    actor: Membership | None = None,
    backdated: datetime | None = None,
) -> None:
    """A notice in each member's inbox (kinds in kindred/meetups/notices.py), mailed from the outbox after
    commit; a back-dated one (the demo's replay) writes the inbox only."""
    members = list(members)
    if not members:
        return
    when = timezone.localtime(meetup.starts_at, ZoneInfo(meetup.timezone)).strftime("%Y-%m-%d %H:%M")
    notification_send(
        recipients=members,
        kind=f"meetups.{kind}",
        circle=meetup.circle,
        params={"title": meetup.title, "when": when, "venue": meetup.venue or meetup.city},
        actor=actor,
        target=meetup,
        url=_meetup_path(meetup),
        at=backdated,
    )


# --- trips -------------------------------------------------------------------------------------------


@transaction.atomic
def trip_create(
    *,
    traveller: Membership,
    city: str,
    starts_on: date,
    ends_on: date,
    note: str = "",
    at: datetime | None = None,
) -> Trip:
    """The traveller will be in `city` from `starts_on` to `ends_on` (inclusive)."""
    if not traveller.is_active:
        raise PermissionDenied(_("You are no longer a member of this circle."), code="actor_removed")
    city = clean_line(city, label=_("City"), max_length=CITY_MAX_LENGTH, required=True)
    note = clean_multiline(note, label=_("Note"), max_length=TEXT_MAX_LENGTH)
    if ends_on < starts_on:
        raise ServiceError(_("The trip must end on or after the day it starts."), code="ends_before_start")
    if (ends_on - starts_on).days > TRIP_MAX_DAYS:
        raise ServiceError(_("A trip lasts at most %(n)d days.") % {"n": TRIP_MAX_DAYS}, code="trip_too_long")
    now = at or timezone.now()
    trip = Trip.objects.create(
        circle_id=traveller.circle_id,
        traveller=traveller,
        city=city,
        starts_on=starts_on,
        ends_on=ends_on,
        note=note,
        created_at=now,
    )
    audit_record(
        at=at,
        action=Action.TRIP_CREATED,
        actor=traveller.user,
        circle_id=trip.circle_id,
        target=trip,
        data={"city": city, "from": str(starts_on), "to": str(ends_on)},
    )
    if at is None:  # a live announcement (a back-dated replay announces nothing)
        events.announce(
            events.trip_announced,
            sender=Trip,
            circle_id=trip.circle_id,
            trip_id=trip.pk,
            traveller_id=traveller.pk,
            city=city,
            starts_on=starts_on,
            ends_on=ends_on,
        )
    return trip


def trip_default_times(trip: Trip) -> tuple[datetime, datetime]:
    start = datetime.combine(trip.starts_on, TRIP_DINNER_START, tzinfo=ZoneInfo(DEFAULT_TIMEZONE))
    return start, start + timedelta(hours=TRIP_DINNER_HOURS)


# --- meetups -----------------------------------------------------------------------------------------


def _check_times(starts_at: datetime, ends_at: datetime, tz: str) -> None:
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ServiceError(_("Give the time with its time zone."), code="naive_time")
    if tz not in available_timezones():
        raise ServiceError(_("Unknown time zone."), code="bad_timezone")
    if ends_at <= starts_at:
        raise ServiceError(_("The meetup must end after it starts."), code="ends_before_start")
    if ends_at - starts_at > timedelta(hours=MEETUP_MAX_HOURS):
        raise ServiceError(
            _("A meetup lasts at most %(n)d hours.") % {"n": MEETUP_MAX_HOURS}, code="too_long"
        )


def _check_capacity(capacity: int | None) -> None:
    if capacity is not None and not 1 <= capacity <= CAPACITY_MAX:
        raise ServiceError(
            _("Seats must be between 1 and %(n)d (or no limit).") % {"n": CAPACITY_MAX}, code="bad_capacity"
        )


def _invitees(circle_id: int, member_ids: Iterable[int], host: Membership) -> list[Membership]:
    ids = sorted(set(member_ids) - {host.pk})
    if len(ids) > INVITEES_MAX:
        raise ServiceError(_("Invite at most %(n)d members at once.") % {"n": INVITEES_MAX}, code="too_many")
    found = list(Membership.objects.select_related("user").filter(pk__in=ids))
    if len(found) != len(ids):
        raise ServiceError(_("Everyone must be an active member of this circle."), code="not_in_circle")
    _same_circle_active(found, circle_id)
    return found


@transaction.atomic
def meetup_create(
    *,
    circle: Circle,
    host: Membership,
    title: str,
    city: str,
    starts_at: datetime,
    ends_at: datetime,
    venue: str = "",
    description: str = "",
    capacity: int | None = None,
    access: str = Meetup.Access.OPEN,
    invitee_ids: Iterable[int] = (),
    trip: Trip | None = None,
    tz: str = DEFAULT_TIMEZONE,
    at: datetime | None = None,
) -> Meetup:
    """A meetup hosted by `host` (who is going). Invitees get a notice and a mail; an invitation-only
    meetup is seen by the host and the invitees only."""
    _same_circle_active([host], circle.pk)
    title = clean_line(title, label=TITLE_LABEL, max_length=TITLE_MAX_LENGTH, required=True)
    city = clean_line(city, label=_("City"), max_length=CITY_MAX_LENGTH, required=True)
    venue = clean_line(venue, label=_("Venue"), max_length=VENUE_MAX_LENGTH)
    description = clean_multiline(description, label=_("Description"), max_length=TEXT_MAX_LENGTH)
    _check_times(starts_at, ends_at, tz)
    _check_capacity(capacity)
    if access not in Meetup.Access.values:
        raise ServiceError(_("Choose who may come."), code="bad_access")
    if trip is not None and trip.circle_id != circle.pk:
        raise NotFound(_("Trip not found."))
    now = at or timezone.now()
    if starts_at <= now:
        raise ServiceError(_("The meetup must start in the future."), code="in_the_past")
    invitees = _invitees(circle.pk, invitee_ids, host)
    meetup = Meetup.objects.create(
        circle=circle,
        host=host,
        trip=trip,
        title=title,
        city=city,
        venue=venue,
        description=description,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=tz,
        capacity=capacity,
        access=access,
        created_at=now,
        updated_at=now,
    )
    Rsvp.objects.create(meetup=meetup, member=host, status=Rsvp.Status.GOING, queued_at=now, answered_at=now)
    Invitee.objects.bulk_create([Invitee(meetup=meetup, member=m, invited_at=now) for m in invitees])
    _notify(members=invitees, meetup=meetup, kind="invited", actor=host, backdated=at)
    audit_record(
        at=at,
        action=Action.MEETUP_CREATED,
        actor=host.user,
        circle_id=circle.pk,
        target=meetup,
        data={"access": access, "capacity": capacity, "invitees": [m.pk for m in invitees]},
    )
    if at is None and access == Meetup.Access.OPEN:  # called to the circle, live
        events.announce(
            events.meetup_called,
            sender=Meetup,
            circle_id=circle.pk,
            meetup_id=meetup.pk,
            host_id=host.pk,
            title=title,
            city=city,
            starts_at=starts_at,
        )
    return meetup


@transaction.atomic
def meetup_from_trip(
    *,
    trip: Trip,
    host: Membership,
    member_ids: Iterable[int],
    title: str,
    venue: str = "",
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    capacity: int | None = None,
    at: datetime | None = None,
) -> Meetup:
    """One step from a trip's list to an invitation-only dinner in the trip's city."""
    if trip.traveller_id != host.pk:
        raise PermissionDenied(_("Only the traveller can invite for this trip."), code="not_traveller")
    ids = list(member_ids)
    if not ids:
        raise ServiceError(_("Choose at least one member to invite."), code="nobody_invited")
    default_start, default_end = trip_default_times(trip)
    start = starts_at or default_start
    return meetup_create(
        circle=host.circle,
        host=host,
        title=title,
        city=trip.city,
        venue=venue,
        starts_at=start,
        ends_at=ends_at or start + (default_end - default_start),
        capacity=capacity,
        access=Meetup.Access.INVITATION,
        invitee_ids=ids,
        trip=trip,
        at=at,
    )


def _lock_meetup(meetup_id: int) -> Meetup:
    meetup = (
        Meetup.objects.select_for_update(of=("self",)).select_related("circle").filter(pk=meetup_id).first()
    )
    if meetup is None:
        raise NotFound(_("Meetup not found."))
    return meetup


def may_see(meetup: Meetup, member: Membership) -> bool:
    """Open meetups: every active member of the circle. By invitation: the host and the invitees."""
    if member.circle_id != meetup.circle_id or not member.is_active:
        return False
    if meetup.access == Meetup.Access.OPEN or meetup.host_id == member.pk:
        return True
    return Invitee.objects.filter(meetup_id=meetup.pk, member_id=member.pk).exists()


def _require_host(meetup: Meetup, member: Membership) -> None:
    if meetup.host_id != member.pk:
        raise PermissionDenied(_("Only the host can do this."), code="not_host")


@transaction.atomic
def meetup_invite(
    *, meetup: Meetup, actor: Membership, member_ids: Iterable[int], at: datetime | None = None
) -> list[Membership]:
    """The host invites more members (those already invited are skipped). Returns the newly invited."""
    locked = _lock_meetup(meetup.pk)
    _require_host(locked, actor)
    now = at or timezone.now()
    if locked.starts_at <= now:
        raise ServiceError(_("This meetup has already started."), code="started")
    already = set(Invitee.objects.filter(meetup=locked).values_list("member_id", flat=True))
    fresh = [m for m in _invitees(locked.circle_id, member_ids, actor) if m.pk not in already]
    Invitee.objects.bulk_create([Invitee(meetup=locked, member=m, invited_at=now) for m in fresh])
    _notify(members=fresh, meetup=locked, kind="invited", actor=actor, backdated=at)
    audit_record(
        at=at,
        action=Action.MEETUP_INVITED,
        actor=actor.user,
        circle_id=locked.circle_id,
        target=locked,
        data={"invitees": [m.pk for m in fresh]},
    )
    return fresh


def _promote(meetup: Meetup, now: datetime, *, backdated: bool) -> list[Rsvp]:
    """Fill free seats from the waitlist, first come first served. Call with the meetup row locked."""
    waiting = Rsvp.objects.filter(meetup=meetup, status=Rsvp.Status.WAITLISTED).select_related("member__user")
    if meetup.capacity is None:
        promoted = list(waiting)
    else:
        going = Rsvp.objects.filter(meetup=meetup, status=Rsvp.Status.GOING).count()
        free = meetup.capacity - going
        promoted = list(waiting.order_by("queued_at", "id")[: max(free, 0)])
    for rsvp in promoted:
        rsvp.status = Rsvp.Status.GOING
        rsvp.save(update_fields=["status"])
    members = [r.member for r in promoted]
    _notify(members=members, meetup=meetup, kind="promoted", backdated=now if backdated else None)
    for rsvp in promoted:
        audit_record(
            at=now if backdated else None,
            action=Action.MEETUP_WAITLIST_PROMOTED,
            circle_id=meetup.circle_id,
            target=rsvp,
            data={"meetup": meetup.pk, "member": rsvp.member_id},
        )
    return promoted


@transaction.atomic
def rsvp_set(*, meetup: Meetup, member: Membership, answer: str, at: datetime | None = None) -> Rsvp:
    """`member` answers yes, no or maybe. Yes takes a seat or a place on the waitlist; giving up a seat
    promotes the first on the waitlist. Refused once the meetup has started."""
    if answer not in ANSWERS:
        raise ServiceError(_("Answer yes, no or maybe."), code="bad_answer")
    locked = _lock_meetup(meetup.pk)
    if not may_see(locked, member):
        raise NotFound(_("Meetup not found."))
    now = at or timezone.now()
    if locked.starts_at <= now:
        raise ServiceError(_("This meetup has already started; answers are closed."), code="started")
    if locked.host_id == member.pk and answer != "yes":
        raise PermissionDenied(_("The host is always going."), code="host_going")
    rsvp = Rsvp.objects.filter(meetup=locked, member=member).first()
    before = rsvp.status if rsvp is not None else None
    if answer == "yes":
        if before in (Rsvp.Status.GOING, Rsvp.Status.WAITLISTED):
            status = before
        else:
            going = Rsvp.objects.filter(meetup=locked, status=Rsvp.Status.GOING).count()
            has_seat = locked.capacity is None or going < locked.capacity
            status = Rsvp.Status.GOING if has_seat else Rsvp.Status.WAITLISTED
    else:
        status = Rsvp.Status.MAYBE if answer == "maybe" else Rsvp.Status.DECLINED
    if rsvp is None:
        rsvp = Rsvp(meetup=locked, member=member)
    if status != before:
        if status in (Rsvp.Status.GOING, Rsvp.Status.WAITLISTED):
            rsvp.queued_at = now
        rsvp.status = status
        rsvp.answered_at = now
        rsvp.save()
        audit_record(
            at=at,
            action=Action.MEETUP_RSVP,
            actor=member.user,
            circle_id=locked.circle_id,
            target=rsvp,
            data={"meetup": locked.pk, "answer": answer, "status": status},
        )
    if before == Rsvp.Status.GOING and status != Rsvp.Status.GOING:
        _promote(locked, now, backdated=at is not None)
    return rsvp


@transaction.atomic
def meetup_capacity_set(
    *, meetup: Meetup, actor: Membership, capacity: int | None, at: datetime | None = None
) -> Meetup:
    """The host changes the number of seats; more seats promote from the waitlist. Fewer seats never
    un-seat anyone already going."""
    locked = _lock_meetup(meetup.pk)
    _require_host(locked, actor)
    _check_capacity(capacity)
    now = at or timezone.now()
    if locked.starts_at <= now:
        raise ServiceError(_("This meetup has already started."), code="started")
    locked.capacity = capacity
    locked.sequence += 1
    locked.updated_at = now
    locked.save(update_fields=["capacity", "sequence", "updated_at"])
    audit_record(
        at=at,
        action=Action.MEETUP_CAPACITY_SET,
        actor=actor.user,
        circle_id=locked.circle_id,
        target=locked,
        data={"capacity": capacity},
    )
    _promote(locked, now, backdated=at is not None)
    return locked


@transaction.atomic
def checkin_record(
    *, meetup: Meetup, actor: Membership, member: Membership | None = None, at: datetime | None = None
) -> Rsvp:
    """Check `member` (default: the actor) in. An attendee checks themself in (they must be going); the
    host checks in anyone present who may see the meetup (a walk-in becomes going). Records a met-offline
    tie between the member and everyone already checked in. Checking in twice changes nothing."""
    locked = _lock_meetup(meetup.pk)
    if not may_see(locked, actor):
        raise NotFound(_("Meetup not found."))
    member = member or actor
    if member.pk != actor.pk:
        _require_host(locked, actor)
        if not may_see(locked, member):
            raise ServiceError(_("This member is not invited to this meetup."), code="not_invited")
    now = at or timezone.now()
    if not locked.starts_at - CHECKIN_OPENS_BEFORE <= now <= locked.ends_at + CHECKIN_CLOSES_AFTER:
        raise ServiceError(_("Check-in is open only around the time of the meetup."), code="checkin_closed")
    rsvp = Rsvp.objects.filter(meetup=locked, member=member).first()
    if rsvp is not None and rsvp.checked_in_at is not None:
        return rsvp
    if member.pk == actor.pk and (rsvp is None or rsvp.status != Rsvp.Status.GOING):
        raise ServiceError(_("Only members who are going can check in."), code="not_going")
    if rsvp is None:
        rsvp = Rsvp(meetup=locked, member=member, queued_at=now, answered_at=now)
    rsvp.status = Rsvp.Status.GOING
    rsvp.checked_in_at = now
    rsvp.save()
    others = Membership.objects.filter(
        rsvps__meetup=locked, rsvps__checked_in_at__isnull=False, status=Membership.Status.ACTIVE
    ).exclude(pk=member.pk)
    for other in others:
        tie_record_met(a=member, b=other, at=now)
    audit_record(
        at=at,
        action=Action.MEETUP_CHECKIN,
        actor=actor.user,
        circle_id=locked.circle_id,
        target=rsvp,
        data={"meetup": locked.pk, "member": member.pk},
    )
    return rsvp


@transaction.atomic
def meetup_notes_set(*, meetup: Meetup, actor: Membership, notes: str, at: datetime | None = None) -> Meetup:
    locked = _lock_meetup(meetup.pk)
    _require_host(locked, actor)
    locked.notes = clean_multiline(notes, label=_("Notes"), max_length=TEXT_MAX_LENGTH)
    locked.updated_at = at or timezone.now()
    locked.save(update_fields=["notes", "updated_at"])
    audit_record(
        at=at, action=Action.MEETUP_NOTES_SET, actor=actor.user, circle_id=locked.circle_id, target=locked
    )
    return locked


@transaction.atomic
def followup_create(
    *,
    meetup: Meetup,
    actor: Membership,
    member_a: Membership,
    member_b: Membership,
    note: str = "",
    at: datetime | None = None,
) -> FollowUp:
    """The host notes that `member_a` and `member_b` should talk next (both came or were going)."""
    locked = _lock_meetup(meetup.pk)
    _require_host(locked, actor)
    if member_a.pk == member_b.pk:
        raise ServiceError(_("Choose two different members."), code="same_member")
    present = set(
        Rsvp.objects.filter(meetup=locked, status=Rsvp.Status.GOING).values_list("member_id", flat=True)
    )
    if member_a.pk not in present or member_b.pk not in present:
        raise ServiceError(_("Both members must have come to this meetup."), code="not_attendee")
    _same_circle_active([member_a, member_b], locked.circle_id)
    followup = FollowUp.objects.create(
        meetup=locked,
        author=actor,
        member_a=member_a,
        member_b=member_b,
        note=clean_multiline(note, label=_("Note"), max_length=TEXT_MAX_LENGTH),
        created_at=at or timezone.now(),
    )
    audit_record(
        at=at,
        action=Action.MEETUP_FOLLOWUP,
        actor=actor.user,
        circle_id=locked.circle_id,
        target=followup,
        data={"a": member_a.pk, "b": member_b.pk},
    )
    return followup


# --- reminders ---------------------------------------------------------------------------------------


def reminders_send(*, now: datetime | None = None) -> int:
    """Remind everyone going to a meetup that starts within REMINDER_WINDOW, once (in-app and by mail).
    Safe to run as often as wanted, also concurrently: each meetup is handled under its row lock and
    every reminded RSVP is marked. Returns the number of reminders sent."""
    now = now or timezone.now()
    due = list(
        Meetup.objects.filter(
            starts_at__gt=now,
            starts_at__lte=now + REMINDER_WINDOW,
            rsvps__status=Rsvp.Status.GOING,
            rsvps__reminded_at__isnull=True,
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    sent = 0
    for meetup_id in due:
        with transaction.atomic():
            meetup = _lock_meetup(meetup_id)
            rsvps = list(
                Rsvp.objects.select_related("member__user").filter(
                    meetup=meetup,
                    status=Rsvp.Status.GOING,
                    reminded_at__isnull=True,
                    member__status=Membership.Status.ACTIVE,
                )
            )
            if not rsvps:
                continue
            Rsvp.objects.filter(pk__in=[r.pk for r in rsvps]).update(reminded_at=now)
            members = [r.member for r in rsvps]
            _notify(members=members, meetup=meetup, kind="reminder")
            audit_record(
                action=Action.MEETUP_REMINDED,
                circle_id=meetup.circle_id,
                target=meetup,
                data={"count": len(rsvps)},
            )
            sent += len(rsvps)
    return sent


# --- the calendar feed -------------------------------------------------------------------------------


@transaction.atomic
def feed_create(*, member: Membership, at: datetime | None = None) -> tuple[CalendarFeed, str]:
    """A new secret calendar URL for `member` (the previous one stops working). The raw token is returned
    once; only its hash is kept."""
    locked = Membership.objects.select_for_update(of=("self",)).select_related("user").get(pk=member.pk)
    if not locked.is_active:
        raise PermissionDenied(_("You are no longer a member of this circle."), code="actor_removed")
    now = at or timezone.now()
    CalendarFeed.objects.filter(member=locked, revoked_at__isnull=True).update(revoked_at=now)
    raw = new_token(FEED_TOKEN_BYTES)
    feed = CalendarFeed.objects.create(member=locked, token_hash=feed_token_hash(raw), created_at=now)
    audit_record(
        at=at, action=Action.CALENDAR_FEED_CREATED, actor=locked.user, circle_id=locked.circle_id, target=feed
    )
    return feed, raw


@transaction.atomic
def feed_revoke(*, member: Membership, at: datetime | None = None) -> int:
    """Stop the member's calendar URL. Returns how many feeds were revoked (0 or 1)."""
    now = at or timezone.now()
    count = CalendarFeed.objects.filter(member=member, revoked_at__isnull=True).update(revoked_at=now)
    if count:
        audit_record(
            at=at, action=Action.CALENDAR_FEED_REVOKED, actor=member.user, circle_id=member.circle_id
        )
    return count


def feed_url(raw: str) -> str:
    return settings.SITE_URL + reverse("meetups:feed", kwargs={"token": raw})
