"""Reads of trips and meetups. List pages run a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kindred.circles.models import CardTag, MemberCard, Membership
from kindred.core.services import NotFound
from kindred.core.sqlrows import Converters, column_converters, instance_from_row, per_backend
from kindred.matching.engine.text import CardText, Lexicon, Side, card_sides, overlap_words
from kindred.matching.selectors import lexicon_for
from kindred.notifications.selectors import InboxItem, inbox
from kindred.ties.selectors import met_offline_partners, tie_neighbors

from . import ics
from .models import (
    FEED_PAST_DAYS,
    SUGGEST_LIMIT,
    SUGGEST_MUTUAL_CAP,
    SUGGEST_OVERLAP_CAP,
    SUGGEST_WEIGHT_MUTUAL,
    SUGGEST_WEIGHT_OVERLAP,
    SUGGEST_WEIGHT_TIE,
    CalendarFeed,
    FollowUp,
    Invitee,
    Meetup,
    Rsvp,
    Trip,
)
from .services import feed_token_hash, meetup_url


def visible_meetups(member: Membership) -> QuerySet[Meetup]:
    """The meetups of the member's circle they may see: open ones, and by invitation those they host or
    are invited to."""
    invited = Invitee.objects.filter(meetup_id=OuterRef("pk"), member_id=member.pk)
    return Meetup.objects.filter(circle_id=member.circle_id).filter(
        Q(access=Meetup.Access.OPEN) | Q(host_id=member.pk) | Exists(invited)
    )


def _annotated(qs: QuerySet[Meetup], member: Membership) -> QuerySet[Meetup]:
    mine = Rsvp.objects.filter(meetup_id=OuterRef("pk"), member_id=member.pk)
    return (
        qs.select_related("host__card")
        .annotate(
            going_count=Count("rsvps", filter=Q(rsvps__status=Rsvp.Status.GOING), distinct=True),
            waitlist_count=Count("rsvps", filter=Q(rsvps__status=Rsvp.Status.WAITLISTED), distinct=True),
            checked_in_count=Count("rsvps", filter=Q(rsvps__checked_in_at__isnull=False), distinct=True),
        )
        .annotate(my_status=mine.values("status")[:1])
    )


@dataclass
class MeetupLists:
    upcoming: list[Meetup]
    past: list[Meetup]
    notices: list[InboxItem]  # the unread meetups.* notifications of the member's inbox


PAST_LIMIT = 50
NOTICES_LIMIT = 20


def meetup_lists(*, member: Membership, now: datetime | None = None) -> MeetupLists:
    """Upcoming meetups (soonest first), past ones with attendance (latest first), unread notices. Three
    queries, whatever the numbers."""
    now = now or timezone.now()
    base = _annotated(visible_meetups(member), member)
    upcoming = list(base.filter(ends_at__gte=now).order_by("starts_at", "id"))
    past = list(base.filter(ends_at__lt=now).order_by("-starts_at", "-id")[:PAST_LIMIT])
    notices = meetup_notices(member=member)
    return MeetupLists(upcoming=upcoming, past=past, notices=notices)


# The meetup pages' reads in one hand-written query each: the ORM's conditional counts and visibility
# subqueries cost ~3 ms of SQL compilation per query, more than everything else on the page. Same rules as
# visible_meetups and _annotated (kept for the API and the other apps); tests hold them equal.
_PAGE_SQL = """
SELECT m.id, m.title, m.access, m.timezone, m.starts_at, m.ends_at, m.city, m.venue, m.capacity,
    m.description, m.notes, m.host_id, m.updated_at, c.display_name AS host_name,
    (SELECT COUNT(*) FROM {rsvp} r WHERE r.meetup_id = m.id AND r.status = %s) AS going_count,
    (SELECT COUNT(*) FROM {rsvp} r WHERE r.meetup_id = m.id AND r.status = %s) AS waitlist_count,
    (SELECT COUNT(*) FROM {rsvp} r WHERE r.meetup_id = m.id AND r.checked_in_at IS NOT NULL)
        AS checked_in_count,
    (SELECT r.status FROM {rsvp} r WHERE r.meetup_id = m.id AND r.member_id = %s) AS my_status
FROM {meetup} m LEFT JOIN {card} c ON c.membership_id = m.host_id
WHERE m.circle_id = %s AND (m.access = %s OR m.host_id = %s
    OR EXISTS (SELECT 1 FROM {invitee} i WHERE i.meetup_id = m.id AND i.member_id = %s))"""
_TABLES = {
    "rsvp": Rsvp._meta.db_table,
    "meetup": Meetup._meta.db_table,
    "card": MemberCard._meta.db_table,
    "invitee": Invitee._meta.db_table,
    "feed": CalendarFeed._meta.db_table,
    "trip": Trip._meta.db_table,
}
_PAGE = _PAGE_SQL.format(**_TABLES)  # table names from the models: no outside text in the SQL
_LISTS_SQL = (
    f"SELECT * FROM ({_PAGE} AND m.ends_at >= %s) AS upcoming UNION ALL "  # noqa: S608
    f"SELECT * FROM ({_PAGE} AND m.ends_at < %s ORDER BY m.starts_at DESC, m.id DESC LIMIT %s) AS past"
)
_ONE_SQL = _PAGE + " AND m.id = %s"


_UPCOMING_SQL = """
SELECT m.id, m.title, m.city, m.starts_at FROM {meetup} m
WHERE m.circle_id = %s AND m.ends_at >= %s AND (m.access = %s OR m.host_id = %s
    OR EXISTS (SELECT 1 FROM {invitee} i WHERE i.meetup_id = m.id AND i.member_id = %s))
ORDER BY m.starts_at, m.id LIMIT %s""".format(**_TABLES)  # noqa: S608 - table names from the models


def upcoming_brief(*, member: Membership, limit: int, now: datetime | None = None) -> list[dict[str, Any]]:
    """The next meetups the member may see, not ended yet, soonest first (as the list page's upcoming ones):
    {pk, title, city, starts_at} each, for the conversation's side panel. ONE hand-written query (the same
    rules as visible_meetups; a test holds them equal)."""
    when = connection.ops.adapt_datetimefield_value(now or timezone.now())
    params = [member.circle_id, when, Meetup.Access.OPEN.value, member.pk, member.pk, limit]
    return [
        {"pk": m.pk, "title": m.title, "city": m.city, "starts_at": m.starts_at}
        for m in Meetup.objects.raw(_UPCOMING_SQL, params)
    ]


# The model columns of _PAGE_SQL's rows (attnames), in order; its annotations follow them. A meetup of the
# pages has these values and no other.
PAGE_FIELDS = (
    "id",
    "title",
    "access",
    "timezone",
    "starts_at",
    "ends_at",
    "city",
    "venue",
    "capacity",
    "description",
    "notes",
    "host_id",
    "updated_at",
)
PAGE_ANNOTATIONS = ("host_name", "going_count", "waitlist_count", "checked_in_count", "my_status")


@per_backend
def _page_columns() -> tuple[list[int], list[str], Converters]:
    """Where each model column of _PAGE_SQL's rows sits, in the model's field order (as `from_db` takes
    them), their attnames and converters."""
    order = list(Meetup._meta.concrete_fields)
    fields: list[Any] = sorted((Meetup._meta.get_field(n) for n in PAGE_FIELDS), key=order.index)
    positions = [PAGE_FIELDS.index(f.attname) for f in fields]
    return positions, [f.attname for f in fields], column_converters(fields, "m")


def _page_meetups(sql: str, params: list[Any]) -> list[Meetup]:
    """The meetups of a _PAGE_SQL statement, converted as the ORM converts them, with their annotations
    (what Meetup.objects.raw gave, without its per-statement set-up)."""
    positions, attnames, converters = _page_columns()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    out = []
    for row in rows:
        meetup = instance_from_row(Meetup, [row[i] for i in positions], 0, attnames, converters)
        for name, value in zip(PAGE_ANNOTATIONS, row[len(PAGE_FIELDS) :], strict=True):
            setattr(meetup, name, value)
        out.append(meetup)
    return out


def _page_params(member: Membership) -> list[object]:
    going, waitlisted = Rsvp.Status.GOING.value, Rsvp.Status.WAITLISTED.value
    return [going, waitlisted, member.pk, member.circle_id, Meetup.Access.OPEN.value, member.pk, member.pk]


def meetup_page_lists(
    *, member: Membership, now: datetime | None = None
) -> tuple[list[Meetup], list[Meetup]]:
    """The list page's meetups: (upcoming soonest first, past latest first, at most PAST_LIMIT), each with
    `host_name`, `going_count`, `waitlist_count`, `checked_in_count` and `my_status`. ONE query."""
    when = connection.ops.adapt_datetimefield_value(now or timezone.now())
    params = [*_page_params(member), when, *_page_params(member), when, PAST_LIMIT]
    rows = _page_meetups(_LISTS_SQL, params)
    when_now = now or timezone.now()
    upcoming = sorted((m for m in rows if m.ends_at >= when_now), key=lambda m: (m.starts_at, m.pk))
    past = sorted((m for m in rows if m.ends_at < when_now), key=lambda m: (m.starts_at, m.pk), reverse=True)
    return upcoming, past


def meetup_page_one(*, member: Membership, meetup_id: int) -> Meetup:
    """One meetup the member may see, as meetup_page_lists gives them (NotFound otherwise). ONE query."""
    found = _page_meetups(_ONE_SQL, [*_page_params(member), meetup_id])
    if not found:
        raise NotFound(_("Meetup not found."))
    return found[0]


def meetup_page_many(*, member: Membership, meetup_ids: list[int]) -> dict[int, Meetup]:
    """The meetups among `meetup_ids` the member may see, by id, as meetup_page_lists gives them (the
    conversation's stream cards). ONE query, whatever their number (none for no ids)."""
    ids = [int(i) for i in meetup_ids]
    if not ids:
        return {}
    sql = _PAGE + " AND m.id IN (" + ", ".join(["%s"] * len(ids)) + ")"  # placeholders only
    return {m.pk: m for m in _page_meetups(sql, [*_page_params(member), *ids])}


def meetup_for_member(*, member: Membership, meetup_id: int) -> Meetup:
    """One meetup the member may see (with counts and their own answer); NotFound otherwise, the same
    answer as for a meetup that does not exist."""
    meetup = _annotated(visible_meetups(member), member).select_related("circle").filter(pk=meetup_id).first()
    if meetup is None:
        raise NotFound(_("Meetup not found."))
    return meetup


def meetups_for_member(*, member: Membership, meetup_ids: list[int]) -> dict[int, Meetup]:
    """The meetups among `meetup_ids` the member may see, by id, each with its counts and the member's own
    answer (`my_status`), as meetup_for_member gives them. One query, whatever their number."""
    rows = _annotated(visible_meetups(member), member).filter(pk__in=meetup_ids)
    return {m.pk: m for m in rows}


def active_membership(*, user: object, circle_id: int | None) -> Membership | None:
    """The user's active membership of a circle (for URLs that name an object, not the circle)."""
    if circle_id is None or not getattr(user, "is_authenticated", False):
        return None
    return (
        Membership.objects.select_related("circle", "card", "user")
        .filter(circle_id=circle_id, user=user, status=Membership.Status.ACTIVE)  # type: ignore[misc]
        .first()
    )


def meetup_for_user(*, user: object, meetup_id: int) -> tuple[Meetup, Membership]:
    """For URLs without the circle (/api/v1/meetups/{id}): the meetup and the user's active membership
    in its circle; NotFound when there is none or the meetup is not visible to them."""
    circle_id = Meetup.objects.filter(pk=meetup_id).values_list("circle_id", flat=True).first()
    member = active_membership(user=user, circle_id=circle_id)
    if member is None:
        raise NotFound(_("Meetup not found."))
    return meetup_for_member(member=member, meetup_id=meetup_id), member


@dataclass
class MeetupDetail:
    meetup: Meetup
    going: list[Rsvp]
    waitlist: list[Rsvp]
    maybe: list[Rsvp]
    declined: list[Rsvp]
    invitees: list[Membership]
    followups: list[FollowUp]
    mine: Rsvp | None

    @property
    def checked_in(self) -> list[Rsvp]:
        return [r for r in self.going if r.checked_in_at is not None]


def meetup_detail(*, member: Membership, meetup: Meetup) -> MeetupDetail:
    """Everyone's answers, the invitees and the host's follow-ups (three queries)."""
    rsvps = list(
        Rsvp.objects.filter(meetup=meetup)
        .select_related("member__card")
        .order_by("queued_at", "answered_at", "id")
    )
    by_status: dict[str, list[Rsvp]] = {s: [] for s in Rsvp.Status.values}
    for r in rsvps:
        by_status[r.status].append(r)
    invitees = [
        i.member
        for i in Invitee.objects.filter(meetup=meetup)
        .select_related("member__card")
        .order_by("invited_at", "id")
    ]
    followups = list(
        FollowUp.objects.filter(meetup=meetup).select_related("member_a__card", "member_b__card")
    )
    return MeetupDetail(
        meetup=meetup,
        going=by_status[Rsvp.Status.GOING],
        waitlist=by_status[Rsvp.Status.WAITLISTED],
        maybe=by_status[Rsvp.Status.MAYBE],
        declined=by_status[Rsvp.Status.DECLINED],
        invitees=invitees,
        followups=followups,
        mine=next((r for r in rsvps if r.member_id == member.pk), None),
    )


@dataclass(frozen=True)
class PageAttendee:
    member_id: int
    name: str
    status: str = ""
    checked_in: bool = False

    @property
    def status_label(self) -> str:
        return str(Rsvp.Status(self.status).label) if self.status else ""


@dataclass(frozen=True)
class PageFollowUp:
    a_name: str
    b_name: str
    note: str


@dataclass
class MeetupPageDetail:
    """What the meetup's page shows of its people: answers by status (in the waitlist's order), the
    invitees, the host's follow-ups and the viewer's own answer."""

    going: list[PageAttendee]
    waitlist: list[PageAttendee]
    maybe: list[PageAttendee]
    invitees: list[PageAttendee]
    followups: list[PageFollowUp]
    mine: PageAttendee | None


_PEOPLE_SQL = """
SELECT 'r' AS kind, r.member_id AS a_id, ca.display_name AS a_name, NULL AS b_name, r.status AS status,
    CASE WHEN r.checked_in_at IS NULL THEN 0 ELSE 1 END AS checked_in, NULL AS note,
    ROW_NUMBER() OVER (ORDER BY r.queued_at, r.answered_at, r.id) AS pos
FROM {rsvp} r LEFT JOIN {card} ca ON ca.membership_id = r.member_id WHERE r.meetup_id = %s
UNION ALL
SELECT 'i', i.member_id, ca.display_name, NULL, NULL, 0, NULL, ROW_NUMBER() OVER (ORDER BY i.invited_at, i.id)
FROM {invitee} i LEFT JOIN {card} ca ON ca.membership_id = i.member_id WHERE i.meetup_id = %s
UNION ALL
SELECT 'f', f.member_a_id, ca.display_name, cb.display_name, NULL, 0, f.note,
    ROW_NUMBER() OVER (ORDER BY f.created_at, f.id)
FROM {followup} f LEFT JOIN {card} ca ON ca.membership_id = f.member_a_id
    LEFT JOIN {card} cb ON cb.membership_id = f.member_b_id WHERE f.meetup_id = %s""".format(
    **_TABLES, followup=FollowUp._meta.db_table
)


def meetup_page_detail(*, member: Membership, meetup_id: int) -> MeetupPageDetail:
    """The people of a meetup the member may see (check with meetup_page_one first), as meetup_detail
    reads them, in names and statuses only. ONE query."""
    with connection.cursor() as cursor:
        cursor.execute(_PEOPLE_SQL, [meetup_id, meetup_id, meetup_id])
        rows = sorted(cursor.fetchall(), key=lambda row: (row[0], row[7]))
    out = MeetupPageDetail(going=[], waitlist=[], maybe=[], invitees=[], followups=[], mine=None)
    by_status = {
        Rsvp.Status.GOING: out.going,
        Rsvp.Status.WAITLISTED: out.waitlist,
        Rsvp.Status.MAYBE: out.maybe,
    }
    for kind, a_id, a_name, b_name, status, checked_in, note, _pos in rows:
        if kind == "f":
            out.followups.append(PageFollowUp(a_name=a_name or "", b_name=b_name or "", note=note or ""))
        elif kind == "i":
            out.invitees.append(PageAttendee(member_id=a_id, name=a_name or ""))
        else:
            person = PageAttendee(
                member_id=a_id, name=a_name or "", status=status, checked_in=bool(checked_in)
            )
            if status in by_status:
                by_status[status].append(person)
            if a_id == member.pk:
                out.mine = person
    return out


def trip_for_member(*, member: Membership, trip_id: int) -> Trip:
    """A trip of the member's circle (trips are shared with the circle, so members can see who is coming)."""
    trip = (
        Trip.objects.select_related("traveller__card").filter(circle_id=member.circle_id, pk=trip_id).first()
    )
    if trip is None:
        raise NotFound(_("Trip not found."))
    return trip


_TRIPS_SQL = """
SELECT t.id, t.city, t.starts_on, t.ends_on, c.display_name AS traveller_name,
    (SELECT COUNT(*) FROM {feed} f WHERE f.member_id = %s AND f.revoked_at IS NULL) AS feeds
FROM (SELECT 1 AS one) one LEFT JOIN {trip} t ON t.circle_id = %s AND t.ends_on >= %s
    LEFT JOIN {card} c ON c.membership_id = t.traveller_id
ORDER BY t.starts_on, t.id LIMIT 20""".format(**_TABLES)  # noqa: S608 - table names from the models only


@per_backend
def _trip_columns() -> tuple[list[str], Converters]:
    fields: list[Any] = [Trip._meta.get_field(name) for name in ("id", "city", "starts_on", "ends_on")]
    return [f.attname for f in fields], column_converters(fields, "t")


def trips_and_feed(*, member: Membership, today: date | None = None) -> tuple[list[dict[str, Any]], bool]:
    """For the meetups page: the circle's trips not over yet, soonest first (at most 20: id, city, starts_on,
    ends_on, the traveller's name), and whether the member has a calendar link on. ONE query."""
    day = connection.ops.adapt_datefield_value(today or timezone.localdate())
    attnames, converters = _trip_columns()
    with connection.cursor() as cursor:
        cursor.execute(_TRIPS_SQL, [member.pk, member.circle_id, day])
        rows = cursor.fetchall()
    trips = []
    for row in rows:
        if row[0] is None:  # no trip: the one row that carries the calendar link's count
            continue
        trip = instance_from_row(Trip, row, 0, attnames, converters)
        trips.append(
            {
                "id": trip.pk,
                "city": trip.city,
                "starts_on": trip.starts_on,
                "ends_on": trip.ends_on,
                "traveller_name": row[4],
            }
        )
    return trips, bool(rows and rows[0][5])


def meetup_notices(*, member: Membership) -> list[InboxItem]:
    """The unread meetups.* notifications of the member's inbox (at most NOTICES_LIMIT)."""
    return inbox(member=member, app="meetups", unread_only=True, limit=NOTICES_LIMIT)


@dataclass(frozen=True)
class TripSuggestion:
    member: Membership
    score: int
    tied: bool
    mutual: int
    overlap: tuple[str, ...]
    met_offline: bool


def _sides(card: MemberCard, tags: list[tuple[str, str]], lexicon: Lexicon) -> tuple[Side, Side]:
    """(offers, needs) of a card as the matching reads them: search tokens and taxonomy concepts to count
    what meets, and whole words (短视频, never 短视 or 视频) to show it."""
    return card_sides(
        CardText(
            key=card.pk,
            offers=card.offers,
            needs=card.needs,
            offer_tags=tuple(n for k, n in tags if k == CardTag.Kind.OFFER),
            need_tags=tuple(n for k, n in tags if k == CardTag.Kind.NEED),
        ),
        lexicon,
    )


def trip_suggestions(*, trip: Trip, limit: int = SUGGEST_LIMIT) -> list[TripSuggestion]:
    """Active members whose card says they are in the trip's city, best first: a tie with the traveller,
    mutual ties, and how their offers meet the traveller's needs (and the other way round). Each is marked
    when the traveller has never met them offline. The shared words shown are whole words and taxonomy
    terms. Five queries, whatever the circle's size."""
    traveller = trip.traveller
    card = traveller.card
    city = " ".join(trip.city.split())
    members = list(
        Membership.objects.filter(
            circle_id=trip.circle_id, status=Membership.Status.ACTIVE, card__city__iexact=city
        )
        .exclude(pk=traveller.pk)
        .select_related("card")
        .prefetch_related("card__tags")
    )
    if not members:
        return []
    ids = {m.pk for m in members}
    neighbors = tie_neighbors(circle_id=trip.circle_id, member_ids=ids | {traveller.pk})
    mine = neighbors.get(traveller.pk, set())
    met = met_offline_partners(membership=traveller, member_ids=ids)
    lexicon = lexicon_for(circle=trip.circle_id)
    my_offers, my_needs = _sides(
        card, list(CardTag.objects.filter(card_id=card.pk).values_list("kind", "name")), lexicon
    )
    out = []
    for m in members:
        c: MemberCard = m.card
        their_offers, their_needs = _sides(c, [(t.kind, t.name) for t in c.tags.all()], lexicon)
        met_terms, overlap = overlap_words((my_needs, their_offers), (their_needs, my_offers))
        tied = m.pk in mine
        mutual = len((mine & neighbors.get(m.pk, set())) - {m.pk, traveller.pk})
        score = (
            (SUGGEST_WEIGHT_TIE if tied else 0)
            + SUGGEST_WEIGHT_MUTUAL * min(mutual, SUGGEST_MUTUAL_CAP)
            + SUGGEST_WEIGHT_OVERLAP * min(met_terms, SUGGEST_OVERLAP_CAP)
        )
        out.append(
            TripSuggestion(
                member=m, score=score, tied=tied, mutual=mutual, overlap=overlap, met_offline=m.pk in met
            )
        )
    out.sort(key=lambda s: (-s.score, s.met_offline, s.member.joined_at, s.member.pk))
    return out[:limit]


# --- calendars ---------------------------------------------------------------------------------------


def _event(meetup: Meetup) -> ics.EventData:
    location = ", ".join(p for p in (meetup.venue, meetup.city) if p)
    return ics.EventData(
        uid=ics.event_uid(meetup.uid.hex),
        sequence=meetup.sequence,
        title=meetup.title,
        description=meetup.description,
        location=location,
        starts_at=meetup.starts_at,
        ends_at=meetup.ends_at,
        timezone=meetup.timezone,
        url=meetup_url(meetup),
        stamp=meetup.updated_at,
    )


def meetup_ics(*, meetup: Meetup) -> bytes:
    return ics.build_calendar([_event(meetup)], name=meetup.title)


@dataclass
class Feed:
    member: Membership
    meetups: list[Meetup] = field(default_factory=list)


def feed_for_token(*, token: str) -> Feed:
    """The meetups of a live calendar token's member: those they host or said yes or maybe to (waitlisted
    included), from FEED_PAST_DAYS ago on. NotFound for an unknown or revoked token, or a removed member."""
    if not token or len(token) > 128:
        raise NotFound(_("Calendar not found."))
    feed = (
        CalendarFeed.objects.select_related("member__circle")
        .filter(token_hash=feed_token_hash(token), revoked_at__isnull=True)
        .first()
    )
    if feed is None or not feed.member.is_active:
        raise NotFound(_("Calendar not found."))
    member = feed.member
    since = timezone.now() - timedelta(days=FEED_PAST_DAYS)
    mine = Rsvp.objects.filter(
        meetup_id=OuterRef("pk"),
        member_id=member.pk,
        status__in=(Rsvp.Status.GOING, Rsvp.Status.WAITLISTED, Rsvp.Status.MAYBE),
    )
    meetups = list(
        visible_meetups(member)
        .filter(Exists(mine), ends_at__gte=since)
        .select_related("circle")
        .order_by("starts_at", "id")
    )
    return Feed(member=member, meetups=meetups)


def feed_ics(*, feed: Feed) -> bytes:
    name = f"Kindred · {feed.member.circle.name}"
    return ics.build_calendar([_event(m) for m in feed.meetups], name=name)


def rsvp_timeline(*, circle_id: int) -> list[tuple]:
    """Every answer to a meetup of the circle, for the health page: (member_id, meetup_id,
    meetup starts_at, status, answered_at, checked_in_at). One query."""
    return list(
        Rsvp.objects.filter(meetup__circle_id=circle_id)
        .order_by("id")
        .values_list("member_id", "meetup_id", "meetup__starts_at", "status", "answered_at", "checked_in_at")
    )


def attendance_export_rows(*, viewer: Membership) -> list[dict[str, object]]:
    """Every answer to the meetups `viewer` may see, by meetup then answer, for the organizer's export
    (the status as a label in the active language). One query."""
    rows = (
        Rsvp.objects.filter(meetup__in=visible_meetups(viewer))
        .order_by("meetup__starts_at", "meetup_id", "id")
        .values(
            "meetup_id",
            "meetup__title",
            "meetup__city",
            "meetup__starts_at",
            "member_id",
            "member__card__display_name",
            "status",
            "answered_at",
            "checked_in_at",
        )
    )
    return [{**row, "status_label": str(Rsvp.Status(row["status"]).label)} for row in rows]


def meetups_of_member(*, member_ids: list[int]) -> dict[str, list]:
    """The meetups these memberships host, their answers, trips and follow-ups they wrote, for the
    member's own export (calendar feed tokens are never shown). Four queries."""
    return {
        "meetups_hosted": list(
            Meetup.objects.filter(host_id__in=member_ids)
            .order_by("id")
            .values(
                "id", "circle_id", "title", "city", "venue", "description", "starts_at", "ends_at", "notes"
            )
        ),
        "rsvps": list(
            Rsvp.objects.filter(member_id__in=member_ids)
            .order_by("id")
            .values("meetup_id", "meetup__title", "status", "answered_at", "checked_in_at")
        ),
        "trips": list(
            Trip.objects.filter(traveller_id__in=member_ids)
            .order_by("id")
            .values("id", "circle_id", "city", "starts_on", "ends_on", "note")
        ),
        "followups": list(
            FollowUp.objects.filter(author_id__in=member_ids)
            .order_by("id")
            .values("meetup_id", "member_a_id", "member_b_id", "note", "created_at")
        ),
    }
