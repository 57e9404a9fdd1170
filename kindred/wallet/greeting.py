"""The newcomer's greeting rule (见面红包), in one place.

- An envelope *qualifies* when it is at least the circle's minimum total in at least its minimum shares.
- A nominated member's first envelope that qualifies, while the circle's rule is not off, is their greeting
  (`Envelope.is_greeting`, at most one per member). An envelope below the minimum is an ordinary envelope:
  it does not count, and it closes no door.
- A member *owes* a greeting while the rule is `required`, they were nominated (not the founder) and
  joined at or after the rule was set, nobody excused them, and they have not sent their greeting.
  Until then they may not grab others' envelopes, and the refusal says exactly what to send.

The owing half is `OWES_GREETING_SQL`, one SQL condition on a membership id: the grab on SQLite (and the
ORM path on PostgreSQL), the reminders and the organizer's list run it, and the grab in the database calls
it as `wallet_greeting_owed(member)`, installed from a frozen copy of this text by migration 0006 (a test
holds the installed function equal to this text: change the rule with a new migration).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.db.models import BooleanField, Exists, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kindred.circles.models import Membership
from kindred.core.money import fen_to_yuan
from kindred.core.services import PermissionDenied

from .models import GREETING_SUGGESTION_DAYS, CircleWalletSettings, Envelope, GreetingRule, GreetingWaiver

# `{member}`: the membership id (a parameter, a column, or the function's argument).
OWES_GREETING_SQL = (
    "EXISTS (SELECT 1 FROM circles_membership gm"
    " JOIN wallet_circlewalletsettings gs ON gs.circle_id = gm.circle_id"
    " WHERE gm.id = {member} AND gm.sponsor_id IS NOT NULL AND gs.greeting_rule = 'required'"
    " AND gs.required_since IS NOT NULL AND gm.joined_at >= gs.required_since"
    " AND NOT EXISTS (SELECT 1 FROM wallet_envelope ge WHERE ge.sender_id = gm.id AND ge.is_greeting)"
    " AND NOT EXISTS (SELECT 1 FROM wallet_greetingwaiver gw WHERE gw.membership_id = gm.id))"
)

GREETING_OWED = "owed"  # required, not sent, not excused
GREETING_SUGGESTED = "suggested"  # not required of this member, but they are new and have not greeted


def qualifies(*, rules: CircleWalletSettings, total_fen: int, shares: int) -> bool:
    """Whether an envelope of `total_fen` in `shares` meets the circle's greeting minimums."""
    return total_fen >= rules.greeting_min_total_fen and shares >= rules.greeting_min_shares


def is_greeting(*, sender: Membership, rules: CircleWalletSettings, total_fen: int, shares: int) -> bool:
    """Whether the envelope `sender` is sending now is their greeting: the first one that qualifies.
    The caller holds the sender's wallet lock (one send of theirs at a time)."""
    if rules.greeting_rule == GreetingRule.OFF or sender.sponsor_id is None:
        return False
    if not qualifies(rules=rules, total_fen=total_fen, shares=shares):
        return False
    return not Envelope.objects.filter(sender=sender, is_greeting=True).exists()


def greeting_owed(*, membership_id: int) -> bool:
    """Whether the member still owes the circle a greeting envelope. One query."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + OWES_GREETING_SQL.format(member="%s"), [membership_id])
        row = cursor.fetchone()
    return bool(row[0])


def owing_members(queryset: QuerySet[Membership]) -> QuerySet[Membership]:
    """The members of `queryset` who owe a greeting (the same condition, as a filter)."""
    column = f'"{Membership._meta.db_table}"."id"'
    owes = RawSQL(OWES_GREETING_SQL.format(member=column), [], output_field=BooleanField())  # noqa: S611 (constant SQL)
    return queryset.alias(owes_greeting=owes).filter(owes_greeting=True)


def greeting_status(*, membership: Membership, rules: CircleWalletSettings) -> str | None:
    """Whether to remind the member of their greeting envelope: owed, suggested or None. Two queries at
    most."""
    if rules.greeting_rule == GreetingRule.OFF or membership.sponsor_id is None:
        return None
    if rules.greeting_rule == GreetingRule.REQUIRED and greeting_owed(membership_id=membership.pk):
        return GREETING_OWED
    if membership.joined_at < timezone.now() - timedelta(days=GREETING_SUGGESTION_DAYS):
        return None
    greeted = Envelope.objects.filter(sender=membership, is_greeting=True)
    waived = GreetingWaiver.objects.filter(membership=membership)
    done = Membership.objects.filter(pk=membership.pk).filter(Q(Exists(greeted)) | Q(Exists(waived)))
    return None if done.exists() else GREETING_SUGGESTED


def what_to_send(rules: CircleWalletSettings) -> str:
    """The greeting the circle asks for, in words: "at least 1.00 yuan in at least 1 share"."""
    return ngettext(
        "at least %(total)s yuan in at least %(shares)d share",
        "at least %(total)s yuan in at least %(shares)d shares",
        rules.greeting_min_shares,
    ) % {"total": fen_to_yuan(rules.greeting_min_total_fen), "shares": rules.greeting_min_shares}


def greeting_refusal(rules: CircleWalletSettings) -> PermissionDenied:
    """The refusal of a grab by a member who owes a greeting: it says exactly what to send."""
    return PermissionDenied(
        _(
            "This circle asks newcomers to greet everyone first: send a red envelope of %(what)s to the "
            "circle, then you can grab others'."
        )
        % {"what": what_to_send(rules)},
        code="greeting_required",
    )
