"""The ties API: declare, confirm, ignore, list mine, suggestions. Non-members of the circle get 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from kindred.circles.models import Membership
from kindred.circles.selectors import membership_for_circle, membership_get
from kindred.core.schemas import ERRORS

from . import selectors, services
from .models import Tie
from .schemas import (
    MAX_ID,
    PartnerOut,
    SuggestionOut,
    SuggestionQuery,
    TieDeclareIn,
    TieListOut,
    TieOut,
)

router = Router(tags=["ties"])

# Ids beyond a 64-bit integer are refused at the edge (422), not passed on to the database.
TieId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _partner(m: Membership) -> PartnerOut:
    card = m.card
    return PartnerOut(
        member_id=m.pk, display_name=card.display_name, company=card.company, title=card.title, city=card.city
    )


def _tie_out(view: selectors.TieView) -> TieOut:
    tie = view.tie
    return TieOut(
        id=tie.pk,
        kind=tie.kind,
        since_year=tie.since_year,
        status=view.status,  # type: ignore[arg-type]
        direction=view.direction,  # type: ignore[arg-type]
        partner=_partner(view.partner),
        created_at=tie.created_at,
        confirmed_at=tie.confirmed_at,
    )


@router.post(
    "/circles/{slug}/ties",
    response={201: TieOut, 200: TieOut, **ERRORS},
    summary="Declare a tie",
)
def declare(request: HttpRequest, slug: str, payload: TieDeclareIn) -> Status[TieOut]:
    """Say you know a member. 201 with a pending tie; 200 with a confirmed one when they had asked you."""
    me = membership_for_circle(user=request.user, slug=slug)
    other = membership_get(circle=me.circle, member_id=payload.member_id)
    tie = services.tie_declare(declarer=me, other=other, kind=payload.kind, since_year=payload.since_year)
    view = selectors.tie_get_for_member(membership=me, tie_id=tie.pk)
    return Status(200 if view.direction == selectors.MUTUAL else 201, _tie_out(view))


def _answer(request: HttpRequest, slug: str, tie_id: int, action: Callable[..., Tie]) -> TieOut:
    me = membership_for_circle(user=request.user, slug=slug)
    view = selectors.tie_get_for_member(membership=me, tie_id=tie_id)
    action(tie=view.tie, member=me)
    return _tie_out(selectors.tie_get_for_member(membership=me, tie_id=tie_id))


@router.post(
    "/circles/{slug}/ties/{tie_id}/confirm", response={200: TieOut, **ERRORS}, summary="Confirm a tie"
)
def confirm(request: HttpRequest, slug: str, tie_id: TieId) -> TieOut:
    """Confirm a request someone made to you (also one you ignored before). Confirmed ties are mutual."""
    return _answer(request, slug, tie_id, services.tie_confirm)


@router.post("/circles/{slug}/ties/{tie_id}/ignore", response={200: TieOut, **ERRORS}, summary="Ignore a tie")
def ignore(request: HttpRequest, slug: str, tie_id: TieId) -> TieOut:
    """Ignore a request quietly: its declarer keeps seeing it as pending."""
    return _answer(request, slug, tie_id, services.tie_ignore)


@router.get("/circles/{slug}/ties", response={200: TieListOut, **ERRORS}, summary="My ties")
def mine(request: HttpRequest, slug: str) -> TieListOut:
    me = membership_for_circle(user=request.user, slug=slug)
    overview = selectors.tie_overview(membership=me)
    return TieListOut(
        confirmed=[_tie_out(v) for v in overview.confirmed],
        incoming=[_tie_out(v) for v in overview.incoming],
        outgoing=[_tie_out(v) for v in overview.outgoing],
    )


@router.get(
    "/circles/{slug}/ties/suggestions",
    response={200: list[SuggestionOut], **ERRORS},
    summary="Members you probably know",
)
def suggestions(request: HttpRequest, slug: str, query: Query[SuggestionQuery]) -> list[SuggestionOut]:
    me = membership_for_circle(user=request.user, slug=slug)
    return [
        SuggestionOut(
            member=_partner(s.member), score=s.score, reasons=list(s.reasons), reason_labels=s.reason_labels
        )
        for s in selectors.tie_suggestions(membership=me, limit=query.limit)
    ]
