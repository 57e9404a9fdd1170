"""Reads of notifications: the unread count (one query) and the inbox (one query), texts in the reader's
language (the active one when called)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kindred.circles.models import Membership

from .kinds import KINDS
from .models import INBOX_PAGE_SIZE, MailPreference, Notification


@dataclass(frozen=True)
class InboxItem:
    id: int
    kind: str
    text: str
    actor_name: str
    url: str
    target_type: str
    target_id: int | None
    created_at: datetime
    read: bool
    params: dict[str, Any] = field(default_factory=dict)  # as stored (names, titles at the time)


def unread_count(*, member: Membership) -> int:
    return Notification.objects.filter(recipient=member, read_at__isnull=True).count()


def inbox(
    *,
    member: Membership,
    limit: int = INBOX_PAGE_SIZE,
    before_id: int | None = None,
    app: str = "",
    unread_only: bool = False,
) -> list[InboxItem]:
    """The member's newest notifications (older than `before_id` when given), rendered for the reader.
    `app` keeps one app's kinds ("meetups": meetups.*), for a page that shows its own news."""
    rows = Notification.objects.filter(recipient=member).select_related("actor__card")
    if before_id is not None:
        rows = rows.filter(pk__lt=before_id)
    if app:
        rows = rows.filter(kind__startswith=f"{app}.")
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    items = []
    for n in rows[:limit]:
        actor = n.actor.card.display_name if n.actor is not None and hasattr(n.actor, "card") else ""
        spec = KINDS.get(n.kind)
        text = spec.render({**n.params, "actor": actor}) if spec is not None else n.kind
        items.append(
            InboxItem(
                id=n.pk,
                kind=n.kind,
                text=text,
                actor_name=actor,
                url=n.url,
                target_type=n.target_type,
                target_id=n.target_id,
                created_at=n.created_at,
                read=n.read_at is not None,
                params=n.params,
            )
        )
    return items


def mail_preference(*, member: Membership) -> str:
    mode = MailPreference.objects.filter(member=member).values_list("mode", flat=True).first()
    return mode or MailPreference.DEFAULT


def notifications_of_member(*, member_ids: list[int]) -> list:
    """The notifications in these memberships' inboxes, for the member's own export. One query."""
    return list(
        Notification.objects.filter(recipient_id__in=member_ids)
        .order_by("id")
        .values("id", "recipient_id", "kind", "params", "url", "created_at", "read_at")
    )
