"""API of nominations, invitations and the invite tree.

Anyone who is not an active member of the circle gets 404; a member without review rights gets 403 on
review operations (the circle is visible to them, the operation is not theirs).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router, Status

from kindred.accounts.auth import BearerTokenAuth, SessionCookieAuth
from kindred.accounts.services import token_create
from kindred.circles.models import Membership
from kindred.circles.selectors import membership_for_circle
from kindred.core.schemas import ERRORS
from kindred.core.services import PermissionDenied

from . import selectors, services
from .models import Invitation, Nomination
from .schemas import (
    AcceptedOut,
    AcceptIn,
    DirectInvitationIn,
    InvitationOut,
    IssuedOut,
    NominationIn,
    NominationOut,
    RejectIn,
    TreeOut,
)
from .selectors import TrackRecord
from .tree import TreeNode

router = Router(tags=["invitations"])

ACCEPT_TOKEN_NAME = "invitation"  # noqa: S105 (a label, not a secret)


def _reviewer(request: HttpRequest, slug: str) -> Membership:
    membership = membership_for_circle(user=request.user, slug=slug)
    if not membership.can_review:
        raise PermissionDenied(_("Only the organizer and admins review nominations."))
    return membership


def _invitation_state(invitation: Invitation) -> dict[str, Any]:
    return {
        "id": invitation.pk,
        "state": invitation.state(),
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
        "accepted_at": invitation.accepted_at,
    }


def _nomination_out(nomination: Nomination, *, record: TrackRecord | None = None) -> dict[str, Any]:
    fields = (
        "id",
        "name",
        "email",
        "phone",
        "relationship",
        "years_known",
        "closeness",
        "reason",
        "draft_card",
        "status",
        "reject_reason",
        "created_at",
        "reviewed_at",
        "nominator_id",
    )
    out = {f: getattr(nomination, f) for f in fields}
    out["nominator_name"] = nomination.nominator.card.display_name
    out["track_record"] = record.__dict__ if record is not None else None
    invitations = (
        list(nomination.invitations.all()) if nomination.status == Nomination.Status.APPROVED else []
    )
    out["invitation"] = _invitation_state(invitations[0]) if invitations else None
    return out


def _issued(invitation: Invitation, code: str) -> dict[str, Any]:
    return {
        "invitation_id": invitation.pk,
        "code": code,
        "url": services.invitation_url(code),
        "expires_at": invitation.expires_at,
    }


@router.post(
    "/circles/{slug}/nominations",
    response={201: NominationOut, **ERRORS},
    summary="Nominate someone (per the circle's rules)",
)
def nomination_create(request: HttpRequest, slug: str, payload: NominationIn) -> Status[dict[str, Any]]:
    membership = membership_for_circle(user=request.user, slug=slug)
    nomination = services.nomination_create(
        circle=membership.circle,
        nominator=membership,
        name=payload.name,
        email=payload.email,
        phone=payload.phone,
        relationship=payload.relationship,
        years_known=payload.years_known,
        closeness=payload.closeness,
        reason=payload.reason,
        draft_card=payload.draft_card.dict(exclude_defaults=True) if payload.draft_card else None,
    )
    nomination.nominator = membership
    return Status(201, _nomination_out(nomination))


@router.get(
    "/circles/{slug}/nominations",
    response={200: list[NominationOut], **ERRORS},
    summary="Reviewers: the pending queue with track records; members: their own nominations",
)
def nomination_list(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    membership = membership_for_circle(user=request.user, slug=slug)
    if membership.can_review:
        return [
            _nomination_out(n, record=n.track_record)  # type: ignore[attr-defined]
            for n in selectors.nominations_pending(circle=membership.circle)
        ]
    mine = selectors.nominations_by(nominator=membership)
    for nomination in mine:
        nomination.nominator = membership
    return [_nomination_out(n) for n in mine]


@router.post(
    "/circles/{slug}/nominations/{nomination_id}/approve",
    response={200: IssuedOut, **ERRORS},
    summary="Approve: returns the invitation link and code (shown only here)",
)
def nomination_approve(request: HttpRequest, slug: str, nomination_id: int) -> dict[str, Any]:
    reviewer = _reviewer(request, slug)
    nomination = selectors.nomination_get(circle=reviewer.circle, nomination_id=nomination_id)
    invitation, code = services.nomination_approve(nomination=nomination, reviewer=reviewer)
    return _issued(invitation, code)


@router.post(
    "/circles/{slug}/nominations/{nomination_id}/reject",
    response={200: NominationOut, **ERRORS},
    summary="Reject with a reason the nominator sees",
)
def nomination_reject(
    request: HttpRequest, slug: str, nomination_id: int, payload: RejectIn
) -> dict[str, Any]:
    reviewer = _reviewer(request, slug)
    nomination = selectors.nomination_get(circle=reviewer.circle, nomination_id=nomination_id)
    rejected = services.nomination_reject(nomination=nomination, reviewer=reviewer, reason=payload.reason)
    return _nomination_out(rejected)


@router.post(
    "/circles/{slug}/nominations/{nomination_id}/withdraw",
    response={200: NominationOut, **ERRORS},
    summary="The nominator withdraws a pending nomination",
)
def nomination_withdraw(request: HttpRequest, slug: str, nomination_id: int) -> dict[str, Any]:
    membership = membership_for_circle(user=request.user, slug=slug)
    nomination = selectors.nomination_get(circle=membership.circle, nomination_id=nomination_id)
    return _nomination_out(services.nomination_withdraw(nomination=nomination, nominator=membership))


@router.post(
    "/circles/{slug}/invitations",
    response={201: IssuedOut, **ERRORS},
    summary="Organizer and admins invite directly",
)
def invitation_direct(request: HttpRequest, slug: str, payload: DirectInvitationIn) -> Status[dict[str, Any]]:
    reviewer = _reviewer(request, slug)
    invitation, code = services.invitation_direct(
        circle=reviewer.circle,
        organizer=reviewer,
        name=payload.name,
        email=payload.email,
        phone=payload.phone,
        reason=payload.reason,
        draft_card=payload.draft_card.dict(exclude_defaults=True) if payload.draft_card else None,
    )
    return Status(201, _issued(invitation, code))


@router.post(
    "/circles/{slug}/invitations/{invitation_id}/revoke",
    response={200: InvitationOut, **ERRORS},
    summary="Revoke an unused invitation (organizer, admins or the nominator)",
)
def invitation_revoke(request: HttpRequest, slug: str, invitation_id: int) -> dict[str, Any]:
    membership = membership_for_circle(user=request.user, slug=slug)
    invitation = selectors.invitation_get(circle=membership.circle, invitation_id=invitation_id)
    revoked = services.invitation_revoke(invitation=invitation, actor=membership)
    return {
        **_invitation_state(revoked),
        "nomination_id": revoked.nomination_id,
        "sponsor_id": revoked.sponsor_id,
        "revoked_at": revoked.revoked_at,
    }


@router.post(
    "/circles/{slug}/invitations/{invitation_id}/reissue",
    response={201: IssuedOut, **ERRORS},
    summary="Replace a lost or expired link: the old one is revoked, a new one issued",
)
def invitation_reissue(request: HttpRequest, slug: str, invitation_id: int) -> Status[dict[str, Any]]:
    reviewer = _reviewer(request, slug)
    old = selectors.invitation_get(circle=reviewer.circle, invitation_id=invitation_id)
    invitation, code = services.invitation_reissue(invitation=old, reviewer=reviewer)
    return Status(201, _issued(invitation, code))


def _anonymous(request: HttpRequest) -> str:
    """The last auth of the accept operation: anyone may call it (they create their account with it)."""
    return "anonymous"


@router.post(
    "/invitations/{code}/accept",
    response={201: AcceptedOut, **ERRORS},
    auth=[BearerTokenAuth(), SessionCookieAuth(), _anonymous],
    summary="Accept an invitation: anonymously with username and password, or with your own account",
)
def invitation_accept(request: HttpRequest, code: str, payload: AcceptIn) -> Status[dict[str, Any]]:
    account = request.auth if isinstance(request.auth, User) else None  # type: ignore[attr-defined]
    token = None
    with transaction.atomic():
        if account is not None:
            membership = services.invitation_accept(
                code=code, user=account, display_name=payload.display_name
            )
        else:
            membership = services.invitation_accept(
                code=code,
                username=payload.username,
                password=payload.password,
                email=payload.email,
                display_name=payload.display_name,
            )
            _, token = token_create(user=membership.user, name=ACCEPT_TOKEN_NAME)
    return Status(
        201,
        {
            "circle": membership.circle.slug,
            "member_id": membership.pk,
            "sponsor_id": membership.sponsor_id,
            "display_name": membership.card.display_name,
            "joined_at": membership.joined_at,
            "username": membership.user.get_username(),
            "token": token,
        },
    )


def _node_out(node: TreeNode) -> dict[str, Any]:
    return {
        "member_id": node.id,
        "display_name": node.display_name,
        "joined_at": node.joined_at,
        "status": node.status,
        "depth": node.depth,
        "subtree_size": node.size,
        "subtree_active": node.active,
        "subtree_removed": node.removed,
        "children": [_node_out(child) for child in node.children],
    }


@router.get(
    "/circles/{slug}/tree", response={200: TreeOut, **ERRORS}, summary="The invite tree from the origin"
)
def circle_tree(request: HttpRequest, slug: str) -> dict[str, Any]:
    membership = membership_for_circle(user=request.user, slug=slug)
    root = selectors.circle_tree(circle=membership.circle)
    return {
        "circle": membership.circle.slug,
        "size": root.size if root else 0,
        "active": root.active if root else 0,
        "removed": root.removed if root else 0,
        "root": _node_out(root) if root else None,
    }
