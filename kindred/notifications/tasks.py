"""Notifications' background work: mail the outbox (at once after a commit, a retry sweep, the digest)."""

from __future__ import annotations

from kindred.core.tasks import daily, db_task, periodic

from . import outbox
from .models import DIGEST_HOUR, OUTBOX_SWEEP_SECONDS


@db_task()
def mail_send_immediate(user_ids: list[int], addresses: list[str] | None = None) -> int:
    """Enqueued after the commit of what queued the mail: mail these recipients' immediate rows (users, and
    addresses that have no account)."""
    return outbox.outbox_send(user_ids=user_ids, addresses=addresses or [])


@periodic(every=OUTBOX_SWEEP_SECONDS, name="notifications-retry")
def mail_retry() -> int:
    """Immediate mail still pending (the mail server was away): try again."""
    return outbox.outbox_send()


@daily(hour=DIGEST_HOUR, name="notifications-digest")
def mail_digest() -> int:
    """The daily digest: everything still pending, one mail per recipient."""
    return outbox.outbox_send(digest=True)
