"""API of circles, the directory and my card. Anyone who is not an active member of a circle gets 404."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status

from kindred.core.schemas import ERRORS
from kindred.core.services import NotFound
from kindred.core.text import OneLine

from . import selectors, services
from .models import Circle, Industry, Membership
from .schemas import (
    CardIn,
    CircleIn,
    CircleOut,
    IndustryOut,
    Line32,
    Line64,
    MemberOut,
    MemberPageOut,
    MyCardOut,
)

router = Router(tags=["circles"])

QUERY_MAX_LENGTH = 100
MAX_ID = 2**63  # ids above a signed 64-bit integer cannot exist (and would overflow the database driver)


class DirectoryQuery(Schema):
    q: Annotated[str, Field(max_length=QUERY_MAX_LENGTH), OneLine] = ""
    city: Line64 = ""
    industry: Line64 = ""
    tag: Line32 = ""
    page: int = Field(1, ge=1, le=selectors.MAX_PAGE)


class IndustryQuery(Schema):
    circle: Line64 = Field("", description="Also list this circle's own industries.")


def industry_out(industry: Industry, codes: dict[int, str] | None = None) -> dict[str, Any]:
    parent = None
    if industry.parent_id is not None:
        parent = codes[industry.parent_id] if codes is not None else industry.parent.code  # type: ignore[union-attr]
    return {
        "code": industry.code,
        "name_zh": industry.name_zh,
        "name_en": industry.name_en,
        "synonyms": industry.synonyms,
        "parent": parent,
        "circle_only": industry.circle_id is not None,
    }


def circle_out(membership: Membership, member_count: int) -> dict[str, Any]:
    circle: Circle = membership.circle
    fields = (
        "slug",
        "name",
        "description",
        "values_statement",
        "nomination_policy",
        "nominate_after_days",
        "max_pending_nominations",
        "invitation_ttl_hours",
        "notify_sponsor_on_removal",
        "created_at",
    )
    out = {f: getattr(circle, f) for f in fields}
    out["theme"] = industry_out(circle.theme) if circle.theme else None
    out["member_count"] = member_count
    out["my_role"] = membership.role
    out["my_member_id"] = membership.pk
    return out


def member_out(view: selectors.CardView) -> dict[str, Any]:
    """A card as the viewer may see it: contacts and note were filtered by the selector already."""
    card, m = view.card, view.membership
    return {
        "id": m.pk,
        **{f: getattr(card, f) for f in ("display_name", "company", "title", "city")},
        **{f: getattr(card, f) for f in ("offers", "needs", "bio", "values")},
        "industries": [industry_out(i) for i in view.industries],
        "offer_tags": view.offer_tags,
        "need_tags": view.need_tags,
        "role": m.role,
        "status": m.status,
        "joined_at": m.joined_at,
        "contacts": view.contacts,
        "mutual_ties": [{"id": i, "display_name": n} for i, n in view.mutual],
        "invite_path": [{"id": i, "display_name": n} for i, n in view.path],
        "is_tie": view.is_tie,
        "organizer_note": view.note,
    }


def my_card_out(view: selectors.CardView) -> dict[str, Any]:
    card = view.card
    out = member_out(view)
    out.update(wechat=card.wechat, phone=card.phone, email=card.email)
    out["visibility"] = {
        f"{f}_visibility": getattr(card, f"{f}_visibility") for f in ("wechat", "phone", "email")
    }
    return out


@router.get("/industries", response={200: list[IndustryOut], **ERRORS}, summary="The industry taxonomy")
def industries(request: HttpRequest, query: Query[IndustryQuery]) -> list[dict[str, Any]]:
    circle = None
    if query.circle:
        circle = selectors.membership_for_circle(user=request.user, slug=query.circle).circle
    rows = selectors.industry_list(circle=circle)
    codes = {i.pk: i.code for i in rows}
    return [industry_out(i, codes) for i in rows]


@router.post(
    "/circles", response={201: CircleOut, **ERRORS}, summary="Create a circle (you are its organizer)"
)
def circle_create(request: HttpRequest, payload: CircleIn) -> Status[dict[str, Any]]:
    data = payload.dict()
    circle = services.circle_create(
        creator=request.user,  # type: ignore[arg-type]
        name=data.pop("name"),
        slug=data.pop("slug"),
        description=data.pop("description"),
        values_statement=data.pop("values_statement"),
        theme_code=data.pop("theme"),
        display_name=data.pop("display_name"),
        **data,
    )
    membership = selectors.membership_for_circle(user=request.user, slug=circle.slug)
    return Status(201, circle_out(membership, 1))


@router.get("/circles", response={200: list[CircleOut], **ERRORS}, summary="The circles I belong to")
def circle_list(request: HttpRequest) -> list[dict[str, Any]]:
    memberships = selectors.circle_list_for_user(user=request.user)  # type: ignore[arg-type]
    counts = selectors.circle_member_counts(circle_ids=[m.circle_id for m in memberships])
    return [circle_out(m, counts.get(m.circle_id, 0)) for m in memberships]


@router.get("/circles/{slug}", response={200: CircleOut, **ERRORS}, summary="One circle")
def circle_get(request: HttpRequest, slug: str) -> dict[str, Any]:
    membership = selectors.membership_for_circle(user=request.user, slug=slug)
    return circle_out(membership, selectors.circle_member_count(circle=membership.circle))


@router.get(
    "/circles/{slug}/members", response={200: MemberPageOut, **ERRORS}, summary="Search the directory"
)
def member_list(request: HttpRequest, slug: str, query: Query[DirectoryQuery]) -> dict[str, Any]:
    viewer = selectors.membership_for_circle(user=request.user, slug=slug)
    page = selectors.directory_page(
        viewer=viewer, q=query.q, city=query.city, industry=query.industry, tag=query.tag, page=query.page
    )
    return {
        "items": [member_out(v) for v in page.items],
        "count": page.count,
        "page": page.page,
        "page_size": page.page_size,
        "num_pages": page.num_pages,
        "has_next": page.has_next,
        "has_previous": page.has_previous,
    }


@router.get("/circles/{slug}/members/{member_id}", response={200: MemberOut, **ERRORS}, summary="One card")
def member_get(request: HttpRequest, slug: str, member_id: int) -> dict[str, Any]:
    viewer = selectors.membership_for_circle(user=request.user, slug=slug)
    if not 0 < member_id < MAX_ID:
        raise NotFound(_("Member not found."))
    return member_out(selectors.member_card(viewer=viewer, member_id=member_id))


@router.put("/circles/{slug}/me/card", response={200: MyCardOut, **ERRORS}, summary="Edit my card")
def my_card_update(request: HttpRequest, slug: str, payload: CardIn) -> dict[str, Any]:
    viewer = selectors.membership_for_circle(user=request.user, slug=slug)
    data = payload.dict(exclude_unset=True)
    services.card_update(
        membership=viewer,
        actor=request.user,  # type: ignore[arg-type]
        fields={k: v for k, v in data.items() if k not in ("industries", "offer_tags", "need_tags")},
        industry_codes=data.get("industries"),
        offer_tags=data.get("offer_tags"),
        need_tags=data.get("need_tags"),
    )
    return my_card_out(selectors.member_card(viewer=viewer, member_id=viewer.pk))
