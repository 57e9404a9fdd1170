"""Payment providers: where top-ups come from and withdrawals go. No Django imports.

Kindred ships only the simulated provider (模拟支付): it accepts every top-up and withdrawal at once and
moves no real money. It is what the demo and the tests use, and the UI names it as simulated. A real
provider implements the same interface and is chosen with the WALLET_PAYMENT_PROVIDER setting.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol


class ProviderRefused(Exception):
    """The provider declined the payment."""


@dataclass(frozen=True)
class Receipt:
    reference: str  # the provider's own reference: top-ups are idempotent on it
    amount_fen: int


class PaymentProvider(Protocol):
    name: str
    simulated: bool

    def new_reference(self) -> str:
        """A fresh reference for a payment the caller did not name."""

    def charge(self, *, user_id: int, amount_fen: int, reference: str) -> Receipt:
        """Take `amount_fen` from the user's outside account (a top-up). Raises ProviderRefused."""

    def payout(self, *, user_id: int, amount_fen: int, reference: str) -> Receipt:
        """Pay `amount_fen` out to the user's outside account (a withdrawal). Raises ProviderRefused."""


class SimulatedProvider:
    """Accepts everything, moves nothing. For the demo and tests only."""

    name = "simulated"
    simulated = True

    def new_reference(self) -> str:
        return f"sim-{uuid.uuid4().hex}"

    def charge(self, *, user_id: int, amount_fen: int, reference: str) -> Receipt:
        return Receipt(reference=reference, amount_fen=amount_fen)

    def payout(self, *, user_id: int, amount_fen: int, reference: str) -> Receipt:
        return Receipt(reference=reference, amount_fen=amount_fen)


PROVIDERS: dict[str, PaymentProvider] = {SimulatedProvider.name: SimulatedProvider()}


def get_provider(name: str) -> PaymentProvider:
    return PROVIDERS[name]
