"""Reads of nominations, invitations and the invite tree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext_lazy as _

from kindred.circles.models import Circle, Membership
from kindred.core.services import NotFound
from kindred.core.tokens import token_hash as code_hash

from .models import CODE_MAX_LENGTH, Invitation, Nomination
from .tree import TreeNode, build_tree

RECENT_INVITATIONS_SHOWN = 50
MAX_ID = 2**63  # ids above a signed 64-bit integer cannot exist (and would overflow the database driver)


def invitation_for_code(code: str) -> Invitation:
    """The invitation a raw code names (with circle, theme and the inviter's card), or NotFound."""
    if not code or len(code) > CODE_MAX_LENGTH:
        raise NotFound(_("This invitation link is not valid."))
    invitation = (
        Invitation.objects.select_related("circle", "circle__theme", "sponsor__card", "nomination")
        .filter(code_hash=code_hash(code))
        .first()
    )
    if invitation is None:
        raise NotFound(_("This invitation link is not valid."))
    return invitation


def nomination_get(*, circle: Circle, nomination_id: int) -> Nomination:
    if not 0 < nomination_id < MAX_ID:
        raise NotFound(_("Nomination not found."))
    nomination = (
        Nomination.objects.select_related("circle", "nominator__card", "nominator__user")
        .filter(circle=circle, pk=nomination_id)
        .first()
    )
    if nomination is None:
        raise NotFound(_("Nomination not found."))
    return nomination


def invitation_get(*, circle: Circle, invitation_id: int) -> Invitation:
    if not 0 < invitation_id < MAX_ID:
        raise NotFound(_("Invitation not found."))
    invitation = (
        Invitation.objects.select_related("circle", "nomination", "sponsor__card")
        .filter(circle=circle, pk=invitation_id)
        .first()
    )
    if invitation is None:
        raise NotFound(_("Invitation not found."))
    return invitation


@dataclass(frozen=True)
class TrackRecord:
    """What became of a nominator's nominees."""

    nominated: int = 0
    pending: int = 0
    approved: int = 0
    rejected: int = 0
    withdrawn: int = 0
    active: int = 0  # accepted and still in the circle
    removed: int = 0  # accepted and later removed


def track_records(*, nominator_ids: set[int]) -> dict[int, TrackRecord]:
    """Each nominator's record over all their (non-direct) nominations, in one query."""
    if not nominator_ids:
        return {}
    status = Nomination.Status
    rows = (
        Nomination.objects.filter(nominator_id__in=nominator_ids, direct=False)
        .order_by()
        .values("nominator_id")
        .annotate(
            nominated=Count("id", distinct=True),
            pending=Count("id", distinct=True, filter=Q(status=status.PENDING)),
            approved=Count("id", distinct=True, filter=Q(status=status.APPROVED)),
            rejected=Count("id", distinct=True, filter=Q(status=status.REJECTED)),
            withdrawn=Count("id", distinct=True, filter=Q(status=status.WITHDRAWN)),
            active=Count(
                "invitations__membership",
                distinct=True,
                filter=Q(invitations__membership__status=Membership.Status.ACTIVE),
            ),
            removed=Count(
                "invitations__membership",
                distinct=True,
                filter=Q(invitations__membership__status=Membership.Status.REMOVED),
            ),
        )
    )
    return {row.pop("nominator_id"): TrackRecord(**row) for row in rows}


def nominations_pending(*, circle: Circle) -> list[Nomination]:
    """The review queue, oldest first; each nomination carries `.track_record` (two queries in all)."""
    pending = list(
        Nomination.objects.select_related("nominator__card")
        .filter(circle=circle, status=Nomination.Status.PENDING)
        .order_by("created_at", "id")
    )
    records = track_records(nominator_ids={n.nominator_id for n in pending})
    for nomination in pending:
        nomination.track_record = records.get(nomination.nominator_id, TrackRecord())  # type: ignore[attr-defined]
    return pending


def _with_invitations() -> Prefetch:
    return Prefetch(
        "invitations",
        queryset=Invitation.objects.select_related("membership").order_by("-created_at", "-id"),
    )


def nominations_by(*, nominator: Membership) -> list[Nomination]:
    """A member's own nominations, newest first, each with its invitations (latest first)."""
    return list(
        Nomination.objects.filter(nominator=nominator, direct=False)
        .select_related("circle")
        .prefetch_related(_with_invitations())
    )


def invitations_recent(*, circle: Circle) -> list[Invitation]:
    """The latest invitations of a circle, for reviewers: open, expired, revoked and used."""
    return list(
        Invitation.objects.filter(circle=circle)
        .select_related("nomination", "sponsor__card", "membership__card")
        .order_by("-created_at", "-id")[:RECENT_INVITATIONS_SHOWN]
    )


TreeRow = tuple[int, int | None, str, datetime, str, int]


def circle_tree_rows(*, circle: Circle) -> list[TreeRow]:
    """Every membership of the circle as the tree shows it (id, sponsor, name, joined, status, depth), in
    join order: ONE query."""
    rows = (
        Membership.objects.filter(circle=circle)
        .order_by("joined_at", "id")
        .values_list("id", "sponsor_id", "card__display_name", "joined_at", "status", "depth")
    )
    return [
        (pk, sponsor_id, name or "", joined, status, depth)
        for pk, sponsor_id, name, joined, status, depth in rows
    ]


def tree_from_rows(rows: list[TreeRow]) -> TreeNode | None:
    return build_tree(
        TreeNode(
            id=pk, sponsor_id=sponsor_id, display_name=name, joined_at=joined, status=status, depth=depth
        )
        for pk, sponsor_id, name, joined, status, depth in rows
    )


def circle_tree(*, circle: Circle) -> TreeNode | None:
    """The invite tree of the circle from its origin, with counts, from ONE query of memberships."""
    return tree_from_rows(circle_tree_rows(circle=circle))


def invitations_of_member(*, user_id: int, member_ids: list[int]) -> dict[str, list[dict]]:
    """For the member's own export: the nominations they made (with what they wrote), the one that brought
    them in, and the invitations they sponsored or accepted (never a code or its hash). Three queries."""
    fields = (
        "id",
        "circle_id",
        "name",
        "email",
        "phone",
        "relationship",
        "years_known",
        "closeness",
        "reason",
        "status",
        "created_at",
        "reviewed_at",
        "direct",
    )
    return {
        "nominations_made": list(
            Nomination.objects.filter(nominator_id__in=member_ids).order_by("id").values(*fields)
        ),
        "nominations_received": list(
            Nomination.objects.filter(invitations__accepted_by_id=user_id)
            .distinct()
            .order_by("id")
            .values("id", "circle_id", "nominator_id", "relationship", "status", "created_at")
        ),
        "invitations": list(
            Invitation.objects.filter(Q(sponsor_id__in=member_ids) | Q(accepted_by_id=user_id))
            .order_by("id")
            .values(
                "id",
                "circle_id",
                "nomination_id",
                "sponsor_id",
                "created_at",
                "expires_at",
                "revoked_at",
                "accepted_at",
                "membership_id",
            )
        ),
    }
