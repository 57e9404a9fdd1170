"""The matching API: matches, introductions, contacts import and invite suggestions.

Circle-scoped operations answer 404 to anyone who is not an active member; an introduction is visible
only to its three people (404 for everyone else); contacts are their importer's alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import File, Path, Router, Status
from ninja.files import UploadedFile

from kindred.circles.models import Membership
from kindred.circles.selectors import membership_for_circle, membership_get
from kindred.core.schemas import ERRORS

from . import selectors, services
from .schemas import (
    MAX_ID,
    ExplanationOut,
    ImportOut,
    ImportRefusedOut,
    IntroIn,
    IntroOut,
    InviteSuggestionOut,
    MatchListOut,
    MatchOut,
    MatchPersonOut,
    PairOut,
    RowErrorOut,
    TermPairOut,
)

router = Router(tags=["matching"])
IntroId = Annotated[int, Path(ge=1, le=MAX_ID)]
MemberId = Annotated[int, Path(ge=1, le=MAX_ID)]


def member_out(m: Membership) -> MatchPersonOut:
    c = m.card
    return MatchPersonOut(
        member_id=m.pk, display_name=c.display_name, company=c.company, title=c.title, city=c.city
    )


def _explanation(v: selectors.MatchView) -> ExplanationOut:
    return ExplanationOut(
        they_offer=[TermPairOut(need=a, offer=b) for a, b in v.they_offer],
        you_offer=[TermPairOut(need=a, offer=b) for a, b in v.you_offer],
        seeks_clients=v.seeks_clients,
        you_seek_clients=v.you_seek_clients,
        trust_path=[
            MatchPersonOut(member_id=i, display_name=name, company="", title="", city="")
            for i, name in v.path
        ],
        shared_city=v.city,
        shared_industries=v.industries,
    )


@router.get(
    "/circles/{slug}/matches", response={200: MatchListOut, **ERRORS}, summary="People you should meet"
)
def matches(request: HttpRequest, slug: str) -> MatchListOut:
    """Your best matches (needs ↔ offers both ways, weighted by trust), each with its explanation. The
    organizer and admins also get the best unconnected pairs of the circle."""
    me = membership_for_circle(user=request.user, slug=slug)
    state, updating = services.matches_current(circle=me.circle)  # never recomputes in the request
    pairs = None
    if me.can_review:
        pairs = [
            PairOut(
                member=member_out(v.member),
                other=member_out(v.other),
                score=v.entry.score,
                explanation=_explanation(v),
            )
            for v in selectors.organizer_pairs(circle=me.circle)
            if v.member is not None
        ]
    return MatchListOut(
        matches=[
            MatchOut(
                member=member_out(v.other),
                score=v.entry.score,
                relevance=v.entry.relevance,
                trust=v.entry.trust,
                explanation=_explanation(v),
            )
            for v in selectors.matches_for(membership=me)
        ],
        organizer_pairs=pairs,
        computed_at=state.computed_at if state is not None else None,
        updating=updating,
    )


def intro_out(v: selectors.IntroView) -> IntroOut:
    i = v.intro
    return IntroOut(
        id=i.pk,
        role=v.role,
        status=v.status,
        status_label=v.status_label,
        proposed=i.proposed,
        requester=member_out(i.requester),
        target=member_out(i.target),
        connector=member_out(i.connector),
        note=i.note,
        created_at=i.created_at,
        expires_at=i.expires_at,
        can_approve=v.can_approve,
        can_accept=v.can_accept,
        can_decline=v.can_decline,
        contacts=v.contacts,
    )


@router.post("/circles/{slug}/intros", response={201: IntroOut, **ERRORS}, summary="Ask for an introduction")
def intro_create(request: HttpRequest, slug: str, payload: IntroIn) -> Status[IntroOut]:
    """Ask to be introduced to a member, through `via_member_id` or the best connector: a tie of yours
    who knows them, else the first person after you on the trust path of the match, else the organizer.
    The note goes to the connector, and to them once the connector approves."""
    me = membership_for_circle(user=request.user, slug=slug)
    target = membership_get(circle=me.circle, member_id=payload.to_member_id)
    via = membership_get(circle=me.circle, member_id=payload.via_member_id) if payload.via_member_id else None
    intro = services.intro_request(requester=me, target=target, via=via, note=payload.note)
    return Status(201, intro_out(selectors.intro_get_for_member(membership=me, intro_id=intro.pk)))


@router.get("/circles/{slug}/intros", response={200: list[IntroOut], **ERRORS}, summary="My introductions")
def intro_list(request: HttpRequest, slug: str) -> list[IntroOut]:
    me = membership_for_circle(user=request.user, slug=slug)
    return [intro_out(v) for v in selectors.intros_for(membership=me)]


def _act(request: HttpRequest, intro_id: int, action: Callable[..., Any]) -> IntroOut:
    view, me = selectors.intro_get_for_user(user=request.user, intro_id=intro_id)
    action(intro=view.intro, member=me)
    return intro_out(selectors.intro_get_for_member(membership=me, intro_id=intro_id))


@router.post("/intros/{intro_id}/approve", response={200: IntroOut, **ERRORS}, summary="Approve (connector)")
def intro_approve(request: HttpRequest, intro_id: IntroId) -> IntroOut:
    return _act(request, intro_id, services.intro_approve)


@router.post(
    "/intros/{intro_id}/accept", response={200: IntroOut, **ERRORS}, summary="Accept an introduction"
)
def intro_accept(request: HttpRequest, intro_id: IntroId) -> IntroOut:
    return _act(request, intro_id, services.intro_accept)


@router.post("/intros/{intro_id}/decline", response={200: IntroOut, **ERRORS}, summary="Decline, privately")
def intro_decline(request: HttpRequest, intro_id: IntroId) -> IntroOut:
    return _act(request, intro_id, services.intro_decline)


@router.post(
    "/contacts/import",
    response={201: ImportOut, 400: ImportRefusedOut, **{k: v for k, v in ERRORS.items() if k != 400}},
    summary="Import my contacts",
)
def contacts_import(request: HttpRequest, file: File[UploadedFile]) -> Any:
    """A vCard (3.0/4.0) or CSV (Google, Outlook) file; private to you. Any bad row: nothing imported,
    400 with one error per row."""
    try:
        result = services.contacts_import(
            owner=request.user,  # type: ignore[arg-type]
            filename=file.name or "",
            data=file.read(services.CONTACTS_FILE_MAX_BYTES + 1),
        )
    except services.ImportRefused as exc:
        errors = [RowErrorOut(row=e.row, message=services.row_error_text(e)) for e in exc.errors]
        return Status(400, ImportRefusedOut(detail=str(exc.message), code=exc.code, errors=errors))
    return Status(201, ImportOut(created=result.created, duplicates=result.duplicates, source=result.source))


@router.get(
    "/circles/{slug}/members/{member_id}/invite-suggestions",
    response={200: list[InviteSuggestionOut], **ERRORS},
    summary="My contacts to invite for a member",
)
def invite_suggestions(request: HttpRequest, slug: str, member_id: MemberId) -> list[InviteSuggestionOut]:
    """Your own imported contacts whose business overlaps this member's card, with the shared words."""
    me = membership_for_circle(user=request.user, slug=slug)
    member = membership_get(circle=me.circle, member_id=member_id)
    return [
        InviteSuggestionOut(
            contact_id=s.contact.pk,
            name=s.contact.name,
            company=s.contact.company,
            title=s.contact.title,
            score=s.score,
            reason_terms=list(s.terms),
        )
        for s in selectors.invite_suggestions(owner=request.user, member=member)
    ]
