"""The wallet's background work: refund expired red envelopes every EXPIRY_SWEEP_SECONDS."""

from __future__ import annotations

from kindred.core.tasks import periodic

from . import services
from .models import EXPIRY_SWEEP_SECONDS


@periodic(every=EXPIRY_SWEEP_SECONDS, name="envelopes-expire")
def envelopes_expire() -> tuple[int, int]:
    """Refund every open envelope past its expiry: (envelopes, fen refunded)."""
    return services.envelopes_expire_due()
