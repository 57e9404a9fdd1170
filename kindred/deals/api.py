"""The deals API: record, confirm, move on, the circle's feed and the organizer's numbers. Non-members
get 404; a deal still waiting for its parties is 404 for everyone else; amounts stay with the parties."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Path, Router, Status

from kindred.circles.selectors import membership_for_circle
from kindred.core.schemas import ERRORS
from kindred.core.services import PermissionDenied
from kindred.meetups.selectors import meetup_for_member

from . import selectors, services
from .schemas import MAX_ID, DealFeedOut, DealIn, DealOut, DealStatsOut, MonthOut, PartyOut, StageIn

router = Router(tags=["deals"])

Id = Annotated[int, Path(ge=1, le=MAX_ID)]


def deal_out(view: selectors.DealView) -> DealOut:
    d = view.deal
    return DealOut(
        id=d.pk,
        kind=d.kind,
        title=d.title,
        description=d.description,
        outside_party=d.outside_party,
        amount_fen=view.amount_fen,
        stage=d.stage,
        origin=d.origin,
        origin_meetup_id=d.origin_meetup_id,
        origin_note=d.origin_note,
        parties=[
            PartyOut(
                member_id=p.member_id,
                display_name=p.member.card.display_name,
                confirmed=p.confirmed_at is not None,
            )
            for p in view.parties
        ],
        counts=d.counts,
        created_at=d.created_at,
        signed_at=d.signed_at,
        closed_at=d.closed_at,
        abandoned_at=d.abandoned_at,
        confirmed_at=d.confirmed_at,
    )


@router.post("/circles/{slug}/deals", response={201: DealOut, **ERRORS}, summary="Record a deal")
def deal_create(request: HttpRequest, slug: str, payload: DealIn) -> Status[DealOut]:
    """Record a deal you are a party of; the other member parties confirm it. 400 when a party is not an
    active member of this circle."""
    me = membership_for_circle(user=request.user, slug=slug)
    data = payload.model_dump()
    meetup_id = data.pop("origin_meetup_id")
    meetup = meetup_for_member(member=me, meetup_id=meetup_id) if meetup_id else None
    deal = services.deal_create(circle=me.circle, creator=me, origin_meetup=meetup, **data)
    return Status(201, deal_out(selectors.deal_for_member(member=me, deal_id=deal.pk)))


@router.get("/circles/{slug}/deals", response={200: DealFeedOut, **ERRORS}, summary="The deals feed")
def deal_feed(request: HttpRequest, slug: str) -> DealFeedOut:
    me = membership_for_circle(user=request.user, slug=slug)
    feed = selectors.deal_feed(member=me)
    return DealFeedOut(
        counted=[deal_out(v) for v in feed.counted], waiting=[deal_out(v) for v in feed.waiting]
    )


@router.get("/circles/{slug}/deals/stats", response={200: DealStatsOut, **ERRORS}, summary="Deal numbers")
def deal_stats(request: HttpRequest, slug: str) -> DealStatsOut:
    """For the organizer: counted deals per month, and the share from the circle's introductions and meetups."""
    me = membership_for_circle(user=request.user, slug=slug)
    if not me.is_organizer:
        raise PermissionDenied(_("Only the organizer sees the circle's deal numbers."), code="not_organizer")
    s = selectors.deal_stats(circle=me.circle)
    return DealStatsOut(
        total=s.total,
        from_circle=s.from_circle,
        circle_share=s.circle_share,
        by_month=[MonthOut(month=m, deals=n) for m, n in s.by_month],
        by_origin=s.by_origin,
        by_kind=s.by_kind,
    )


@router.get("/deals/{deal_id}", response={200: DealOut, **ERRORS}, summary="A deal")
def deal_get(request: HttpRequest, deal_id: Id) -> DealOut:
    view, _me = selectors.deal_for_user(user=request.user, deal_id=deal_id)
    return deal_out(view)


@router.post("/deals/{deal_id}/confirm", response={200: DealOut, **ERRORS}, summary="Confirm a deal")
def deal_confirm(request: HttpRequest, deal_id: Id) -> DealOut:
    """A member party confirms; when every member party has, the deal counts and deal ties are recorded."""
    view, me = selectors.deal_for_user(user=request.user, deal_id=deal_id)
    services.deal_confirm(deal=view.deal, member=me)
    return deal_out(selectors.deal_for_member(member=me, deal_id=deal_id))


@router.post("/deals/{deal_id}/stage", response={200: DealOut, **ERRORS}, summary="Move a deal on")
def deal_stage(request: HttpRequest, deal_id: Id, payload: StageIn) -> DealOut:
    view, me = selectors.deal_for_user(user=request.user, deal_id=deal_id)
    services.deal_stage_set(deal=view.deal, member=me, stage=payload.stage)
    return deal_out(selectors.deal_for_member(member=me, deal_id=deal_id))
