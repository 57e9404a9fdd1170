"""Every state change of notifications: sending (inbox rows and outbox mail, in the caller's transaction),
marking read, the member's mail preference, and mailing the outbox (from the background worker).

Any app notifies through `notification_send`, inside the transaction of the change it tells about: a
rolled-back change leaves no inbox row, no outbox row and sends nothing. Mail goes out after the commit,
from the background worker, batched per recipient: one mail with everything pending for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kindred.circles.models import Circle, Membership
from kindred.core.services import ServiceError, audit_record
from kindred.core.tasks import enqueue_on_commit

from .audit import Action
from .kinds import MailPolicy, kind_get
from .models import (
    MARK_READ_IDS_MAX,
    MailPreference,
    Notification,
    Outbox,
)
from .tasks import mail_send_immediate


@transaction.atomic
def notification_send(
    *,
    recipients: Iterable[Membership],
    kind: str,
    circle: Circle,
    params: dict[str, Any] | None = None,
    actor: Membership | None = None,
    target: models.Model | None = None,
    url: str = "",
    email: bool = True,
    at: datetime | None = None,
) -> list[Notification]:
    """Put one notification in each recipient's inbox (the actor is never told of their own act), queue
    the mail each one's preference asks for, and have the worker mail the immediate ones after commit.

    `params` are JSON values (names, titles, counts) that fill the kind's sentence at read time; `url` is a
    path on this site. `email=False`, or a back-dated `at` (the demo's replay), writes the inbox only.
    """
    spec = kind_get(kind)
    params = dict(params or {})
    members = {m.pk: m for m in recipients if actor is None or m.pk != actor.pk}
    strangers = [m.pk for m in members.values() if m.circle_id != circle.pk]
    if strangers:
        raise ValueError(f"recipients {strangers} are not members of circle {circle.pk}")
    if not members:
        return []
    created = at or timezone.now()
    rows = Notification.objects.bulk_create(
        Notification(
            recipient=member,
            kind=kind,
            actor=actor,
            target_type=target._meta.label_lower if target is not None else "",
            target_id=target.pk if target is not None else None,
            params=params,
            url=url,
            created_at=created,
        )
        for member in members.values()
    )
    if email and at is None and spec.mail != MailPolicy.NEVER:
        actor_name = actor.card.display_name if actor is not None and hasattr(actor, "card") else ""
        _outbox_queue(
            notifications=rows, members=members, kind_mail=spec.mail, created=created, actor_name=actor_name
        )
    return rows


def _outbox_queue(
    *,
    notifications: Sequence[Notification],
    members: dict[int, Membership],
    kind_mail: MailPolicy,
    created: datetime,
    actor_name: str,
) -> None:
    modes = dict(MailPreference.objects.filter(member_id__in=members).values_list("member_id", "mode"))
    emails = dict(
        User.objects.filter(pk__in={m.user_id for m in members.values()}, is_active=True)
        .exclude(email="")
        .values_list("pk", "email")
    )
    mail = []
    for row in notifications:
        member = members[row.recipient_id]
        mode = modes.get(member.pk, MailPreference.DEFAULT)
        if mode == MailPreference.Mode.OFF or member.user_id not in emails:
            continue
        mail.append(
            Outbox(
                key=f"notification:{row.pk}",
                user_id=member.user_id,
                notification=row,
                kind=row.kind,
                params={**row.params, "actor": actor_name},
                url=row.url,
                immediate=kind_mail == MailPolicy.IMMEDIATE or mode == MailPreference.Mode.IMMEDIATE,
                created_at=created,
            )
        )
    Outbox.objects.bulk_create(mail, ignore_conflicts=True)
    now = sorted({m.user_id for m in mail if m.immediate and m.user_id is not None})
    if now:
        enqueue_on_commit(mail_send_immediate, now)


def mail_send(
    *,
    kind: str,
    key: str,
    user: User | None = None,
    address: str = "",
    params: dict[str, Any] | None = None,
    url: str = "",
) -> bool:
    """A mail that is nobody's inbox line: to a user, or to an email address that has no account yet (a
    nominee), through the kind's template, sent at once after the commit of the caller's transaction.

    `key` names the mail (e.g. "invitations.nominee:<nomination id>"): a key queued before is not queued
    again, so a retried request mails once. Returns whether the mail was queued now. Exactly one of `user`
    and `address` is given; a user without an address gets nothing.
    """
    kind_get(kind)
    if (user is None) == (not address):
        raise ValueError("mail_send: exactly one of a user and an address")
    if user is not None and not (user.is_active and user.email):
        return False
    try:
        with transaction.atomic():  # a savepoint: a key already queued leaves the caller's transaction usable
            Outbox.objects.create(
                key=key,
                user=user,
                address="" if user is not None else address,
                kind=kind,
                params=dict(params or {}),
                url=url,
                immediate=True,
            )
    except IntegrityError:
        return False
    enqueue_on_commit(
        mail_send_immediate, [user.pk] if user is not None else [], [] if user is not None else [address]
    )
    return True


def notifications_mark_read(
    *,
    member: Membership,
    ids: Sequence[int] | None = None,
    everything: bool = False,
    at: datetime | None = None,
) -> int:
    """Mark some (`ids`) or all (`everything`) of the member's unread notifications read: the number marked.
    Ids that are not the member's are ignored (they are nobody else's business)."""
    if ids is None and not everything:
        raise ServiceError(_("Say which notifications to mark read, or all of them."), code="nothing_chosen")
    if ids is not None and len(ids) > MARK_READ_IDS_MAX:
        raise ServiceError(
            _("At most %(max)d notifications at once.") % {"max": MARK_READ_IDS_MAX}, code="too_many"
        )
    unread = Notification.objects.filter(recipient=member, read_at__isnull=True)
    if not everything:
        unread = unread.filter(pk__in=list(ids or ()))
    with transaction.atomic():
        marked = unread.update(read_at=at or timezone.now())
        if marked:
            audit_record(
                action=Action.READ,
                actor=member.user,
                circle_id=member.circle_id,
                target=member,
                data={"count": marked, "all": everything},
            )
    return marked


@transaction.atomic
def mail_preference_set(*, member: Membership, mode: str) -> MailPreference:
    if mode not in MailPreference.Mode.values:
        raise ServiceError(_("Choose immediate, digest or off."), code="invalid_mode")
    pref, _created = MailPreference.objects.select_for_update().get_or_create(member=member)
    if pref.mode != mode:
        old = pref.mode
        pref.mode = mode
        pref.save(update_fields=["mode"])
        audit_record(
            action=Action.MAIL_PREFERENCE,
            actor=member.user,
            circle_id=member.circle_id,
            target=pref,
            data={"from": old, "to": mode},
        )
    # A member who turns mail off does not get what was waiting for the digest either.
    if mode == MailPreference.Mode.OFF:
        Outbox.objects.filter(notification__recipient=member, state=Outbox.State.PENDING).delete()
    return pref
