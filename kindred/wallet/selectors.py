"""Reads of the wallet and of envelopes. Every function here runs a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kindred.circles.models import Circle, MemberCard, Membership
from kindred.core.services import NotFound
from kindred.core.sqlrows import (
    Converters,
    column_converters,
    fetch_converted,
    instance_from_row,
    per_backend,
    select_columns,
)

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
    """One entry of the wallet, as plain values: every value the wallet shows of it."""

    id: int
    amount_fen: int
    kind: str
    at: datetime
    envelope_id: int | None
    circle_slug: str | None
    circle_name: str | None
    sender_name: str | None
    payment_direction: str | None
    payment_state: str | None

    @property
    def kind_label(self) -> str:
        return str(LedgerTransaction.Kind(self.kind).label)

    @property
    def payment_status(self) -> str | None:
        """A withdrawal's status (pending, completed, refused); None for other entries."""
        return self.payment_state if self.payment_direction == Payment.Direction.OUT else None

    @property
    def description(self) -> str:
        status = self.payment_status
        if status == Payment.Status.PENDING:
            return str(_("Pending: waiting for the payment provider"))
        if status == Payment.Status.REFUSED:
            return str(_("Declined by the payment provider, refunded"))
        if self.kind == LedgerTransaction.Kind.WITHDRAWAL_REFUND:
            return str(_("The declined cash-out, back in your wallet"))
        if self.envelope_id is None:
            return str(_("Simulated payment provider"))
        return str(_("%(sender)s's red envelope in %(circle)s")) % {
            "sender": self.sender_name,
            "circle": self.circle_name,
        }


# (model, table alias, field) of EntryView's columns, in its fields' order.
_ENTRY_COLUMNS = (
    (Entry, "en", "id"),
    (Entry, "en", "amount"),
    (LedgerTransaction, "t", "kind"),
    (LedgerTransaction, "t", "created_at"),
    (LedgerTransaction, "t", "envelope"),
    (Circle, "c", "slug"),
    (Circle, "c", "name"),
    (MemberCard, "k", "display_name"),
    (Payment, "p", "direction"),
    (Payment, "p", "status"),
)


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


@per_backend
def _wallet_queries() -> tuple[str, list[str], Converters, str, Converters]:
    """wallet_page's two statements, built once from the models with the backend's converters (the ORM's
    compilation of their joins cost more than running them): the account with the user's withdrawals still
    pending (the user follows), then one page of the account's entries (the account, limit and offset)."""
    qn = connection.ops.quote_name
    fields: list[Any] = list(Payment._meta.concrete_fields)
    pending = (
        f"SELECT a.id, a.balance, {', '.join(f'p.{qn(f.column)}' for f in fields)} "  # noqa: S608
        f"FROM {qn(Account._meta.db_table)} a LEFT OUTER JOIN {qn(Payment._meta.db_table)} p "
        "ON p.user_id = a.user_id AND p.direction = %s AND p.status = %s "
        "WHERE a.kind = %s AND a.user_id = %s ORDER BY p.created_at, p.id"
    )
    columns, converters = select_columns(_ENTRY_COLUMNS)
    entries = (
        f"SELECT {columns} FROM {qn(Entry._meta.db_table)} en "  # noqa: S608
        f"INNER JOIN {qn(LedgerTransaction._meta.db_table)} t ON t.id = en.transaction_id "
        f"LEFT OUTER JOIN {qn(Envelope._meta.db_table)} e ON e.id = t.envelope_id "
        f"LEFT OUTER JOIN {qn(Circle._meta.db_table)} c ON c.id = e.circle_id "
        f"LEFT OUTER JOIN {qn(Membership._meta.db_table)} m ON m.id = e.sender_id "
        f"LEFT OUTER JOIN {qn(MemberCard._meta.db_table)} k ON k.membership_id = m.id "
        f"LEFT OUTER JOIN {qn(Payment._meta.db_table)} p ON p.transaction_id = t.id "
        "WHERE en.account_id = %s ORDER BY en.id DESC LIMIT %s OFFSET %s"
    )
    return pending, [f.attname for f in fields], column_converters(fields, "p"), entries, converters


def wallet_page(*, user: AbstractBaseUser, page: int = 1, size: int = ENTRIES_PAGE_SIZE) -> WalletPage:
    """The user's balance, their withdrawals still pending, and one page of their entries, newest first.
    Two queries (one before their first top-up)."""
    page = max(1, min(page, MAX_PAGE))
    pending_sql, attnames, payment_converters, entries_sql, converters = _wallet_queries()
    params = [Payment.Direction.OUT.value, Payment.Status.PENDING.value, Account.Kind.USER.value, user.pk]
    with connection.cursor() as cursor:
        cursor.execute(pending_sql, params)
        heads = cursor.fetchall()
    if not heads:
        return WalletPage(balance_fen=0, entries=[], page=page, has_next=False)
    account_id, balance = heads[0][0], heads[0][1]
    pending = [
        instance_from_row(Payment, row, 2, attnames, payment_converters)
        for row in heads
        if row[2] is not None
    ]
    rows = fetch_converted(entries_sql, [account_id, size + 1, (page - 1) * size], converters)
    return WalletPage(
        balance_fen=balance,
        entries=[EntryView(*row) for row in rows[:size]],
        page=page,
        has_next=len(rows) > size,
        pending_withdrawals=pending,
    )


# --- Circle rules ----------------------------------------------------------------------------------


@per_backend
def _rules_query() -> tuple[str, list[str], Converters]:
    """rules_for's query, built once from the model (the ORM's compilation cost more than running it)."""
    qn = connection.ops.quote_name
    fields: list[Any] = list(CircleWalletSettings._meta.concrete_fields)
    columns = ", ".join(f"s.{qn(f.column)}" for f in fields)
    table = qn(CircleWalletSettings._meta.db_table)
    sql = f"SELECT {columns} FROM {table} s WHERE s.circle_id = %s"  # noqa: S608 (names from the model)
    return sql, [f.attname for f in fields], column_converters(fields, "s")


def rules_for(*, circle: Circle | int) -> CircleWalletSettings:
    """The circle's envelope rules (the defaults when it has no row). One query."""
    circle_id = circle if isinstance(circle, int) else circle.pk
    sql, attnames, converters = _rules_query()
    with connection.cursor() as cursor:
        cursor.execute(sql, [circle_id])
        row = cursor.fetchone()
    if row is None:
        return CircleWalletSettings(circle_id=circle_id)
    rules: CircleWalletSettings = instance_from_row(CircleWalletSettings, row, 0, attnames, converters)
    return rules


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


@dataclass(frozen=True)
class EnvelopeGrab:
    """One grab of an envelope, as its card in the conversation shows it (plain values)."""

    member_id: int
    name: str
    amount_fen: int
    luckiest: bool


@dataclass(frozen=True)
class EnvelopeCard:
    """What a red envelope's card in the conversation shows its viewer: the grabs so far (in the order they
    came, the luckiest marked), whether the viewer may still grab, what they got. Plain values, the same
    answers as `envelope_view`'s EnvelopeView."""

    id: int
    viewer_id: int
    sender_id: int
    status: str
    expires_at: datetime
    sender_may_grab: bool
    grabs: tuple[EnvelopeGrab, ...]
    unclaimed_shares: int

    @property
    def mine(self) -> EnvelopeGrab | None:
        return next((g for g in self.grabs if g.member_id == self.viewer_id), None)

    @property
    def is_open(self) -> bool:
        return self.status == Envelope.Status.OPEN and timezone.now() < self.expires_at

    @property
    def is_sender(self) -> bool:
        return self.sender_id == self.viewer_id

    @property
    def can_grab(self) -> bool:
        if self.mine is not None or not self.is_open or self.unclaimed_shares == 0:
            return False
        return not self.is_sender or self.sender_may_grab


# (model, table alias, field) of each column of envelope_cards's query.
_CARD_COLUMNS = (
    (Envelope, "e", "id"),
    (Envelope, "e", "sender"),
    (Envelope, "e", "status"),
    (Envelope, "e", "expires_at"),
    (Envelope, "e", "sender_may_grab"),
    (Envelope, "e", "luckiest"),
    (Share, "s", "id"),
    (Share, "s", "amount_fen"),
    (Share, "s", "claimed_by"),
    (Share, "s", "claimed_at"),
    (Share, "s", "refunded"),
    (MemberCard, "k", "display_name"),
)


@per_backend
def _cards_query() -> tuple[str, Converters]:
    """envelope_cards's query: each envelope with each of its shares and the grabber's name, as SQL built
    once from the models with the backend's converters (building it through the ORM cost more than running
    it); the ids' placeholders follow."""
    qn = connection.ops.quote_name
    columns, converters = select_columns(_CARD_COLUMNS)
    share, card = qn(Share._meta.db_table), qn(MemberCard._meta.db_table)
    sql = (
        f"SELECT {columns} FROM {qn(Envelope._meta.db_table)} e "  # noqa: S608
        f"LEFT OUTER JOIN {share} s ON s.envelope_id = e.id "
        f"LEFT OUTER JOIN {card} k ON k.membership_id = s.claimed_by_id "
        "WHERE e.circle_id = %s AND e.id IN "
    )
    return sql, converters


def envelope_cards(*, viewer: Membership, envelope_ids: list[int]) -> dict[int, EnvelopeCard]:
    """What the cards of these envelopes of the viewer's circle show them, by id (the red envelopes of the
    conversation's stream): ONE query, whatever their number (none for no ids), no model instances."""
    ids = sorted({int(i) for i in envelope_ids})
    if not ids:
        return {}
    heads: dict[int, tuple[int, str, datetime, bool]] = {}
    claimed: dict[int, list[tuple[Any, ...]]] = {}
    waiting: dict[int, int] = {}
    sql, converters = _cards_query()
    sql += "(" + ", ".join(["%s"] * len(ids)) + ")"
    for row in fetch_converted(sql, [viewer.circle_id, *ids], converters):
        pk, sender_id, status, expires_at, may_grab, luckiest_id, share_id, amount, by, at, refunded, name = (
            row
        )
        heads[pk] = (sender_id, status, expires_at, bool(may_grab))
        waiting.setdefault(pk, 0)
        claimed.setdefault(pk, [])
        if share_id is None:
            continue
        if by is not None:
            claimed[pk].append((at, share_id, EnvelopeGrab(by, name or "", amount, share_id == luckiest_id)))
        elif not refunded:
            waiting[pk] += 1
    return {
        pk: EnvelopeCard(
            id=pk,
            viewer_id=viewer.pk,
            sender_id=sender_id,
            status=status,
            expires_at=expires_at,
            sender_may_grab=may_grab,
            grabs=tuple(g for _at, _id, g in sorted(claimed[pk], key=lambda c: (c[0], c[1]))),
            unclaimed_shares=waiting[pk],
        )
        for pk, (sender_id, status, expires_at, may_grab) in heads.items()
    }


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
    """One envelope of the circle's list, as plain values (no model instances): what the list shows."""

    id: int
    sender_id: int
    sender_name: str
    sender_joined_at: datetime
    mode: str
    total_fen: int
    share_count: int
    greeting: str
    is_greeting: bool
    status: str
    created_at: datetime
    expires_at: datetime
    claimed_count: int
    my_amount_fen: int | None

    @property
    def is_open(self) -> bool:
        return self.status == Envelope.Status.OPEN and timezone.now() < self.expires_at

    @property
    def mode_label(self) -> str:
        return str(Envelope.Mode(self.mode).label)

    @property
    def status_label(self) -> str:
        return str(Envelope.Status(self.status).label)


@dataclass
class EnvelopeList:
    items: list[EnvelopeSummary]
    page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


# (model, table alias, field) of EnvelopeSummary's columns from tables, in its fields' order; the two
# counted ones (claimed_count, my_amount_fen) follow as subqueries.
_SUMMARY_COLUMNS = (
    (Envelope, "wallet_envelope", "id"),
    (Envelope, "wallet_envelope", "sender"),
    (MemberCard, "k", "display_name"),
    (Membership, "m", "joined_at"),
    (Envelope, "wallet_envelope", "mode"),
    (Envelope, "wallet_envelope", "total_fen"),
    (Envelope, "wallet_envelope", "share_count"),
    (Envelope, "wallet_envelope", "greeting"),
    (Envelope, "wallet_envelope", "is_greeting"),
    (Envelope, "wallet_envelope", "status"),
    (Envelope, "wallet_envelope", "created_at"),
    (Envelope, "wallet_envelope", "expires_at"),
)
# Per listed envelope (subqueries after the LIMIT), not a GROUP BY over every envelope the circle had.
_CLAIMED_COUNT_SQL = (
    "SELECT COUNT(*) FROM wallet_share cs"
    " WHERE cs.envelope_id = wallet_envelope.id AND cs.claimed_by_id IS NOT NULL"
)
_MY_AMOUNT_SQL = (
    "SELECT ms.amount_fen FROM wallet_share ms"
    " WHERE ms.envelope_id = wallet_envelope.id AND ms.claimed_by_id = %s"
)


@per_backend
def _summaries_query() -> tuple[str, Converters]:
    """circle_envelopes's query, built once from the models with the backend's converters (the ORM's
    compilation of it cost more than running it): the viewer, the circle, the limit and the offset follow."""
    qn = connection.ops.quote_name
    columns, converters = select_columns(_SUMMARY_COLUMNS)
    envelope, member, card = (qn(m._meta.db_table) for m in (Envelope, Membership, MemberCard))
    sql = (
        f"SELECT {columns}, ({_CLAIMED_COUNT_SQL}), ({_MY_AMOUNT_SQL}) FROM {envelope} wallet_envelope "  # noqa: S608
        f"INNER JOIN {member} m ON m.id = wallet_envelope.sender_id "
        f"LEFT OUTER JOIN {card} k ON k.membership_id = m.id "
        "WHERE wallet_envelope.circle_id = %s "
        "ORDER BY wallet_envelope.created_at DESC, wallet_envelope.id DESC LIMIT %s OFFSET %s"
    )
    return sql, converters


def circle_envelopes(
    *, circle: Circle, viewer: Membership, page: int = 1, size: int = ENVELOPES_PAGE_SIZE
) -> EnvelopeList:
    """The circle's envelopes, newest first, with how much is grabbed and the viewer's own grab. A
    newcomer's greeting is marked (`is_greeting`). One query, plain values."""
    page = max(1, min(page, MAX_PAGE))
    sql, converters = _summaries_query()
    rows = fetch_converted(sql, [viewer.pk, circle.pk, size + 1, (page - 1) * size], converters)
    items = [EnvelopeSummary(*row) for row in rows[:size]]
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
