"""`kindred ledger verify`: every invariant of the ledger and of the envelopes, checked from the rows.

Each check is one aggregate query (constant in the number of rows of Python work per problem found), so
it runs after every benchmark round. Returns the problems found, each naming the offending rows.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, F, Min, Q, Sum

from .models import Account, Entry, Envelope, LedgerTransaction, Payment, Share


def _sums(qs: object, key: str) -> dict[int, int]:
    return {row[key]: row["s"] or 0 for row in qs}  # type: ignore[attr-defined]


def ledger_verify() -> list[str]:
    problems: list[str] = []
    add = problems.append

    # 1. Each transaction sums to zero and has at least two entries.
    per_txn = Entry.objects.values("transaction_id").annotate(s=Sum("amount"), n=Count("id"))
    bad = {row["transaction_id"]: row for row in per_txn.exclude(s=0)}
    bad.update({row["transaction_id"]: row for row in per_txn.filter(n__lt=2)})
    for txn_id, row in sorted(bad.items()):
        add(f"transaction {txn_id}: entries sum to {row['s']} over {row['n']} entries")
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
    entry_sums = _sums(Entry.objects.values("account_id").annotate(s=Sum("amount")), "account_id")
    accounts = {a.pk: a for a in Account.objects.only("id", "kind", "balance")}
    for account_id, account in sorted(accounts.items()):
        if account.balance != entry_sums.get(account_id, 0):
            add(
                f"account {account_id} ({account.kind}): cached balance {account.balance} "
                f"!= sum of entries {entry_sums.get(account_id, 0)}"
            )
        if account.balance < 0 and account.kind != Account.Kind.EXTERNAL:
            add(f"account {account_id} ({account.kind}): negative balance {account.balance}")

    # Payments: the booked amount is the payment's.
    for pay in Payment.objects.select_related("transaction").prefetch_related("transaction__entries"):
        moved = sorted(abs(e.amount) for e in pay.transaction.entries.all())
        if moved != [pay.amount_fen, pay.amount_fen]:
            add(
                f"payment {pay.pk}: amount {pay.amount_fen} but transaction {pay.transaction_id} moves {moved}"
            )

    problems.extend(_verify_envelopes(accounts))
    return problems


def _verify_envelopes(accounts: dict[int, Account]) -> list[str]:
    problems: list[str] = []
    add = problems.append
    shares = {
        row["envelope_id"]: row
        for row in Share.objects.values("envelope_id").annotate(
            n=Count("id"),
            s=Sum("amount_fen"),
            low=Min("amount_fen"),
            claimed=Sum("amount_fen", filter=Q(claimed_by__isnull=False), default=0),
            claimed_n=Count("id", filter=Q(claimed_by__isnull=False)),
            refunded_fen=Sum("amount_fen", filter=Q(refunded=True), default=0),
            waiting=Sum("amount_fen", filter=Q(claimed_by__isnull=True, refunded=False), default=0),
        )
    }
    # What the ledger moved out of / into each escrow, by transaction kind.
    moved: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        Entry.objects.filter(account__kind=Account.Kind.ESCROW)
        .values("transaction__envelope_id", "transaction__kind")
        .annotate(s=Sum("amount"))
    ):
        moved[row["transaction__envelope_id"]][row["transaction__kind"]] = row["s"]
    K = LedgerTransaction.Kind
    for env in Envelope.objects.order_by("id"):
        label = f"envelope {env.pk}"
        sh = shares.get(env.pk)
        if sh is None:
            add(f"{label}: has no shares")
            continue
        if sh["n"] != env.share_count:
            add(f"{label}: {sh['n']} shares, expected {env.share_count}")
        if sh["s"] != env.total_fen:
            add(f"{label}: shares sum to {sh['s']}, total is {env.total_fen}")
        if sh["low"] < 1:
            add(f"{label}: a share below 1 fen ({sh['low']})")
        escrow = accounts[env.escrow_id].balance if env.escrow_id in accounts else None
        if escrow is None:
            add(f"{label}: escrow account {env.escrow_id} missing")
            continue
        if sh["claimed"] + sh["refunded_fen"] + escrow != env.total_fen:
            add(
                f"{label}: claimed {sh['claimed']} + refunded {sh['refunded']} + escrowed {escrow} "
                f"!= total {env.total_fen}"
            )
        if escrow != sh["waiting"]:
            add(f"{label}: escrow {escrow} != unclaimed shares {sh['waiting']}")
        m = moved.get(env.pk, {})
        if m.get(K.ENVELOPE_SEND, 0) != env.total_fen:
            add(f"{label}: escrow received {m.get(K.ENVELOPE_SEND, 0)} at sending, total is {env.total_fen}")
        if -m.get(K.ENVELOPE_GRAB, 0) != sh["claimed"]:
            add(f"{label}: grabs paid {-m.get(K.ENVELOPE_GRAB, 0)}, claimed shares are {sh['claimed']}")
        if -m.get(K.ENVELOPE_REFUND, 0) != sh["refunded_fen"]:
            add(f"{label}: refund paid {-m.get(K.ENVELOPE_REFUND, 0)}, refunded shares are {sh['refunded']}")
        if env.status != Envelope.Status.OPEN and escrow != 0:
            add(f"{label}: {env.status} but {escrow} fen still in escrow")
        if env.status == Envelope.Status.EXPIRED and env.refunded_fen != sh["refunded_fen"]:
            add(f"{label}: refunded_fen {env.refunded_fen} != refunded shares {sh['refunded']}")
        if env.status == Envelope.Status.FINISHED and (
            sh["claimed_n"] != env.share_count or not env.luckiest_id
        ):
            add(
                f"{label}: finished with {sh['claimed_n']}/{env.share_count} grabs, luckiest {env.luckiest_id}"
            )
    # At most one share per member per envelope; each grab paid once, to the claimer's wallet.
    for row in (
        Share.objects.filter(claimed_by__isnull=False)
        .values("envelope_id", "claimed_by_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    ):
        add(f"envelope {row['envelope_id']}: member {row['claimed_by_id']} holds {row['n']} shares")
    paid = {
        row["transaction__reference"]: row
        for row in Entry.objects.filter(transaction__kind=K.ENVELOPE_GRAB, amount__gt=0).values(
            "transaction__reference", "amount", "account__user_id"
        )
    }
    for share in Share.objects.filter(claimed_by__isnull=False).values(
        "id", "envelope_id", "amount_fen", user_id=F("claimed_by__user_id")
    ):
        got = paid.pop(f"share:{share['id']}", None)
        if got is None or got["amount"] != share["amount_fen"] or got["account__user_id"] != share["user_id"]:
            add(f"share {share['id']} (envelope {share['envelope_id']}): claimed but not paid to its claimer")
    for reference in sorted(paid):
        add(f"{reference}: paid by a grab but not claimed")
    return problems
