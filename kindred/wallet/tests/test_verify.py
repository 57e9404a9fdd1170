"""`kindred ledger verify` reports every invariant it checks: each tampered state below (made behind the
services' back, as a bug or a hand edit would) makes the command exit 1 naming the offending rows.

The states a database constraint already forbids are made with that constraint off, inside the test's
transaction (dropped on PostgreSQL, ignored on SQLite): verify is the check that does not trust them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from kindred.circles.models import Membership
from kindred.wallet.models import Account, Entry, Envelope, LedgerTransaction, Payment, Share
from kindred.wallet.services import (
    envelope_expire,
    envelope_grab,
    withdrawal_create,
    withdrawal_settle,
)
from kindred.wallet.verify import ledger_verify

pytestmark = pytest.mark.django_db


@dataclass
class World:
    sender: Membership
    a: Membership
    b: Membership
    open: Envelope  # 900 in 3 equal shares, one grabbed by a
    untouched: Envelope  # 300 in 3, none grabbed
    finished: Envelope  # 200 in 2, grabbed by a and b
    expired: Envelope  # 600 in 3, a grabbed one, 400 refunded
    topup: Payment
    pending: Payment  # a withdrawal the provider has not answered (its on-commit call never ran)
    completed: Payment
    refused: Payment
    undo: list[tuple[str, list[Any]]] = field(default_factory=list)  # SQL to run before the test ends


@pytest.fixture
def world(
    crowd: Callable[[int], list[Membership]], send: Callable[..., Envelope], fund: Callable[..., None]
) -> World:
    sender, a, b = crowd(3)
    opened = send(sender, 900, 3, mode="equal")
    envelope_grab(envelope=opened, member=a)
    untouched = send(sender, 300, 3, mode="equal")
    finished = send(sender, 200, 2, mode="equal")
    envelope_grab(envelope=finished, member=a)
    envelope_grab(envelope=finished, member=b)
    expired = send(sender, 600, 3, mode="equal")
    envelope_grab(envelope=expired, member=a)
    envelope_expire(envelope=expired, at=expired.expires_at)
    fund(a.user, 10_000)
    pending = withdrawal_create(user=a.user, amount_fen=100).payment
    completed = withdrawal_settle(payment_id=withdrawal_create(user=a.user, amount_fen=200).payment.pk)
    with override_settings(WALLET_PAYMENT_PROVIDER="simulated-declining"):
        refused = withdrawal_settle(payment_id=withdrawal_create(user=a.user, amount_fen=300).payment.pk)
    w = World(
        sender=sender,
        a=a,
        b=b,
        open=opened,
        untouched=untouched,
        finished=Envelope.objects.get(pk=finished.pk),
        expired=Envelope.objects.get(pk=expired.pk),
        topup=Payment.objects.filter(user=a.user, direction="in").get(),
        pending=pending,
        completed=completed,
        refused=refused,
    )
    assert (w.pending.status, w.completed.status, w.refused.status) == ("pending", "completed", "refused")
    assert w.finished.status == "finished" and w.expired.status == "expired" and w.expired.refunded_fen == 400
    return w


def sql(query: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(query, params or [])


@contextmanager
def check_off(table: str, name: str) -> Iterator[None]:
    """The CHECK constraint `name` off for the statements inside (and, on PostgreSQL, until the test's
    transaction rolls back)."""
    if connection.vendor == "postgresql":
        # Deferred foreign-key checks pending on the table would block the ALTER: run them now.
        sql("SET CONSTRAINTS ALL IMMEDIATE")
        sql(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")
        sql("SET CONSTRAINTS ALL DEFERRED")
        yield
    else:
        sql("PRAGMA ignore_check_constraints = 1")
        try:
            yield
        finally:
            sql("PRAGMA ignore_check_constraints = 0")


def entries_of(txn_id: int) -> list[Entry]:
    return list(Entry.objects.filter(transaction_id=txn_id).order_by("amount"))


def scale_transaction(txn_id: int, factor: int) -> None:
    """Multiply every entry of a transaction (it still sums to zero) and the accounts' cached balances
    alike, so that only the check under test sees a difference."""
    for entry in entries_of(txn_id):
        delta = entry.amount * (factor - 1)
        sql("UPDATE wallet_entry SET amount = amount + %s WHERE id = %s", [delta, entry.pk])
        with check_off("wallet_account", "account_balance_not_negative"):
            sql("UPDATE wallet_account SET balance = balance + %s WHERE id = %s", [delta, entry.account_id])


def grab_txn(share: Share) -> int:
    return LedgerTransaction.objects.get(kind="envelope_grab", reference=f"share:{share.pk}").pk


def claimed(envelope: Envelope) -> Share:
    return Share.objects.filter(envelope=envelope, claimed_by__isnull=False).earliest("position")


def waiting(envelope: Envelope) -> Share:
    return Share.objects.filter(envelope=envelope, claimed_by__isnull=True, refunded=False).earliest(
        "position"
    )


def new_txn(kind: str, reference: str) -> LedgerTransaction:
    return LedgerTransaction.objects.create(kind=kind, reference=reference, created_at=timezone.now())


# Each case: tamper with the world, return what the report must say (each a substring of one line).
def _txn_unbalanced(w: World) -> list[str]:
    txn = w.topup.transaction_id
    sql("UPDATE wallet_entry SET amount = amount + 1 WHERE id = %s", [entries_of(txn)[-1].pk])
    return [f"transaction {txn}: entries sum to 1 over 2 entries", "entries: sum to 1, not 0"]


def _txn_one_entry(w: World) -> list[str]:
    txn = w.topup.transaction_id
    sql("DELETE FROM wallet_entry WHERE id = %s", [entries_of(txn)[0].pk])
    return [f"transaction {txn}: entries sum to 10000 over 1 entries"]


def _txn_no_entries(w: World) -> list[str]:
    txn = new_txn("envelope_refund", "stray").pk
    return [f"transaction {txn}: has no entries"]


def _balances_off(w: World) -> list[str]:
    wallet = Account.objects.get(kind="user", user=w.b.user)
    sql("UPDATE wallet_account SET balance = balance + 1 WHERE id = %s", [wallet.pk])
    return [
        "accounts: balances sum to 1, not 0",
        f"account {wallet.pk} (user): cached balance 101 != sum of entries 100",
    ]


def _negative_balance(w: World) -> list[str]:
    wallet = Account.objects.get(kind="user", user=w.b.user)
    with check_off("wallet_account", "account_balance_not_negative"):
        sql("UPDATE wallet_account SET balance = -5 WHERE id = %s", [wallet.pk])
    return [f"account {wallet.pk} (user): negative balance -5"]


def _payment_amount(w: World) -> list[str]:
    sql("UPDATE wallet_payment SET amount_fen = amount_fen + 1 WHERE id = %s", [w.topup.pk])
    return [
        f"payment {w.topup.pk} (in, completed): 10001 for user {w.a.user.pk} via simulated, but transaction"
    ]


def _payment_wrong_wallet(w: World) -> list[str]:
    sql("UPDATE wallet_payment SET user_id = %s WHERE id = %s", [w.b.user.pk, w.completed.pk])
    return [f"payment {w.completed.pk} (out, completed): 200 for user {w.b.user.pk}"]


def _refund_amount(w: World) -> list[str]:
    assert w.refused.refund_transaction_id
    scale_transaction(w.refused.refund_transaction_id, 2)
    return [
        f"payment {w.refused.pk} (out, refused): declined, but its refund {w.refused.refund_transaction_id} moves"
    ]


def _refund_not_declined(w: World) -> list[str]:
    txn = new_txn("withdrawal_refund", "stray-refund").pk
    with check_off("wallet_payment", "payment_refund_iff_refused"):
        sql("UPDATE wallet_payment SET refund_transaction_id = %s WHERE id = %s", [txn, w.completed.pk])
    return [f"payment {w.completed.pk} (out, completed): refunded by transaction {txn} but not declined"]


def _declined_without_refund(w: World) -> list[str]:
    with check_off("wallet_payment", "payment_refund_iff_refused"):
        sql(
            "UPDATE wallet_payment SET status = 'refused', settled_at = %s WHERE id = %s",
            [timezone.now(), w.completed.pk],
        )
    return [f"payment {w.completed.pk} (out, refused): declined, but its refund None moves nothing"]


def _settled_pending(w: World) -> list[str]:
    sql("UPDATE wallet_payment SET settled_at = %s WHERE id = %s", [timezone.now(), w.pending.pk])
    return [f"payment {w.pending.pk} (out, pending): settled_at"]


def _payment_txn_orphan(w: World) -> list[str]:
    txn = new_txn("withdrawal", "payment:simulated:nobody").pk
    return [f"transaction {txn}: a payment's transaction without its payment"]


def _stray_refund(w: World) -> list[str]:
    txn = new_txn("withdrawal_refund", "refund:payment:simulated:nobody").pk
    return [f"transaction {txn}: a withdrawal refund of no declined withdrawal"]


def _no_shares(w: World) -> list[str]:
    sql("DELETE FROM wallet_share WHERE envelope_id = %s", [w.untouched.pk])
    return [f"envelope {w.untouched.pk}: has no shares"]


def _share_count(w: World) -> list[str]:
    sql("UPDATE wallet_envelope SET share_count = 4 WHERE id = %s", [w.untouched.pk])
    return [f"envelope {w.untouched.pk}: 3 shares, expected 4"]


def _shares_sum(w: World) -> list[str]:
    sql("UPDATE wallet_share SET amount_fen = amount_fen + 1 WHERE id = %s", [waiting(w.untouched).pk])
    return [f"envelope {w.untouched.pk}: shares sum to 301, total is 300"]


def _share_below_one_fen(w: World) -> list[str]:
    with check_off("wallet_share", "share_at_least_one_fen"):
        sql("UPDATE wallet_share SET amount_fen = 0 WHERE id = %s", [waiting(w.untouched).pk])
    return [f"envelope {w.untouched.pk}: a share below 1 fen (0)"]


def _escrow_missing(w: World) -> list[str]:
    # The foreign key is checked at commit (deferred), and by the test's end: undone before it.
    sql("UPDATE wallet_envelope SET escrow_id = %s WHERE id = %s", [10**9, w.untouched.pk])
    w.undo.append(
        ("UPDATE wallet_envelope SET escrow_id = %s WHERE id = %s", [w.untouched.escrow_id, w.untouched.pk])
    )
    return [f"envelope {w.untouched.pk}: escrow account {10**9} missing"]


def _total_off(w: World) -> list[str]:
    # The envelope's total no longer matches what was claimed, refunded and still escrowed (the report
    # that crashed with KeyError: 'refunded').
    sql("UPDATE wallet_envelope SET total_fen = 601 WHERE id = %s", [w.expired.pk])
    return [
        f"envelope {w.expired.pk}: claimed 200 + refunded 400 + escrowed 0 != total 601",
        f"envelope {w.expired.pk}: escrow received 600 at sending, total is 601",
    ]


def _escrow_vs_waiting(w: World) -> list[str]:
    sql("UPDATE wallet_share SET refunded = %s WHERE id = %s", [True, waiting(w.open).pk])
    return [f"envelope {w.open.pk}: escrow 600 != unclaimed shares 300"]


def _grab_paid(w: World) -> list[str]:
    scale_transaction(grab_txn(claimed(w.open)), 2)
    return [f"envelope {w.open.pk}: grabs paid 600, claimed shares are 300"]


def _refund_paid(w: World) -> list[str]:
    txn = LedgerTransaction.objects.get(kind="envelope_refund", envelope=w.expired).pk
    scale_transaction(txn, 2)
    return [f"envelope {w.expired.pk}: refund paid 800, refunded shares are 400"]


def _closed_with_escrow(w: World) -> list[str]:
    sql("UPDATE wallet_envelope SET status = 'expired' WHERE id = %s", [w.open.pk])
    return [f"envelope {w.open.pk}: expired but 600 fen still in escrow"]


def _refunded_fen(w: World) -> list[str]:
    sql("UPDATE wallet_envelope SET refunded_fen = 401 WHERE id = %s", [w.expired.pk])
    return [f"envelope {w.expired.pk}: refunded_fen 401 != refunded shares 400"]


def _finished_without_luckiest(w: World) -> list[str]:
    sql("UPDATE wallet_envelope SET luckiest_id = NULL WHERE id = %s", [w.finished.pk])
    return [f"envelope {w.finished.pk}: finished with 2/2 grabs, luckiest None"]


def _two_shares_one_member(w: World) -> list[str]:
    sql("DROP INDEX share_one_per_member")
    share = waiting(w.open)
    sql(
        "UPDATE wallet_share SET claimed_by_id = %s, claimed_at = %s WHERE id = %s",
        [w.a.pk, timezone.now(), share.pk],
    )
    return [
        f"envelope {w.open.pk}: member {w.a.pk} holds 2 shares",
        f"share {share.pk} (envelope {w.open.pk}): claimed but not paid to its claimer",
    ]


def _claimed_by_another(w: World) -> list[str]:
    share = claimed(w.open)
    sql("UPDATE wallet_share SET claimed_by_id = %s WHERE id = %s", [w.b.pk, share.pk])
    return [f"share {share.pk} (envelope {w.open.pk}): claimed but not paid to its claimer"]


def _paid_not_claimed(w: World) -> list[str]:
    share = claimed(w.open)
    sql("UPDATE wallet_share SET claimed_by_id = NULL, claimed_at = NULL WHERE id = %s", [share.pk])
    return [f"share:{share.pk}: paid by a grab but not claimed"]


CASES = [
    _txn_unbalanced,
    _txn_one_entry,
    _txn_no_entries,
    _balances_off,
    _negative_balance,
    _payment_amount,
    _payment_wrong_wallet,
    _refund_amount,
    _refund_not_declined,
    _declined_without_refund,
    _settled_pending,
    _payment_txn_orphan,
    _stray_refund,
    _no_shares,
    _share_count,
    _shares_sum,
    _share_below_one_fen,
    _escrow_missing,
    _total_off,
    _escrow_vs_waiting,
    _grab_paid,
    _refund_paid,
    _closed_with_escrow,
    _refunded_fen,
    _finished_without_luckiest,
    _two_shares_one_member,
    _claimed_by_another,
    _paid_not_claimed,
]


def test_an_untampered_world_is_clean(world: World) -> None:
    assert ledger_verify() == []
    out = StringIO()
    call_command("ledger", "verify", stdout=out)
    assert out.getvalue().strip() == "ledger verify: ok"


@pytest.mark.parametrize("tamper", CASES, ids=lambda f: f.__name__.strip("_"))
def test_each_tampered_state_is_reported_by_name(world: World, tamper: Callable[[World], list[str]]) -> None:
    expected = tamper(world)
    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("ledger", "verify", stderr=err)
    assert caught.value.returncode == 1
    report = err.getvalue().splitlines()
    for line in expected:
        assert any(line in problem for problem in report), (line, report)
    for query, params in world.undo:
        sql(query, params)
