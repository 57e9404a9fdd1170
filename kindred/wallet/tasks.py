"""The wallet's background work: settle a withdrawal after its commit, refund expired red envelopes every
EXPIRY_SWEEP_SECONDS, and settle withdrawals the provider has not answered every WITHDRAWAL_SWEEP_SECONDS."""

from __future__ import annotations

from kindred.core.tasks import db_task, periodic

from . import services
from .models import EXPIRY_SWEEP_SECONDS, WITHDRAWAL_SWEEP_SECONDS


@periodic(every=EXPIRY_SWEEP_SECONDS, name="envelopes-expire")
def envelopes_expire() -> tuple[int, int]:
    """Refund every open envelope past its expiry: (envelopes, fen refunded)."""
    return services.envelopes_expire_due()


@periodic(every=WITHDRAWAL_SWEEP_SECONDS, name="withdrawals-settle")
def withdrawals_settle() -> services.SettleReport:
    """Ask the provider again about every withdrawal still pending: completed, refused (refunded), pending."""
    return services.withdrawals_settle_pending()


@db_task()
def withdrawal_settle_one(payment_id: int) -> str:
    """Queued after a withdrawal commits: ask the provider to pay it out (a refusal refunds it). A failure
    leaves it pending for the sweep. The payment's status after."""
    return str(services.withdrawal_settle(payment_id=payment_id).status)
