"""Mailing the outbox (run by the background worker, kindred/notifications/tasks.py): one mail per
recipient with everything pending for them, one template per kind, each row sent once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import ngettext

from .kinds import kind_get
from .models import OUTBOX_CLAIM_MINUTES, OUTBOX_MAX_ATTEMPTS, Outbox

SUBJECT_MAX_LENGTH = 200


def outbox_send(
    *,
    user_ids: Sequence[int] | None = None,
    addresses: Sequence[str] | None = None,
    digest: bool = False,
    now: datetime | None = None,
) -> int:
    """Mail what is pending, one mail per recipient: the immediate rows (of `user_ids` and `addresses`, or
    everyone's), or with `digest` every pending row (the daily digest). Returns the number of mails sent.

    A recipient is a user, or an email address without an account (`addresses`). Each recipient's rows are
    claimed under their lock first (pending → sending), then mailed, then marked sent; a row is never mailed
    twice. A failure puts them back to pending, failed after OUTBOX_MAX_ATTEMPTS; a claim left by a worker
    that died is released after OUTBOX_CLAIM_MINUTES.
    """
    now = now or timezone.now()
    Outbox.objects.filter(
        state=Outbox.State.SENDING, claimed_at__lt=now - timedelta(minutes=OUTBOX_CLAIM_MINUTES)
    ).update(state=Outbox.State.PENDING)
    pending = Outbox.objects.filter(state=Outbox.State.PENDING)
    if not digest:
        pending = pending.filter(immediate=True)
    if user_ids is not None or addresses is not None:
        pending = pending.filter(
            Q(user_id__in=list(user_ids or ())) | Q(user__isnull=True, address__in=list(addresses or ()))
        )
    recipients = sorted(set(pending.values_list("user_id", "address")), key=lambda r: (r[0] or 0, r[1]))
    sent = 0
    for user_id, address in recipients:
        mine = (
            pending.filter(user_id=user_id) if user_id else pending.filter(user__isnull=True, address=address)
        )
        with transaction.atomic():
            ids = list(mine.select_for_update(skip_locked=True).values_list("pk", flat=True))
            Outbox.objects.filter(pk__in=ids, state=Outbox.State.PENDING).update(
                state=Outbox.State.SENDING, claimed_at=now
            )
        rows = list(Outbox.objects.filter(pk__in=ids, state=Outbox.State.SENDING).select_related("user"))
        if not rows:
            continue
        claimed = Outbox.objects.filter(pk__in=[r.pk for r in rows], state=Outbox.State.SENDING)
        try:
            _message(rows).send(fail_silently=False)
        except Exception as exc:  # the mail server refused or is away: retry later, give up after a few
            claimed.filter(attempts__gte=OUTBOX_MAX_ATTEMPTS - 1).update(
                state=Outbox.State.FAILED, attempts=F("attempts") + 1, last_error=str(exc)[:300]
            )
            claimed.update(state=Outbox.State.PENDING, attempts=F("attempts") + 1, last_error=str(exc)[:300])
            continue
        claimed.update(state=Outbox.State.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1)
        direct = [r.pk for r in rows if r.notification_id is None]
        if direct:  # a direct mail may carry a secret (an invitation link): kept only until it is sent
            Outbox.objects.filter(pk__in=direct).update(params={}, url="")
        sent += 1
    return sent


def _message(rows: Sequence[Outbox]) -> EmailMessage:
    """One mail for one recipient's rows, in the site's language, one template per kind."""
    with translation.override(settings.LANGUAGE_CODE):
        parts = [_render(row) for row in rows]
        if len(parts) == 1:
            subject, body = parts[0]
        else:
            subject = ngettext(
                "Kindred: %(count)d new notification", "Kindred: %(count)d new notifications", len(parts)
            ) % {"count": len(parts)}
            body = "\n\n".join(f"{s}\n{b}".strip() for s, b in parts)
    return EmailMessage(subject[:SUBJECT_MAX_LENGTH], body.strip() + "\n", None, [rows[0].to])


def _render(row: Outbox) -> tuple[str, str]:
    # Plain text: the members' own words are not HTML-escaped (a title "A & B" stays "A & B").
    params = {k: mark_safe(v) if isinstance(v, str) else v for k, v in row.params.items()}  # noqa: S308
    text = render_to_string(
        kind_get(row.kind).template,
        {**params, "url": settings.SITE_URL + row.url if row.url else settings.SITE_URL},
    )
    subject, _sep, body = text.strip().partition("\n")
    return " ".join(subject.split()), body.strip()
