"""The wallet's background work: refund expired red envelopes every EXPIRY_SWEEP_SECONDS, and settle
withdrawals the provider has not answered every WITHDRAWAL_SWEEP_SECONDS."""

from __future__ import annotations

from kindred.core.tasks import periodic

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
