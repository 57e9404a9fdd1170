"""Reads of notifications: the unread count (one query) and the inbox (one query), texts in the reader's
language (the active one when called)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection

from kindred.circles.models import MemberCard, Membership
from kindred.core.sqlrows import Converters, fetch_converted, per_backend, select_columns

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


# (model, table alias, field) of each column of the inbox's query.
_INBOX_COLUMNS = (
    (Notification, "n", "id"),
    (Notification, "n", "kind"),
    (Notification, "n", "params"),
    (Notification, "n", "url"),
    (Notification, "n", "target_type"),
    (Notification, "n", "target_id"),
    (Notification, "n", "created_at"),
    (Notification, "n", "read_at"),
    (MemberCard, "k", "display_name"),
)


@per_backend
def _inbox_query() -> tuple[str, Converters]:
    """The inbox's query as SQL built once from the models (per backend), with the backend's converters for
    each column applied as the ORM does: what `Notification.objects.filter(recipient=member)
    .select_related("actor__card")` reads. Building it through the ORM cost ~1 ms of a page that shows the
    news; a test holds it equal to the ORM's. The filters and the order follow."""
    qn = connection.ops.quote_name
    columns, converters = select_columns(_INBOX_COLUMNS)
    sql = (
        f"SELECT {columns} FROM {qn(Notification._meta.db_table)} n "  # noqa: S608
        f"LEFT OUTER JOIN {qn(MemberCard._meta.db_table)} k ON k.membership_id = n.actor_id "
        "WHERE n.recipient_id = %s"
    )
    return sql, converters


def _inbox_rows(
    *, member_id: int, limit: int, before_id: int | None, app: str, unread_only: bool
) -> list[Any]:
    sql, converters = _inbox_query()
    params: list[Any] = [member_id]
    if before_id is not None:
        sql += " AND n.id < %s"
        params.append(before_id)
    if app:  # as the ORM's startswith: LIKE with its wildcards escaped
        sql += " AND n.kind LIKE %s ESCAPE '\\'"
        params.append(connection.ops.prep_for_like_query(f"{app}.") + "%")
    if unread_only:
        sql += " AND n.read_at IS NULL"
    sql += " ORDER BY n.created_at DESC, n.id DESC LIMIT %s"  # the model's order
    return fetch_converted(sql, [*params, limit], converters)


def inbox(
    *,
    member: Membership,
    limit: int = INBOX_PAGE_SIZE,
    before_id: int | None = None,
    app: str = "",
    unread_only: bool = False,
) -> list[InboxItem]:
    """The member's newest notifications (older than `before_id` when given), rendered for the reader.
    `app` keeps one app's kinds ("meetups": meetups.*), for a page that shows its own news. One query."""
    items = []
    rows = _inbox_rows(
        member_id=member.pk, limit=limit, before_id=before_id, app=app, unread_only=unread_only
    )
    for pk, kind, params, url, target_type, target_id, created_at, read_at, name in rows:
        actor = name or ""
        spec = KINDS.get(kind)
        text = spec.render({**params, "actor": actor}) if spec is not None else kind
        items.append(
            InboxItem(
                id=pk,
                kind=kind,
                text=text,
                actor_name=actor,
                url=url,
                target_type=target_type,
                target_id=target_id,
                created_at=created_at,
                read=read_at is not None,
                params=params,
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
