"""Leaving a circle and deleting an account, orchestrated across the apps through their services (this app
depends on them; none depends on it), and the audit rows of data leaving Kindred.

Decisions:
- Leaving: the membership ends as `left` (circles.membership_leave); the card and the place in the invite tree
  stay (as for a removal); the organizer and admins are told. The organizer cannot leave their own circle. A
  member who left may come back through a new invitation: the same membership becomes active again.
- Deleting an account: the user types their username to confirm and chooses what happens to their messages:
  `remove` (tombstones: the text is gone from the database) or `anonymize` (kept, under 已注销成员). Every
  membership ends as `left`; every card is erased (name 已注销成员); their contacts and API tokens are deleted;
  the account becomes an inactive tombstone `deleted-<id>` without email or password (all sessions end).
  The ledger is kept as it is: the wallet account stays, linked to the anonymized user, so the books still
  balance and `kindred ledger verify` stays clean. Money cannot be stranded: a positive balance, a pending
  withdrawal or an open envelope they sent refuses the deletion (withdraw first, or wait for the envelope to
  finish or expire). The organizer of a circle cannot delete their account (there is no one to hand the
  circle to yet).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kindred.accounts.services import account_anonymize
from kindred.circles.models import Membership
from kindred.circles.selectors import circle_organizers, memberships_of_user
from kindred.circles.services import card_erase, membership_leave
from kindred.conversation.services import messages_erase
from kindred.core.services import Conflict, PermissionDenied, ServiceError, audit_record
from kindred.matching.services import contacts_delete
from kindred.notifications.services import notification_send
from kindred.wallet.selectors import wallet_open_obligations

from . import notices
from .audit import Action

MESSAGES_REMOVE = "remove"
MESSAGES_ANONYMIZE = "anonymize"
MESSAGE_CHOICES = (MESSAGES_REMOVE, MESSAGES_ANONYMIZE)


def _tell_reviewers(membership: Membership, kind: str, name: str, at: datetime | None) -> None:
    reviewers = [m for m in circle_organizers(circle_id=membership.circle_id) if m.pk != membership.pk]
    if not reviewers:
        return
    circle = membership.circle
    notification_send(
        recipients=reviewers,
        kind=kind,
        circle=circle,
        params={"name": name, "circle": circle.name},
        target=membership,
        url=reverse("circles:member", kwargs={"slug": circle.slug, "member_id": membership.pk}),
        at=at,
    )


@transaction.atomic
def member_leave(*, membership: Membership, confirm: bool, at: datetime | None = None) -> Membership:
    """A member leaves the circle (after confirming); the organizer and admins are told."""
    if not confirm:
        raise ServiceError(_("Confirm that you want to leave the circle."), code="confirm_required")
    left = membership_leave(membership=membership, at=at)
    name = getattr(getattr(membership, "card", None), "display_name", "") or membership.user.get_username()
    _tell_reviewers(left, notices.MEMBER_LEFT.name, name, at)
    return left


@transaction.atomic
def account_delete(
    *, user: User, confirm_username: str, messages: str, at: datetime | None = None
) -> dict[str, Any]:
    """Delete `user`'s account as described in the module's docstring. Returns what was done."""
    if messages not in MESSAGE_CHOICES:
        raise ServiceError(
            _("Choose whether your messages are removed or kept anonymized."), code="bad_choice"
        )
    if "\x00" in (confirm_username or "") or confirm_username != user.get_username():
        raise ServiceError(_("Type your username exactly to confirm."), code="confirm_mismatch")
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not locked.is_active:
        raise Conflict(_("This account has already been deleted."), code="already_deleted")
    memberships = memberships_of_user(user_id=locked.pk)
    if any(m.is_organizer for m in memberships):
        raise PermissionDenied(
            _("You organize a circle: an organizer cannot delete their account."), code="organizer"
        )
    ids = [m.pk for m in memberships]
    owed = wallet_open_obligations(user_id=locked.pk, member_ids=ids)
    if owed["balance_fen"] > 0:
        raise Conflict(
            _("Your wallet holds ¥%(yuan)s: withdraw it before deleting your account.")
            % {"yuan": f"{owed['balance_fen'] / 100:.2f}"},
            code="balance_left",
        )
    if owed["pending_withdrawals"] or owed["open_envelopes"]:
        raise Conflict(
            _("A withdrawal or a red envelope of yours is still open: wait until it is settled."),
            code="money_pending",
        )
    now = at or timezone.now()
    removed_messages = 0
    for m in memberships:
        name = m.card.display_name
        if m.is_active:
            membership_leave(membership=m, at=at)
            _tell_reviewers(m, notices.ACCOUNT_DELETED.name, name, at)
        if messages == MESSAGES_REMOVE:
            removed_messages += messages_erase(member=m, at=now)
        card_erase(membership=m)
    contacts = contacts_delete(owner=locked)
    account_anonymize(user=locked)
    done = {
        "memberships": len(memberships),
        "messages": messages,
        "messages_removed": removed_messages,
        "contacts_deleted": contacts,
    }
    audit_record(at=at, action=Action.ACCOUNT_DELETED, actor=locked, target=locked, data=done)
    return done


def export_record(*, actor: User, what: str, circle_id: int | None = None) -> None:
    """An audit row for data that left Kindred: the organizer's export of `what`, or a member's own data."""
    action = Action.MEMBER_DATA_EXPORTED if circle_id is None else Action.CIRCLE_EXPORTED
    audit_record(action=action, actor=actor, circle_id=circle_id, data={"what": what})
