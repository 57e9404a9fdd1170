"""Meetup pages: the list (upcoming, past with attendance, trips, notices, my calendar), a trip with its
suggestions, a meetup with RSVP, check-in, notes and follow-ups; the .ics file and the secret calendar feed.
Thin: every change goes through meetups.services."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kindred.circles.access import circle_view
from kindred.circles.models import Membership
from kindred.circles.selectors import membership_get
from kindred.core.fragments import CSRF_SLOT, fragment, with_csrf
from kindred.core.services import NotFound, ServiceError
from kindred.notifications.services import notifications_mark_read

from . import selectors, services
from .forms import CheckinForm, FollowUpForm, MeetupForm, NotesForm, RsvpForm, TripForm, TripInviteForm
from .models import Meetup

ICS_TYPE = "text/calendar; charset=utf-8"


def _context(me: Membership, **extra: Any) -> dict[str, Any]:
    return {"circle": me.circle, "membership": me, **extra}


def _form_errors(form: Any) -> str:
    return " ".join(str(e) for errs in form.errors.values() for e in errs) or _("Check the form.")


def _list_page(
    request: HttpRequest, me: Membership, *, feed_url: str = "", status: int = 200, mark_read: bool = False
) -> HttpResponse:
    upcoming, past = selectors.meetup_page_lists(member=me)
    notices = selectors.meetup_notices(member=me)
    trips, feed = selectors.trips_and_feed(member=me)
    context = _context(me, notices=notices, trips=trips, feed=feed, feed_url=feed_url)

    def render_content() -> str:
        context["upcoming"] = _cards(me, upcoming, past=False)
        context["past_meetups"] = _cards(me, past, past=True)
        context["trip_fields"] = fragment("meetups.trip_fields", (), _trip_fields)
        return render_to_string("meetups/_list.html", {**context, "csrf_token": CSRF_SLOT})

    # Rendered once per content: every value the page shows (each card's, the viewer's own answers
    # included, the news, the trips, the calendar link) is in the key.
    shown = (
        [(n.id, n.url, n.text) for n in notices],
        [tuple(t.values()) for t in trips],
        feed,
        feed_url,
        _card_values(upcoming),
        _card_values(past),
    )
    html = fragment("meetups.list", (me.circle.slug, _digest(shown)), render_content)
    response = render(
        request, "meetups/list.html", {**context, "content": with_csrf(request, html)}, status=status
    )
    if mark_read and notices:  # the news shown here (meetups.* of the inbox) are read
        notifications_mark_read(member=me, ids=[n.id for n in notices])
    return response


def _card_values(meetups: list[Meetup]) -> list[tuple[object, ...]]:
    """Every value a meetup's card shows."""
    return [
        (
            m.pk,
            m.title,
            m.access,
            m.timezone,
            m.starts_at,
            m.ends_at,
            m.city,
            m.venue,
            m.capacity,
            *(getattr(m, name) for name in selectors.PAGE_ANNOTATIONS),
        )
        for m in meetups
    ]


def _cards(me: Membership, meetups: list[Meetup], *, past: bool) -> str:
    if not meetups:
        return ""
    context = {"circle": me.circle, "meetups": meetups, "past": past}
    return render_to_string("meetups/_cards.html", context)


def _trip_fields() -> str:
    """The trip form's fields (the same for everyone), rendered once per language."""
    return render_to_string("meetups/_trip_fields.html", {"trip_form": TripForm()})


@circle_view
@require_GET
def meetup_list(request: HttpRequest, me: Membership) -> HttpResponse:
    return _list_page(request, me, mark_read=True)


@circle_view
@require_http_methods(["GET", "POST"])
def meetup_new(request: HttpRequest, me: Membership) -> HttpResponse:
    form = MeetupForm(request.POST or None, initial={"city": getattr(me.card, "city", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meetup = services.meetup_create(
                circle=me.circle,
                host=me,
                title=data["title"],
                city=data["city"],
                venue=data["venue"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                capacity=data["capacity"],
                access=data["access"],
                description=data["description"],
            )
        except ServiceError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Meetup created."))
            return redirect("meetups:detail", slug=me.circle.slug, meetup_id=meetup.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "meetups/new.html", _context(me, form=form), status=status)


@circle_view
@require_POST
def trip_new(request: HttpRequest, me: Membership) -> HttpResponse:
    form = TripForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _list_page(request, me, status=400)
    try:
        trip = services.trip_create(traveller=me, **form.cleaned_data)
    except ServiceError as exc:
        messages.error(request, str(exc.message))
        return _list_page(request, me, status=400)
    return redirect("meetups:trip", slug=me.circle.slug, trip_id=trip.pk)


def _trip_page(
    request: HttpRequest, me: Membership, trip_id: int, form: TripInviteForm | None = None
) -> HttpResponse:
    trip = selectors.trip_for_member(member=me, trip_id=trip_id)
    suggestions = selectors.trip_suggestions(trip=trip) if trip.traveller_id == me.pk else []
    if form is None:
        start, end = services.trip_default_times(trip)
        form = TripInviteForm(
            initial={
                "title": _("Dinner in %(city)s") % {"city": trip.city},
                "starts_at": timezone.localtime(start),
                "ends_at": timezone.localtime(end),
            },  # nobody ticked: the traveller picks whom to invite
            member_choices=[(s.member.pk, s.member.card.display_name) for s in suggestions],
        )
    context = _context(me, trip=trip, suggestions=suggestions, form=form)
    return render(request, "meetups/trip.html", context, status=400 if form.is_bound else 200)


@circle_view
@require_GET
def trip_detail(request: HttpRequest, me: Membership, trip_id: int) -> HttpResponse:
    return _trip_page(request, me, trip_id)


@circle_view
@require_POST
def trip_invite(request: HttpRequest, me: Membership, trip_id: int) -> HttpResponse:
    trip = selectors.trip_for_member(member=me, trip_id=trip_id)
    if trip.traveller_id != me.pk:
        raise Http404(_("Trip not found."))
    choices = [(s.member.pk, s.member.card.display_name) for s in selectors.trip_suggestions(trip=trip)]
    form = TripInviteForm(request.POST, member_choices=choices)
    if form.is_valid():
        data = form.cleaned_data
        try:
            meetup = services.meetup_from_trip(
                trip=trip,
                host=me,
                member_ids=data["members"],
                title=data["title"],
                venue=data["venue"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                capacity=data["capacity"],
            )
        except ServiceError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Invitations sent."))
            return redirect("meetups:detail", slug=me.circle.slug, meetup_id=meetup.pk)
    return _trip_page(request, me, trip_id, form)


def _detail_page(request: HttpRequest, me: Membership, meetup_id: int, *, status: int = 200) -> HttpResponse:
    meetup = selectors.meetup_page_one(member=me, meetup_id=meetup_id)
    detail = selectors.meetup_page_detail(member=me, meetup_id=meetup.pk)
    now = timezone.now()
    is_host = meetup.host_id == me.pk
    context = _context(
        me,
        meetup=meetup,
        detail=detail,
        is_host=is_host,
        is_open=meetup.starts_at > now,
        checkin_open=meetup.starts_at - services.CHECKIN_OPENS_BEFORE
        <= now
        <= meetup.ends_at + services.CHECKIN_CLOSES_AFTER,
    )

    def render_content() -> str:
        if is_host:  # only the host's page has the forms
            context["notes_form"] = NotesForm(initial={"notes": meetup.notes})
            people = [(r.member_id, r.name) for r in detail.going]
            context["followup_form"] = FollowUpForm(member_choices=people)
        return render_to_string("meetups/_detail.html", {**context, "csrf_token": CSRF_SLOT})

    # Rendered once per content: every value the page shows (the viewer's own answer, whether they host and
    # whether answers and check-in are open included) is in the key.
    shown = (
        *(getattr(meetup, name) for name in selectors.PAGE_FIELDS),
        *(getattr(meetup, name) for name in selectors.PAGE_ANNOTATIONS),
        detail,
        context["is_host"],
        context["is_open"],
        context["checkin_open"],
    )
    html = fragment("meetups.detail", (me.circle.slug, _digest(shown)), render_content)
    context["content"] = with_csrf(request, html)
    return render(request, "meetups/detail.html", context, status=status)


def _digest(values: object) -> str:
    return hashlib.blake2b(repr(values).encode(), digest_size=16).hexdigest()


@circle_view
@require_GET
def meetup_detail(request: HttpRequest, me: Membership, meetup_id: int) -> HttpResponse:
    return _detail_page(request, me, meetup_id)


def _after(
    request: HttpRequest, me: Membership, meetup_id: int, done: str, exc: ServiceError | None
) -> HttpResponse:
    if exc is not None:
        if isinstance(exc, NotFound):
            raise Http404(str(exc.message))
        # Refused: back to the meetup with the reason (nothing changed).
        messages.error(request, str(exc.message))
        return redirect("meetups:detail", slug=me.circle.slug, meetup_id=meetup_id)
    messages.success(request, done)
    return redirect("meetups:detail", slug=me.circle.slug, meetup_id=meetup_id)


def _meetup(me: Membership, meetup_id: int) -> Meetup:
    return selectors.meetup_for_member(member=me, meetup_id=meetup_id)


@circle_view
@require_POST
def rsvp(request: HttpRequest, me: Membership, meetup_id: int) -> HttpResponse:
    meetup = _meetup(me, meetup_id)
    form = RsvpForm(request.POST)
    if not form.is_valid():
        return _after(request, me, meetup_id, "", ServiceError(_form_errors(form)))
    try:
        got = services.rsvp_set(meetup=meetup, member=me, answer=form.cleaned_data["answer"])
    except ServiceError as exc:
        return _after(request, me, meetup_id, "", exc)
    return _after(
        request, me, meetup_id, _("Your answer: %(status)s.") % {"status": got.get_status_display()}, None
    )


@circle_view
@require_POST
def checkin(request: HttpRequest, me: Membership, meetup_id: int) -> HttpResponse:
    meetup = _meetup(me, meetup_id)
    form = CheckinForm(request.POST)
    if not form.is_valid():
        return _after(request, me, meetup_id, "", ServiceError(_form_errors(form)))
    try:
        member_id = form.cleaned_data["member_id"]
        member = membership_get(circle=me.circle_id, member_id=member_id) if member_id else None
        services.checkin_record(meetup=meetup, actor=me, member=member)
    except ServiceError as exc:
        return _after(request, me, meetup_id, "", exc)
    return _after(request, me, meetup_id, _("Checked in."), None)


@circle_view
@require_POST
def notes(request: HttpRequest, me: Membership, meetup_id: int) -> HttpResponse:
    meetup = _meetup(me, meetup_id)
    form = NotesForm(request.POST)
    if not form.is_valid():
        return _after(request, me, meetup_id, "", ServiceError(_form_errors(form)))
    try:
        services.meetup_notes_set(meetup=meetup, actor=me, notes=form.cleaned_data["notes"])
    except ServiceError as exc:
        return _after(request, me, meetup_id, "", exc)
    return _after(request, me, meetup_id, _("Notes saved."), None)


@circle_view
@require_POST
def followup(request: HttpRequest, me: Membership, meetup_id: int) -> HttpResponse:
    meetup = _meetup(me, meetup_id)
    detail = selectors.meetup_detail(member=me, meetup=meetup)
    people = [(r.member_id, r.member.card.display_name) for r in detail.going]
    form = FollowUpForm(request.POST, member_choices=people)
    if not form.is_valid():
        return _after(request, me, meetup_id, "", ServiceError(_form_errors(form)))
    data = form.cleaned_data
    try:
        services.followup_create(
            meetup=meetup,
            actor=me,
            member_a=membership_get(circle=me.circle_id, member_id=data["member_a"]),
            member_b=membership_get(circle=me.circle_id, member_id=data["member_b"]),
            note=data["note"],
        )
    except ServiceError as exc:
        return _after(request, me, meetup_id, "", exc)
    return _after(request, me, meetup_id, _("Follow-up noted."), None)


def _ics_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=ICS_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@circle_view
@require_GET
def meetup_ics(request: HttpRequest, me: Membership, meetup_id: int) -> HttpResponse:
    meetup = _meetup(me, meetup_id)
    return _ics_response(selectors.meetup_ics(meetup=meetup), f"meetup-{meetup.pk}.ics")


@circle_view
@require_POST
def feed_create(request: HttpRequest, me: Membership) -> HttpResponse:
    try:
        _feed, raw = services.feed_create(member=me)
    except ServiceError as exc:
        messages.error(request, str(exc.message))
        return _list_page(request, me, status=exc.status_code)
    # Shown once, on this page only: only the hash is kept.
    return _list_page(request, me, feed_url=services.feed_url(raw))


@circle_view
@require_POST
def feed_revoke(request: HttpRequest, me: Membership) -> HttpResponse:
    services.feed_revoke(member=me)
    messages.success(request, _("Your calendar link no longer works."))
    return redirect(reverse("meetups:list", args=[me.circle.slug]))


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The secret calendar URL: no sign-in (calendar apps cannot), the token is the key."""
    try:
        found = selectors.feed_for_token(token=token)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    return _ics_response(selectors.feed_ics(feed=found), "kindred.ics")
