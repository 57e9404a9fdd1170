"""Domain events that become notifications here because their sender cannot import this app (it is below
it): a member's removal tells their sponsor (circles)."""

from __future__ import annotations

from typing import Any

from kindred.circles.models import Membership

from .services import notification_send


def member_removed(sender: object, *, membership_id: int, sponsor_id: int, **kwargs: Any) -> None:
    """Sent after the removal's commit when the circle tells sponsors: the sponsor's inbox, and mail."""
    rows = Membership.objects.select_related("circle", "card").in_bulk([membership_id, sponsor_id])
    removed, sponsor = rows.get(membership_id), rows.get(sponsor_id)
    if removed is None or sponsor is None:
        return
    notification_send(
        recipients=[sponsor],
        kind="circles.member_removed",
        circle=removed.circle,
        params={
            "name": removed.card.display_name,
            "circle": removed.circle.name,
            "reason": removed.removed_reason,
        },
        target=removed,  # no link: a removed member's card is no longer shown
    )
