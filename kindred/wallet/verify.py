"""`kindred ledger verify`: every invariant of the ledger, the payments and the envelopes, checked from the rows.

Each check is one aggregate query (constant in the number of rows, plus Python work per problem found), so
it runs after every benchmark round. Returns the problems found, each naming the offending rows. The
aggregate rows are typed (the dataclasses below), so a misspelt field is a mypy error, not a KeyError in
the one case the command exists to report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Min, Q, Sum

from .models import Account, Entry, Envelope, LedgerTransaction, Payment, Share

K = LedgerTransaction.Kind


@dataclass(frozen=True)
class TransactionTotals:
    transaction_id: int
    sum_fen: int
    entries: int


@dataclass(frozen=True)
class ShareTotals:
    """One envelope's shares, aggregated."""

    count: int
    total_fen: int
    lowest_fen: int
    claimed_fen: int
    claimed_count: int
    refunded_fen: int
    waiting_fen: int


@dataclass(frozen=True)
class GrabPayment:
    """The wallet leg of a grab's transaction (reference "share:<id>")."""

    amount_fen: int
    user_id: int | None


@dataclass(frozen=True)
class Leg:
    account_id: int
    amount_fen: int


def _legs(txn: LedgerTransaction | None) -> list[Leg]:
    if txn is None:
        return []
    return sorted((Leg(e.account_id, e.amount) for e in txn.entries.all()), key=lambda leg: leg.amount_fen)


def ledger_verify() -> list[str]:
    problems: list[str] = []
    add = problems.append

    # 1. Each transaction sums to zero and has at least two entries.
    per_txn = [
        TransactionTotals(row["transaction_id"], row["s"], row["n"])
        for row in Entry.objects.values("transaction_id")
        .annotate(s=Sum("amount"), n=Count("id"))
        .filter(Q(n__lt=2) | ~Q(s=0))
        .order_by("transaction_id")
    ]
    for t in per_txn:
        add(f"transaction {t.transaction_id}: entries sum to {t.sum_fen} over {t.entries} entries")
    for txn_id in LedgerTransaction.objects.filter(entries__isnull=True).values_list("id", flat=True):
        add(f"transaction {txn_id}: has no entries")

    # 2. All accounts together sum to zero (cached balances and entries alike).
    total_balance = Account.objects.aggregate(s=Sum("balance"))["s"] or 0
    if total_balance != 0:
        add(f"accounts: balances sum to {total_balance}, not 0")
    total_entries = Entry.objects.aggregate(s=Sum("amount"))["s"] or 0
    if total_entries != 0:
        add(f"entries: sum to {total_entries}, not 0")

    # 3. Every cached balance equals the sum of its entries; 4. no negative balance.
    entry_sums: dict[int, int] = {
        row["account_id"]: row["s"] or 0
        for row in Entry.objects.values("account_id").annotate(s=Sum("amount"))
    }
    accounts = {a.pk: a for a in Account.objects.only("id", "kind", "balance", "user_id", "code")}
    for account_id, account in sorted(accounts.items()):
        summed = entry_sums.get(account_id, 0)
        if account.balance != summed:
            add(
                f"account {account_id} ({account.kind}): cached balance {account.balance} "
                f"!= sum of entries {summed}"
            )
        if account.balance < 0 and account.kind != Account.Kind.EXTERNAL:
            add(f"account {account_id} ({account.kind}): negative balance {account.balance}")

    problems.extend(_verify_payments(accounts))
    problems.extend(_verify_envelopes(accounts))
    return problems


def _verify_payments(accounts: dict[int, Account]) -> list[str]:
    """Each payment's transaction moves its amount between the payer's wallet and the provider's account,
    in its direction; a refused withdrawal is refunded exactly once, and nothing else is."""
    problems: list[str] = []
    add = problems.append
    wallets = {a.user_id: a.pk for a in accounts.values() if a.kind == Account.Kind.USER}
    outsides = {a.code: a.pk for a in accounts.values() if a.kind == Account.Kind.EXTERNAL}
    payments = Payment.objects.select_related("transaction", "refund_transaction").prefetch_related(
        "transaction__entries", "refund_transaction__entries"
    )
    refunds_of_payments: set[int] = set()
    for pay in payments.order_by("id"):
        label = f"payment {pay.pk} ({pay.direction}, {pay.status})"
        into_wallet = pay.amount_fen if pay.direction == Payment.Direction.IN else -pay.amount_fen
        expected = sorted(
            [
                Leg(wallets.get(pay.user_id, -1), into_wallet),
                Leg(outsides.get(pay.provider, -1), -into_wallet),
            ],
            key=lambda leg: leg.amount_fen,
        )
        kind = K.TOPUP if pay.direction == Payment.Direction.IN else K.WITHDRAWAL
        if pay.transaction.kind != kind or _legs(pay.transaction) != expected:
            add(
                f"{label}: {pay.amount_fen} for user {pay.user_id} via {pay.provider}, but transaction "
                f"{pay.transaction_id} ({pay.transaction.kind}) moves {_describe(_legs(pay.transaction))}"
            )
        if pay.refund_transaction_id is not None:
            refunds_of_payments.add(pay.refund_transaction_id)
        if pay.status == Payment.Status.REFUSED:
            refund = pay.refund_transaction
            back = sorted(
                (Leg(leg.account_id, -leg.amount_fen) for leg in expected), key=lambda g: g.amount_fen
            )
            if refund is None or refund.kind != K.WITHDRAWAL_REFUND or _legs(refund) != back:
                moved = _describe(_legs(refund)) if refund else "nothing"
                add(f"{label}: declined, but its refund {pay.refund_transaction_id} moves {moved}")
        elif pay.refund_transaction_id is not None:
            add(f"{label}: refunded by transaction {pay.refund_transaction_id} but not declined")
        if (pay.status == Payment.Status.PENDING) != (pay.settled_at is None):
            add(f"{label}: settled_at {pay.settled_at}")
    stray = LedgerTransaction.objects.filter(
        kind__in=[K.TOPUP, K.WITHDRAWAL], payment__isnull=True
    ).values_list("id", flat=True)
    for txn_id in stray:
        add(f"transaction {txn_id}: a payment's transaction without its payment")
    refunds = LedgerTransaction.objects.filter(kind=K.WITHDRAWAL_REFUND).values_list("id", flat=True)
    for txn_id in sorted(set(refunds) - refunds_of_payments):
        add(f"transaction {txn_id}: a withdrawal refund of no declined withdrawal")
    return problems


def _describe(legs: Iterable[Leg]) -> str:
    return "[" + ", ".join(f"account {leg.account_id}: {leg.amount_fen:+d}" for leg in legs) + "]"


def _share_totals() -> dict[int, ShareTotals]:
    rows: Iterable[dict[str, Any]] = Share.objects.values("envelope_id").annotate(
        n=Count("id"),
        s=Sum("amount_fen"),
        low=Min("amount_fen"),
        # Annotation names apart from the fields' (a `refunded` here would shadow Share.refunded).
        claimed_sum=Sum("amount_fen", filter=Q(claimed_by__isnull=False), default=0),
        claimed_n=Count("id", filter=Q(claimed_by__isnull=False)),
        refunded_sum=Sum("amount_fen", filter=Q(refunded=True), default=0),
        waiting_sum=Sum("amount_fen", filter=Q(claimed_by__isnull=True, refunded=False), default=0),
    )
    return {
        row["envelope_id"]: ShareTotals(
            count=row["n"],
            total_fen=row["s"],
            lowest_fen=row["low"],
            claimed_fen=row["claimed_sum"],
            claimed_count=row["claimed_n"],
            refunded_fen=row["refunded_sum"],
            waiting_fen=row["waiting_sum"],
        )
        for row in rows
    }


def _verify_envelopes(accounts: dict[int, Account]) -> list[str]:
    problems: list[str] = []
    add = problems.append
    shares = _share_totals()
    # What the ledger moved out of / into each escrow, by transaction kind.
    moved: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        Entry.objects.filter(account__kind=Account.Kind.ESCROW)
        .values("transaction__envelope_id", "transaction__kind")
        .annotate(s=Sum("amount"))
    ):
        moved[row["transaction__envelope_id"]][row["transaction__kind"]] = row["s"]
    for env in Envelope.objects.order_by("id"):
        label = f"envelope {env.pk}"
        sh = shares.get(env.pk)
        if sh is None:
            add(f"{label}: has no shares")
            continue
        if sh.count != env.share_count:
            add(f"{label}: {sh.count} shares, expected {env.share_count}")
        if sh.total_fen != env.total_fen:
            add(f"{label}: shares sum to {sh.total_fen}, total is {env.total_fen}")
        if sh.lowest_fen < 1:
            add(f"{label}: a share below 1 fen ({sh.lowest_fen})")
        account = accounts.get(env.escrow_id)
        if account is None:
            add(f"{label}: escrow account {env.escrow_id} missing")
            continue
        escrow = account.balance
        if sh.claimed_fen + sh.refunded_fen + escrow != env.total_fen:
            add(
                f"{label}: claimed {sh.claimed_fen} + refunded {sh.refunded_fen} + escrowed {escrow} "
                f"!= total {env.total_fen}"
            )
        if escrow != sh.waiting_fen:
            add(f"{label}: escrow {escrow} != unclaimed shares {sh.waiting_fen}")
        m = moved.get(env.pk, {})
        if m.get(K.ENVELOPE_SEND, 0) != env.total_fen:
            add(f"{label}: escrow received {m.get(K.ENVELOPE_SEND, 0)} at sending, total is {env.total_fen}")
        if -m.get(K.ENVELOPE_GRAB, 0) != sh.claimed_fen:
            add(f"{label}: grabs paid {-m.get(K.ENVELOPE_GRAB, 0)}, claimed shares are {sh.claimed_fen}")
        if -m.get(K.ENVELOPE_REFUND, 0) != sh.refunded_fen:
            add(f"{label}: refund paid {-m.get(K.ENVELOPE_REFUND, 0)}, refunded shares are {sh.refunded_fen}")
        if env.status != Envelope.Status.OPEN and escrow != 0:
            add(f"{label}: {env.status} but {escrow} fen still in escrow")
        if env.status == Envelope.Status.EXPIRED and env.refunded_fen != sh.refunded_fen:
            add(f"{label}: refunded_fen {env.refunded_fen} != refunded shares {sh.refunded_fen}")
        if env.status == Envelope.Status.FINISHED and (
            sh.claimed_count != env.share_count or not env.luckiest_id
        ):
            add(
                f"{label}: finished with {sh.claimed_count}/{env.share_count} grabs, luckiest {env.luckiest_id}"
            )
    problems.extend(_verify_grabs())
    return problems


def _verify_grabs() -> list[str]:
    """At most one share per member per envelope; each grab paid once, to the claimer's wallet."""
    problems: list[str] = []
    add = problems.append
    for row in (
        Share.objects.filter(claimed_by__isnull=False)
        .values("envelope_id", "claimed_by_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("envelope_id", "claimed_by_id")
    ):
        add(f"envelope {row['envelope_id']}: member {row['claimed_by_id']} holds {row['n']} shares")
    paid: dict[str, GrabPayment] = {
        row["transaction__reference"]: GrabPayment(row["amount"], row["account__user_id"])
        for row in Entry.objects.filter(transaction__kind=K.ENVELOPE_GRAB, amount__gt=0).values(
            "transaction__reference", "amount", "account__user_id"
        )
    }
    for share in (
        Share.objects.filter(claimed_by__isnull=False)
        .order_by("id")
        .values("id", "envelope_id", "amount_fen", user_id=F("claimed_by__user_id"))
    ):
        got = paid.pop(f"share:{share['id']}", None)
        if got is None or got.amount_fen != share["amount_fen"] or got.user_id != share["user_id"]:
            add(f"share {share['id']} (envelope {share['envelope_id']}): claimed but not paid to its claimer")
    for reference in sorted(paid):
        add(f"{reference}: paid by a grab but not claimed")
    return problems
