"""The wallet: a double-entry ledger in integer fen, payments through a provider, and red envelopes (红包).

Accounts: one wallet per user, one external account per payment provider (the money outside Kindred:
its balance is the negative of everything that came in), and one escrow account per envelope. Every
transaction is a set of entries summing to zero; an account's cached `balance` is the sum of its entries
and never negative (except an external account). Rows of the ledger are only ever added.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

# --- Limits (defaults; each can be overridden by a Django setting of the same name) -----------------
from kindred.core.money import FEN_PER_YUAN

ENVELOPE_MAX_TOTAL_FEN = 20_000 * FEN_PER_YUAN  # 20,000 yuan
ENVELOPE_MAX_SHARES = 100  # and never more than the circle's active members
ENVELOPE_MAX_SHARE_FEN = 200 * FEN_PER_YUAN  # no share above 200 yuan
ENVELOPE_TTL = timedelta(hours=24)  # unclaimed shares go back to the sender after this
TOPUP_MAX_FEN = 50_000 * FEN_PER_YUAN  # one top-up or withdrawal
GREETING_TEXT_MAX_LENGTH = 60
DEFAULT_GREETING_TEXT = "恭喜发财，大吉大利"  # the column's default (data, in the circle's first language)
# An envelope sent without words carries this, in the sender's language (恭喜发财，大吉大利 in Chinese).
DEFAULT_GREETING = _("Wishing you prosperity and good luck")
GREETING_SUGGESTION_DAYS = 7  # a newcomer is reminded of a suggested greeting for this long
DEFAULT_GREETING_MIN_TOTAL_FEN = 100  # 1 yuan: small equal envelopes are welcome
DEFAULT_GREETING_MIN_SHARES = 1
ENTRIES_PAGE_SIZE = 20
ENVELOPES_PAGE_SIZE = 20
EXPIRY_SWEEP_SECONDS = 30  # the running server refunds expired envelopes at least this often
# A withdrawal is settled with the provider right after it commits; one still pending after this long
# (the process stopped before the provider answered, or the provider did not answer) is asked again by
# the sweep, which runs this often.
WITHDRAWAL_SETTLE_AFTER = timedelta(minutes=2)
WITHDRAWAL_SWEEP_SECONDS = 60
IDEMPOTENCY_KEY_MAX_LENGTH = 128
# On PostgreSQL a grab runs as one database function (migration 0003); False: the ORM path, as on SQLite.
GRAB_IN_DATABASE = True
PROVIDER_REFERENCE_MAX_LENGTH = 128


def limit(name: str) -> Any:
    """A limit: the Django setting `WALLET_<NAME>` when set, else the default above. The envelope lifetime
    can also come from the environment (KINDRED_ENVELOPE_TTL_SECONDS), e.g. for a demo of expiry."""
    value = getattr(settings, f"WALLET_{name}", None)
    if value is not None:
        return value
    if name == "ENVELOPE_TTL" and os.environ.get("KINDRED_ENVELOPE_TTL_SECONDS"):
        return timedelta(seconds=int(os.environ["KINDRED_ENVELOPE_TTL_SECONDS"]))
    return globals()[name]


class Account(models.Model):
    class Kind(models.TextChoices):
        USER = "user", _("Wallet")
        EXTERNAL = "external", _("Payment provider")
        ESCROW = "escrow", _("Envelope escrow")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(max_length=64, blank=True, default="")  # the provider of an external account
    balance = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0) | Q(kind="external"), name="account_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(kind="user", user__isnull=False) | (~Q(kind="user") & Q(user__isnull=True)),
                name="account_user_iff_wallet",
            ),
            models.UniqueConstraint(fields=["user"], condition=Q(kind="user"), name="account_one_wallet"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(kind="external"), name="account_one_per_provider"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk}"


class LedgerTransaction(models.Model):
    """One movement of money. (kind, reference) is unique: the same cause is never booked twice."""

    class Kind(models.TextChoices):
        TOPUP = "topup", _("Top-up")
        WITHDRAWAL = "withdrawal", _("Withdrawal")
        ENVELOPE_SEND = "envelope_send", _("Red envelope sent")
        ENVELOPE_GRAB = "envelope_grab", _("Red envelope grabbed")
        ENVELOPE_REFUND = "envelope_refund", _("Red envelope refund")
        WITHDRAWAL_REFUND = "withdrawal_refund", _("Cash-out declined, refunded")

    kind = models.CharField(max_length=32, choices=Kind.choices)
    # What caused it: "payment:<id>", "envelope:<id>", "share:<id>".
    reference = models.CharField(max_length=160)
    # No index on envelope or actor: nothing reads transactions by either (the ledger is read by entry and
    # account; verify scans it whole), and every transaction (each grab) would write two more index entries.
    # Neither envelopes nor users are ever deleted, so no delete has to look them up.
    envelope = models.ForeignKey(
        "Envelope",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transactions",
        db_index=False,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "reference"], name="ledger_txn_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"


class Entry(models.Model):
    # Not indexed: entries are read by account (entry_account_recent) and joined to their transaction by its
    # primary key; only `ledger verify` reads them by transaction, in whole-table passes. A grab writes two
    # entries, so this spares two index entries per grab (the ledger is append-only: no transaction is
    # ever deleted, so the PROTECT check never has to find its entries).
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    # Indexed by entry_account_recent (account, -id): no separate foreign-key index to write on every entry.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries", db_index=False)
    amount = models.BigIntegerField()  # fen; + into the account, - out of it

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="entry_amount_not_zero")]
        indexes = [models.Index(fields=["account", "-id"], name="entry_account_recent")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount}"


class Payment(models.Model):
    """A top-up or withdrawal through a payment provider, unique on the provider's reference.

    A top-up is booked once the provider has charged: it is `completed` from the start. A withdrawal is
    booked (the wallet debited) first and is `pending` until the provider answers, after the booking
    commits: `completed` when it paid out, `refused` when it declined, and then a reversing transaction
    (`refund_transaction`, its own cause) gives the money back to the wallet."""

    class Direction(models.TextChoices):
        IN = "in", _("Top-up")
        OUT = "out", _("Withdrawal")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        COMPLETED = "completed", _("Completed")
        REFUSED = "refused", _("Declined, refunded")

    provider = models.CharField(max_length=64)
    reference = models.CharField(max_length=PROVIDER_REFERENCE_MAX_LENGTH)
    direction = models.CharField(max_length=8, choices=Direction.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    amount_fen = models.BigIntegerField()
    transaction = models.OneToOneField(LedgerTransaction, on_delete=models.PROTECT, related_name="payment")
    created_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.COMPLETED)
    settled_at = models.DateTimeField(null=True, blank=True)  # when the provider's answer was recorded
    refund_transaction = models.OneToOneField(
        LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="refunded_payment"
    )
    # The client's Idempotency-Key of a withdrawal: the same key books it once.
    idempotency_key = models.CharField(max_length=IDEMPOTENCY_KEY_MAX_LENGTH, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "reference"], name="payment_provider_ref_uniq"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="payment_idempotency_key_uniq",
            ),
            # Only a withdrawal waits for the provider or is refused; refused iff refunded.
            models.CheckConstraint(
                condition=Q(direction="out") | Q(status="completed"), name="payment_topup_completed"
            ),
            models.CheckConstraint(
                condition=Q(status="refused", refund_transaction__isnull=False)
                | (~Q(status="refused") & Q(refund_transaction__isnull=True)),
                name="payment_refund_iff_refused",
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], condition=Q(status="pending"), name="payment_pending_since")
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.reference}"


class Envelope(models.Model):
    class Mode(models.TextChoices):
        LUCKY = "lucky", _("Lucky")
        EQUAL = "equal", _("Equal shares")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        FINISHED = "finished", _("All grabbed")
        EXPIRED = "expired", _("Expired")

    circle = models.ForeignKey("circles.Circle", on_delete=models.CASCADE, related_name="envelopes")
    sender = models.ForeignKey("circles.Membership", on_delete=models.PROTECT, related_name="envelopes_sent")
    mode = models.CharField(max_length=8, choices=Mode.choices)
    total_fen = models.BigIntegerField()
    share_count = models.PositiveIntegerField()
    greeting = models.CharField(max_length=GREETING_TEXT_MAX_LENGTH, default=DEFAULT_GREETING_TEXT)
    escrow = models.OneToOneField(Account, on_delete=models.PROTECT, related_name="envelope")
    # The newcomer's greeting (见面红包): it opens their first appearance in the circle.
    is_greeting = models.BooleanField(default=False)
    sender_may_grab = models.BooleanField(default=False)  # the circle's setting when it was sent
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    refunded_fen = models.BigIntegerField(default=0)
    luckiest = models.ForeignKey("Share", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(share_count__gte=1), name="envelope_shares_positive"),
            models.CheckConstraint(
                condition=Q(total_fen__gte=F("share_count")), name="envelope_fen_per_share"
            ),
            models.CheckConstraint(condition=Q(expires_at__gt=F("created_at")), name="envelope_expiry_after"),
            models.CheckConstraint(condition=Q(refunded_fen__gte=0), name="envelope_refund_not_negative"),
            models.UniqueConstraint(
                fields=["sender"], condition=Q(is_greeting=True), name="envelope_one_greeting"
            ),
        ]
        indexes = [
            models.Index(fields=["circle", "-created_at"], name="envelope_circle_recent"),
            models.Index(fields=["status", "expires_at"], name="envelope_open_expiry"),
        ]

    def __str__(self) -> str:
        return f"envelope#{self.pk}"


class Share(models.Model):
    """One pre-cut share of an envelope: claimed by exactly one member, or refunded, or still waiting."""

    # Both foreign keys lead a composite index below (share_position_uniq, share_member_recent): no
    # separate foreign-key indexes to update on every grab.
    envelope = models.ForeignKey(Envelope, on_delete=models.CASCADE, related_name="shares", db_index=False)
    position = models.PositiveIntegerField()
    amount_fen = models.BigIntegerField()
    claimed_by = models.ForeignKey(
        "circles.Membership",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="envelope_shares",
        db_index=False,
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    refunded = models.BooleanField(default=False)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["envelope", "position"], name="share_position_uniq"),
            # One share per member per envelope.
            models.UniqueConstraint(
                fields=["envelope", "claimed_by"],
                condition=Q(claimed_by__isnull=False),
                name="share_one_per_member",
            ),
            models.CheckConstraint(condition=Q(amount_fen__gte=1), name="share_at_least_one_fen"),
            models.CheckConstraint(
                condition=Q(claimed_by__isnull=True, claimed_at__isnull=True)
                | Q(claimed_by__isnull=False, claimed_at__isnull=False, refunded=False),
                name="share_claimed_xor_refunded",
            ),
        ]
        indexes = [
            models.Index(fields=["claimed_by", "-claimed_at"], name="share_member_recent"),
            # The free shares of an envelope in position order: a grab's claim finds the first one
            # without stepping over the claimed ones.
            models.Index(
                fields=["envelope", "position"],
                condition=Q(claimed_by__isnull=True, refunded=False),
                name="share_free",
            ),
        ]

    def __str__(self) -> str:
        return f"share#{self.pk}"


class IdempotencyKey(models.Model):
    """The first answer to an `Idempotency-Key` of a user: the same key and body get the same envelope."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=IDEMPOTENCY_KEY_MAX_LENGTH)
    request_hash = models.CharField(max_length=64)
    envelope = models.ForeignKey(Envelope, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key_uniq")]

    def __str__(self) -> str:
        return self.key


class GreetingRule(models.TextChoices):
    OFF = "off", _("Off")
    SUGGESTED = "suggested", _("Suggested")
    REQUIRED = "required", _("Required")


class CircleWalletSettings(models.Model):
    """The circle's envelope rules (kept here, keyed by circle). A circle without a row has the defaults."""

    circle = models.OneToOneField(
        "circles.Circle", on_delete=models.CASCADE, primary_key=True, related_name="wallet_settings"
    )
    sender_may_grab = models.BooleanField(_("the sender may grab their own envelope"), default=False)
    greeting_rule = models.CharField(
        _("newcomer's greeting envelope"),
        max_length=12,
        choices=GreetingRule.choices,
        default=GreetingRule.SUGGESTED,
    )
    greeting_min_total_fen = models.BigIntegerField(
        _("greeting: minimum total (fen)"), default=DEFAULT_GREETING_MIN_TOTAL_FEN
    )
    greeting_min_shares = models.PositiveIntegerField(
        _("greeting: minimum shares"), default=DEFAULT_GREETING_MIN_SHARES
    )
    # A required greeting applies to members who join from this moment on (nobody owes one retroactively).
    required_since = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(greeting_min_total_fen__gte=1), name="wallet_greeting_min_total"
            ),
            models.CheckConstraint(
                condition=Q(greeting_min_shares__gte=1), name="wallet_greeting_min_shares"
            ),
            models.CheckConstraint(
                condition=Q(greeting_min_total_fen__gte=F("greeting_min_shares")),
                name="wallet_greeting_fen_per_share",
            ),
        ]

    def __str__(self) -> str:
        return f"wallet settings of circle {self.circle_id}"


class GreetingWaiver(models.Model):
    """The organizer excused a member from the greeting envelope."""

    membership = models.OneToOneField(
        "circles.Membership", on_delete=models.CASCADE, related_name="greeting_waiver"
    )
    waived_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"greeting waived for {self.membership_id}"
