"""Reads of the wallet and of envelopes. Every function here runs a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kindred.circles.models import Circle, Membership
from kindred.core.services import NotFound

from .greeting import owing_members
from .models import (
    ENTRIES_PAGE_SIZE,
    ENVELOPES_PAGE_SIZE,
    Account,
    CircleWalletSettings,
    Entry,
    Envelope,
    GreetingRule,
    LedgerTransaction,
    Payment,
    Share,
)

MAX_PAGE = 100_000


# --- The wallet ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryView:
    entry: Entry

    @property
    def amount_fen(self) -> int:
        return self.entry.amount

    @property
    def kind(self) -> str:
        return self.entry.transaction.kind

    @property
    def kind_label(self) -> str:
        return str(self.entry.transaction.get_kind_display())

    @property
    def at(self) -> datetime:
        return self.entry.transaction.created_at

    @property
    def envelope(self) -> Envelope | None:
        return self.entry.transaction.envelope

    @property
    def payment_status(self) -> str | None:
        """A withdrawal's status (pending, completed, refused); None for other entries."""
        payment = getattr(self.entry.transaction, "payment", None)
        return payment.status if payment is not None and payment.direction == Payment.Direction.OUT else None

    @property
    def description(self) -> str:
        env = self.envelope
        status = self.payment_status
        if status == Payment.Status.PENDING:
            return str(_("Pending: waiting for the payment provider"))
        if status == Payment.Status.REFUSED:
            return str(_("Declined by the payment provider, refunded"))
        if self.kind == LedgerTransaction.Kind.WITHDRAWAL_REFUND:
            return str(_("The declined cash-out, back in your wallet"))
        if env is None:
            return str(_("Simulated payment provider"))
        return str(_("%(sender)s's red envelope in %(circle)s")) % {
            "sender": env.sender.card.display_name,
            "circle": env.circle.name,
        }


@dataclass
class WalletPage:
    balance_fen: int
    entries: list[EntryView]
    page: int
    has_next: bool
    pending_withdrawals: list[Payment] = field(default_factory=list)

    @property
    def pending_fen(self) -> int:
        return sum(p.amount_fen for p in self.pending_withdrawals)

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def wallet_balance(*, user: AbstractBaseUser) -> int:
    """The user's balance in fen (0 before their first top-up). One query."""
    balance = Account.objects.filter(kind=Account.Kind.USER, user_id=user.pk).values_list(
        "balance", flat=True
    )
    return next(iter(balance), 0)


def wallet_page(*, user: AbstractBaseUser, page: int = 1, size: int = ENTRIES_PAGE_SIZE) -> WalletPage:
    """The user's balance, their withdrawals still pending, and one page of their entries, newest first.
    Three queries."""
    page = max(1, min(page, MAX_PAGE))
    account = Account.objects.filter(kind=Account.Kind.USER, user_id=user.pk).first()
    if account is None:
        return WalletPage(balance_fen=0, entries=[], page=page, has_next=False)
    start = (page - 1) * size
    rows = list(
        Entry.objects.filter(account=account)
        .select_related(
            "transaction__envelope__sender__card", "transaction__envelope__circle", "transaction__payment"
        )
        .order_by("-id")[start : start + size + 1]
    )
    pending = Payment.objects.filter(
        user_id=user.pk, direction=Payment.Direction.OUT, status=Payment.Status.PENDING
    ).order_by("created_at", "id")
    return WalletPage(
        balance_fen=account.balance,
        entries=[EntryView(e) for e in rows[:size]],
        page=page,
        has_next=len(rows) > size,
        pending_withdrawals=list(pending),
    )


# --- Circle rules ----------------------------------------------------------------------------------


def rules_for(*, circle: Circle | int) -> CircleWalletSettings:
    circle_id = circle if isinstance(circle, int) else circle.pk
    return CircleWalletSettings.objects.filter(circle_id=circle_id).first() or CircleWalletSettings(
        circle_id=circle_id
    )


def members_owing_greeting(*, circle: Circle, rules: CircleWalletSettings) -> list[Membership]:
    """The active members who owe a greeting envelope (see greeting.py), newest first. One query."""
    if rules.greeting_rule != GreetingRule.REQUIRED:
        return []
    members = Membership.objects.filter(circle=circle, status=Membership.Status.ACTIVE)
    return list(owing_members(members).select_related("card").order_by("-joined_at"))


# --- Envelopes -------------------------------------------------------------------------------------


def envelope_membership(
    *, user: AbstractBaseUser | AnonymousUser, envelope_id: int
) -> tuple[Envelope, Membership]:
    """The envelope and the viewer's active membership of its circle; NotFound for anyone else. Two queries."""
    if not getattr(user, "is_authenticated", False):
        raise NotFound(_("Red envelope not found."))
    envelope = (
        Envelope.objects.select_related("circle", "sender__card", "sender__user")
        .filter(pk=envelope_id)
        .first()
    )
    membership = None
    if envelope is not None:
        membership = (
            Membership.objects.select_related("circle", "card")
            .filter(circle_id=envelope.circle_id, user_id=user.pk, status=Membership.Status.ACTIVE)  # type: ignore[misc]
            .first()
        )
    if envelope is None or membership is None:
        raise NotFound(_("Red envelope not found."))
    return envelope, membership


@dataclass(frozen=True)
class GrabView:
    share: Share
    luckiest: bool

    @property
    def member(self) -> Membership:
        assert self.share.claimed_by is not None
        return self.share.claimed_by


@dataclass
class EnvelopeView:
    envelope: Envelope
    viewer: Membership
    grabs: list[GrabView] = field(default_factory=list)
    unclaimed_shares: int = 0
    unclaimed_fen: int = 0
    refunded_shares: int = 0

    @property
    def claimed_fen(self) -> int:
        return sum(g.share.amount_fen for g in self.grabs)

    @property
    def mine(self) -> GrabView | None:
        return next((g for g in self.grabs if g.share.claimed_by_id == self.viewer.pk), None)

    @property
    def is_open(self) -> bool:
        return self.envelope.status == Envelope.Status.OPEN and timezone.now() < self.envelope.expires_at

    @property
    def is_sender(self) -> bool:
        return self.envelope.sender_id == self.viewer.pk

    @property
    def can_grab(self) -> bool:
        if self.mine is not None or not self.is_open or self.unclaimed_shares == 0:
            return False
        return not self.is_sender or self.envelope.sender_may_grab


def envelope_view(*, envelope: Envelope, viewer: Membership) -> EnvelopeView:
    """Everything the envelope page shows: the grabs so far (with cards, the luckiest marked) and what
    is left. One query (the envelope and viewer are loaded by `envelope_membership`)."""
    shares = list(Share.objects.filter(envelope=envelope).select_related("claimed_by__card"))
    return _envelope_view(envelope, viewer, shares)


def envelope_views(*, viewer: Membership, envelope_ids: list[int]) -> dict[int, EnvelopeView]:
    """`envelope_view` of each of these envelopes of the viewer's circle, by id (the red envelopes of the
    conversation's stream). Two queries, whatever their number."""
    envelopes = list(
        Envelope.objects.select_related("sender__card").filter(
            pk__in=envelope_ids, circle_id=viewer.circle_id
        )
    )
    shares: dict[int, list[Share]] = {e.pk: [] for e in envelopes}
    for share in Share.objects.filter(envelope__in=envelopes).select_related("claimed_by__card"):
        shares[share.envelope_id].append(share)
    return {e.pk: _envelope_view(e, viewer, shares[e.pk]) for e in envelopes}


def _envelope_view(envelope: Envelope, viewer: Membership, shares: list[Share]) -> EnvelopeView:
    out = EnvelopeView(envelope=envelope, viewer=viewer)
    claimed = sorted((s for s in shares if s.claimed_by_id is not None), key=lambda s: (s.claimed_at, s.pk))
    out.grabs = [GrabView(share=s, luckiest=s.pk == envelope.luckiest_id) for s in claimed]
    waiting = [s for s in shares if s.claimed_by_id is None and not s.refunded]
    out.unclaimed_shares = len(waiting)
    out.unclaimed_fen = sum(s.amount_fen for s in waiting)
    out.refunded_shares = sum(1 for s in shares if s.refunded)
    return out


@dataclass(frozen=True)
class EnvelopeSummary:
    envelope: Envelope
    claimed_count: int
    claimed_fen: int
    my_amount_fen: int | None

    @property
    def is_open(self) -> bool:
        return self.envelope.status == Envelope.Status.OPEN and timezone.now() < self.envelope.expires_at


@dataclass
class EnvelopeList:
    items: list[EnvelopeSummary]
    page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def circle_envelopes(
    *, circle: Circle, viewer: Membership, page: int = 1, size: int = ENVELOPES_PAGE_SIZE
) -> EnvelopeList:
    """The circle's envelopes, newest first, with how much is grabbed and the viewer's own grab. A
    newcomer's greeting is marked (`envelope.is_greeting`). One query."""
    page = max(1, min(page, MAX_PAGE))
    start = (page - 1) * size
    mine = Share.objects.filter(envelope=OuterRef("pk"), claimed_by=viewer).values("amount_fen")[:1]
    rows = list(
        Envelope.objects.filter(circle=circle)
        .select_related("sender__card")
        .annotate(
            claimed_count=Count("shares", filter=Q(shares__claimed_by__isnull=False)),
            claimed_fen=Sum("shares__amount_fen", filter=Q(shares__claimed_by__isnull=False), default=0),
            my_amount=Subquery(mine),
        )
        .order_by("-created_at", "-id")[start : start + size + 1]
    )
    items = [
        EnvelopeSummary(
            envelope=e,
            claimed_count=e.claimed_count,
            claimed_fen=e.claimed_fen,
            my_amount_fen=e.my_amount,
        )
        for e in rows[:size]
    ]
    return EnvelopeList(items=items, page=page, has_next=len(rows) > size)


def envelope_grabs(*, circle_id: int) -> list[tuple]:
    """Every grabbed share of the circle's red envelopes, for the health page: (member_id, envelope_id,
    claimed_at). One query."""
    return list(
        Share.objects.filter(envelope__circle_id=circle_id, claimed_by__isnull=False)
        .order_by("claimed_at", "id")
        .values_list("claimed_by_id", "envelope_id", "claimed_at")
    )


def wallet_of_user(*, user_id: int, member_ids: list[int]) -> dict[str, object]:
    """For the member's own export: the wallet account, its entries, payments, the envelopes they sent and
    the shares they grabbed. Five queries."""
    account = (
        Account.objects.filter(kind=Account.Kind.USER, user_id=user_id)
        .values("id", "balance", "created_at")
        .first()
    )
    entries = (
        list(
            Entry.objects.filter(account_id=account["id"])
            .order_by("id")
            .values("id", "amount", "transaction__kind", "transaction__reference", "transaction__created_at")
        )
        if account
        else []
    )
    return {
        "account": account,
        "entries": entries,
        "payments": list(
            Payment.objects.filter(user_id=user_id)
            .order_by("id")
            .values("id", "direction", "amount_fen", "status", "created_at", "settled_at")
        ),
        "envelopes_sent": list(
            Envelope.objects.filter(sender_id__in=member_ids)
            .order_by("id")
            .values(
                "id",
                "circle_id",
                "mode",
                "total_fen",
                "share_count",
                "greeting",
                "status",
                "created_at",
                "refunded_fen",
            )
        ),
        "envelopes_grabbed": list(
            Share.objects.filter(claimed_by_id__in=member_ids)
            .order_by("id")
            .values("envelope_id", "amount_fen", "claimed_at")
        ),
    }


def wallet_open_obligations(*, user_id: int, member_ids: list[int]) -> dict[str, int]:
    """What keeps an account from being deleted: its balance, withdrawals still pending and envelopes it
    sent that are still open (their rest would come back to the wallet). Three queries."""
    balance = Account.objects.filter(kind=Account.Kind.USER, user_id=user_id).values_list(
        "balance", flat=True
    )
    return {
        "balance_fen": next(iter(balance), 0),
        "pending_withdrawals": Payment.objects.filter(
            user_id=user_id, direction=Payment.Direction.OUT, status=Payment.Status.PENDING
        ).count(),
        "open_envelopes": Envelope.objects.filter(
            sender_id__in=member_ids, status=Envelope.Status.OPEN
        ).count(),
    }
