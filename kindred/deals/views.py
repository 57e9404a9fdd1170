"""Deal pages: the circle's feed (with the organizer's numbers), recording a deal, one deal with its
parties, confirmation and stage. Thin: every change goes through deals.services."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kindred.circles.access import circle_view
from kindred.circles.models import Membership
from kindred.circles.selectors import directory_queryset
from kindred.core.fragments import CSRF_SLOT, fragment, with_csrf
from kindred.core.services import NotFound, ServiceError
from kindred.meetups.selectors import meetup_for_member, meetup_lists

from . import selectors, services
from .forms import DealForm, StageForm
from .models import Deal


def _context(me: Membership, **extra: Any) -> dict[str, Any]:
    return {"circle": me.circle, "membership": me, **extra}


@circle_view
@require_GET
def deal_list(request: HttpRequest, me: Membership) -> HttpResponse:
    counted, waiting = selectors.deal_page_feed(member=me)
    # The two lists, rendered once per content: every value a card shows is in the key (the amount only
    # where this viewer may see it), so viewers who see the same share it.
    shown = [[v.shown for v in views] for views in (waiting, counted)]
    feed = fragment(
        "deals.feed",
        (me.circle.slug, repr(shown)),
        lambda: render_to_string(
            "deals/_feed.html", {"circle": me.circle, "counted": counted, "waiting": waiting}
        ),
    )
    stats = selectors.deal_stats(circle=me.circle) if me.is_organizer else None
    return render(request, "deals/list.html", _context(me, feed=feed, stats=stats))


def _form(me: Membership, data: Any = None) -> DealForm:
    members = (
        directory_queryset(circle_id=me.circle_id)
        .exclude(pk=me.pk)
        .select_related("card")
        .order_by("card__display_name")
    )
    past = meetup_lists(member=me, now=timezone.now()).past
    return DealForm(
        data,
        member_choices=[(m.pk, m.card.display_name) for m in members],
        meetup_choices=[(m.pk, f"{timezone.localtime(m.starts_at):%Y-%m-%d} {m.title}") for m in past],
    )


@circle_view
@require_http_methods(["GET", "POST"])
def deal_new(request: HttpRequest, me: Membership) -> HttpResponse:
    form = _form(me, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meetup = (
                meetup_for_member(member=me, meetup_id=data["origin_meetup"])
                if data["origin_meetup"]
                else None
            )
            deal = services.deal_create(
                circle=me.circle,
                creator=me,
                kind=data["kind"],
                title=data["title"],
                party_ids=data["parties"],
                origin=data["origin"],
                origin_meetup=meetup,
                origin_note=data["origin_note"],
                description=data["description"],
                outside_party=data["outside_party"],
                amount_fen=form.amount_fen(),
                amount_public=data["amount_public"],
                stage=data["stage"],
            )
        except ServiceError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Deal recorded; the other parties are asked to confirm it."))
            return redirect("deals:detail", slug=me.circle.slug, deal_id=deal.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "deals/new.html", _context(me, form=form), status=status)


def _detail(request: HttpRequest, me: Membership, deal_id: int) -> HttpResponse:
    view = selectors.deal_page_one(member=me, deal_id=deal_id)
    next_stages = services.NEXT_STAGES[view.deal.stage]
    choices = [(value, label) for value, label in Deal.Stage.choices if value in next_stages]
    context = _context(me, view=view, stage_choices=choices if view.is_party else [])
    # Rendered once per content: every value the page shows (the amount only where the viewer may see
    # it, whether they are a party and have confirmed) is in the key.
    shown = (
        *(getattr(view.deal, name) for name in _DETAIL_FIELDS),
        view.amount_yuan,
        view.parties,
        view.is_party,
        view.my_party,
        next_stages,
    )
    html = fragment(
        "deals.detail",
        (me.circle.slug, _digest(shown)),
        lambda: render_to_string("deals/_detail.html", {**context, "csrf_token": CSRF_SLOT}),
    )
    return render(request, "deals/detail.html", {**context, "content": with_csrf(request, html)})


# The deal's fields its page shows (all read by deal_page_one).
_DETAIL_FIELDS = (
    "pk",
    "title",
    "kind",
    "stage",
    "created_at",
    "signed_at",
    "closed_at",
    "abandoned_at",
    "confirmed_at",
    "origin",
    "origin_meetup_id",
    "meetup_title",
    "origin_note",
    "amount_public",
    "outside_party",
    "description",
)


def _digest(values: object) -> str:
    return hashlib.blake2b(repr(values).encode(), digest_size=16).hexdigest()


@circle_view
@require_GET
def deal_detail(request: HttpRequest, me: Membership, deal_id: int) -> HttpResponse:
    return _detail(request, me, deal_id)


def _change(request: HttpRequest, me: Membership, deal_id: int, action: Any, done: str) -> HttpResponse:
    view = selectors.deal_for_member(member=me, deal_id=deal_id)
    try:
        action(view.deal)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    except ServiceError as exc:
        # Refused: back to the deal with the reason (nothing changed).
        messages.error(request, str(exc.message))
        return redirect("deals:detail", slug=me.circle.slug, deal_id=deal_id)
    messages.success(request, done)
    return redirect("deals:detail", slug=me.circle.slug, deal_id=deal_id)


@circle_view
@require_POST
def deal_confirm(request: HttpRequest, me: Membership, deal_id: int) -> HttpResponse:
    return _change(request, me, deal_id, lambda d: services.deal_confirm(deal=d, member=me), _("Confirmed."))


@circle_view
@require_POST
def deal_stage(request: HttpRequest, me: Membership, deal_id: int) -> HttpResponse:
    form = StageForm(request.POST)
    stage = form.cleaned_data["stage"] if form.is_valid() else ""
    return _change(
        request,
        me,
        deal_id,
        lambda d: services.deal_stage_set(deal=d, member=me, stage=stage),
        _("Stage updated."),
    )
