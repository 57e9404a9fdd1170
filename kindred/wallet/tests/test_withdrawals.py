"""Withdrawals wait for the provider: booked `pending`, answered after commit, refunded when declined.

The provider is asked outside the booking's transaction (on commit). In these tests the booking's
on-commit work runs only where `django_capture_on_commit_callbacks(execute=True)` says so; elsewhere it
never runs, which is exactly a process that stopped between the commit and the provider's answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings

from kindred.circles.models import Membership
from kindred.core.models import AuditEvent
from kindred.core.tasks import periodic_jobs
from kindred.wallet import providers
from kindred.wallet.models import WITHDRAWAL_SETTLE_AFTER, Envelope, LedgerTransaction, Payment
from kindred.wallet.providers import ProviderUnavailable, Receipt, SimulatedProvider
from kindred.wallet.selectors import wallet_balance
from kindred.wallet.services import (
    IdempotencyMismatch,
    SettleReport,
    withdrawal_create,
    withdrawal_settle,
    withdrawals_settle_pending,
)
from kindred.wallet.verify import ledger_verify

pytestmark = pytest.mark.django_db
DECLINING = "simulated-declining"


@pytest.fixture
def rich(make_user: Callable[..., User], fund: Callable[..., None]) -> User:
    user = make_user()
    fund(user, 10_000)
    return user


def _sweep_after(payment: Payment) -> datetime:
    return payment.created_at + WITHDRAWAL_SETTLE_AFTER


def test_a_withdrawal_the_provider_pays_is_completed_after_commit(
    rich: User, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # type: ignore[attr-defined]
        payment = withdrawal_create(user=rich, amount_fen=2_500).payment
        # Booked and debited, not yet asked: the provider is called only after the commit.
        assert payment.status == Payment.Status.PENDING and wallet_balance(user=rich) == 7_500
    assert len(callbacks) == 1
    payment.refresh_from_db()
    assert payment.status == Payment.Status.COMPLETED and payment.settled_at is not None
    assert payment.refund_transaction_id is None and wallet_balance(user=rich) == 7_500
    simulated = providers.get_provider("simulated")
    assert isinstance(simulated, SimulatedProvider) and payment.reference in simulated.payouts
    assert AuditEvent.objects.filter(action="wallet_withdrawal_completed", target_id=payment.pk).count() == 1
    assert ledger_verify() == []


@override_settings(WALLET_PAYMENT_PROVIDER=DECLINING)
def test_a_declined_withdrawal_is_refunded_once(
    rich: User, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        payment = withdrawal_create(user=rich, amount_fen=2_500).payment
        assert wallet_balance(user=rich) == 7_500
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUSED and wallet_balance(user=rich) == 10_000
    refund = payment.refund_transaction
    assert refund is not None and refund.kind == LedgerTransaction.Kind.WITHDRAWAL_REFUND
    assert refund.reference == f"refund:payment:{DECLINING}:{payment.reference}"  # its own cause
    assert AuditEvent.objects.filter(action="wallet_withdrawal_refused", target_id=payment.pk).count() == 1
    assert ledger_verify() == []
    # Asked again (a retry, the sweep): nothing more moves.
    assert withdrawal_settle(payment_id=payment.pk).status == Payment.Status.REFUSED
    assert withdrawals_settle_pending(now=_sweep_after(payment)) == SettleReport()
    assert wallet_balance(user=rich) == 10_000
    assert LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.WITHDRAWAL_REFUND).count() == 1
    assert ledger_verify() == []


def test_a_crash_before_the_answer_leaves_it_pending_for_the_sweep_which_settles_it_once(rich: User) -> None:
    payment = withdrawal_create(user=rich, amount_fen=1_000).payment  # its on-commit call never runs
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING and wallet_balance(user=rich) == 9_000
    assert ledger_verify() == []  # a pending withdrawal is a consistent state
    # Too early: the on-commit call may still be on its way.
    assert withdrawals_settle_pending(now=payment.created_at) == SettleReport()
    # The provider had paid, but the process stopped before the answer was recorded: asking again with the
    # same reference pays nothing more.
    simulated = providers.get_provider("simulated")
    assert isinstance(simulated, SimulatedProvider)
    first = simulated.payout(user_id=rich.pk, amount_fen=1_000, reference=payment.reference)
    assert withdrawals_settle_pending(now=_sweep_after(payment)) == SettleReport(completed=1)
    assert withdrawals_settle_pending(now=_sweep_after(payment)) == SettleReport()
    assert simulated.payouts[payment.reference] is first
    payment.refresh_from_db()
    assert payment.status == Payment.Status.COMPLETED and wallet_balance(user=rich) == 9_000
    assert AuditEvent.objects.filter(action="wallet_withdrawal_completed", target_id=payment.pk).count() == 1
    assert ledger_verify() == []


@override_settings(WALLET_PAYMENT_PROVIDER=DECLINING)
def test_the_sweep_refunds_a_stuck_declined_withdrawal_once(rich: User) -> None:
    payment = withdrawal_create(user=rich, amount_fen=1_000).payment
    assert withdrawals_settle_pending(now=_sweep_after(payment)) == SettleReport(refused=1)
    assert withdrawals_settle_pending(now=_sweep_after(payment)) == SettleReport()
    assert wallet_balance(user=rich) == 10_000
    assert ledger_verify() == []


@dataclass
class SilentOnce:
    """A provider that gives no answer the first time it is asked, then pays."""

    name: str = "simulated-silent-once"
    simulated: bool = True
    asked: list[str] = field(default_factory=list)

    def new_reference(self) -> str:
        return f"silent-{len(self.asked)}"

    def charge(self, *, user_id: int, amount_fen: int, reference: str) -> Receipt:
        return Receipt(reference=reference, amount_fen=amount_fen)

    def payout(self, *, user_id: int, amount_fen: int, reference: str) -> Receipt:
        self.asked.append(reference)
        if len(self.asked) == 1:
            raise ProviderUnavailable(reference)
        return Receipt(reference=reference, amount_fen=amount_fen)


@pytest.fixture
def silent(monkeypatch: pytest.MonkeyPatch) -> Iterator[SilentOnce]:
    provider = SilentOnce()
    monkeypatch.setitem(providers.PROVIDERS, provider.name, provider)
    with override_settings(WALLET_PAYMENT_PROVIDER=provider.name):
        yield provider


def test_no_answer_leaves_it_pending_and_the_next_sweep_settles_it(
    rich: User, silent: SilentOnce, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        payment = withdrawal_create(user=rich, amount_fen=700).payment
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING and silent.asked == [payment.reference]
    assert ledger_verify() == []
    assert withdrawals_settle_pending(now=_sweep_after(payment)) == SettleReport(completed=1)
    assert silent.asked == [payment.reference, payment.reference]
    assert wallet_balance(user=rich) == 9_300 and ledger_verify() == []


def test_the_same_idempotency_key_books_one_withdrawal(rich: User) -> None:
    first = withdrawal_create(user=rich, amount_fen=1_000, idempotency_key="k-1")
    again = withdrawal_create(user=rich, amount_fen=1_000, idempotency_key="k-1")
    assert first.created and not again.created and again.payment.pk == first.payment.pk
    assert wallet_balance(user=rich) == 9_000
    with pytest.raises(IdempotencyMismatch):
        withdrawal_create(user=rich, amount_fen=999, idempotency_key="k-1")
    assert Payment.objects.filter(direction="out").count() == 1 and wallet_balance(user=rich) == 9_000
    assert ledger_verify() == []


def test_the_wallets_periodic_jobs_refund_envelopes_and_settle_withdrawals(
    rich: User, crowd: Callable[[int], list[Membership]], send: Callable[..., Envelope]
) -> None:
    """What the background engine runs (and `kindred periodic` runs once): the wallet's registered jobs."""
    jobs = {job.name: job for job in periodic_jobs()}
    sender, _member = crowd(2)
    env = send(sender, 700, 2)
    Envelope.objects.filter(pk=env.pk).update(
        created_at=env.created_at - timedelta(days=2), expires_at=env.expires_at - timedelta(days=2)
    )
    payment = withdrawal_create(user=rich, amount_fen=500).payment
    Payment.objects.filter(pk=payment.pk).update(created_at=payment.created_at - WITHDRAWAL_SETTLE_AFTER)
    assert jobs["envelopes-expire"].run() == (1, 700)
    assert jobs["withdrawals-settle"].run() == SettleReport(completed=1)
    assert jobs["withdrawals-settle"].run() == SettleReport()
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.COMPLETED
    assert ledger_verify() == []


# --- Over HTTP ---------------------------------------------------------------------------------------


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _withdraw(client: Client, amount: int, **headers: str) -> object:
    return client.post(
        "/api/v1/wallet/withdrawals",
        data=json.dumps({"amount_fen": amount}),
        content_type="application/json",
        headers=headers,
    )


@override_settings(WALLET_PAYMENT_PROVIDER=DECLINING)
def test_api_a_declined_withdrawal_answers_202_pending_then_shows_the_refund(
    rich: User, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    c = _client(rich)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        response = _withdraw(c, 2_000)
        assert response.status_code == 202, response.content  # type: ignore[attr-defined]
        body = response.json()  # type: ignore[attr-defined]
        assert body["status"] == "pending" and body["balance_fen"] == 8_000 and body["settled_at"] is None
    wallet = c.get("/api/v1/wallet").json()
    assert wallet["balance_fen"] == 10_000
    assert [(e["kind"], e["amount_fen"]) for e in wallet["entries"][:2]] == [
        ("withdrawal_refund", 2_000),
        ("withdrawal", -2_000),
    ]
    assert ledger_verify() == []


def test_api_the_same_idempotency_key_books_once(rich: User) -> None:
    c = _client(rich)
    first = _withdraw(c, 1_000, **{"Idempotency-Key": "cash-1"})
    again = _withdraw(c, 1_000, **{"Idempotency-Key": "cash-1"})
    other = _withdraw(c, 1_500, **{"Idempotency-Key": "cash-1"})
    assert (first.status_code, again.status_code, other.status_code) == (202, 200, 422)  # type: ignore[attr-defined]
    assert first.json()["id"] == again.json()["id"]  # type: ignore[attr-defined]
    assert wallet_balance(user=rich) == 9_000


def test_the_wallet_page_shows_a_pending_withdrawal_and_a_double_submit_books_once(rich: User) -> None:
    c = _client(rich)
    form = {"amount": "12.00", "idempotency_key": "form-cash-1"}
    assert c.post("/wallet/withdraw/", form).status_code == 302
    assert c.post("/wallet/withdraw/", form).status_code == 302
    assert wallet_balance(user=rich) == 8_800 and Payment.objects.filter(direction="out").count() == 1
    page = c.get("/wallet/").content.decode()
    assert "处理中的提现" in page and "12.00" in page  # its on-commit call never ran: still pending
    payment = Payment.objects.get(direction="out")
    withdrawals_settle_pending(now=_sweep_after(payment))
    assert "处理中的提现" not in c.get("/wallet/").content.decode()
