"""Payment providers: where top-ups come from and withdrawals go. No Django imports.

Kindred ships only simulated providers (模拟支付), which move no real money: `simulated` accepts every
top-up and withdrawal at once (the demo and the tests use it, and the UI names it as simulated), and
`simulated-declining` accepts top-ups but declines every withdrawal (to see a refused cash-out refunded).
A real provider implements the same interface and is chosen with the WALLET_PAYMENT_PROVIDER setting.

A payout is asked for after the withdrawal's booking commits, and asked again (with the same reference)
when no answer was recorded, so `payout` must be idempotent on the reference, as real providers' are: the
same reference again pays nothing more and answers as the first time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Protocol


class ProviderRefused(Exception):
    """The provider declined the payment (a final answer: nothing was paid)."""


class ProviderUnavailable(Exception):
    """The provider gave no answer (down, timed out): the outcome is unknown, ask again later with the
    same reference."""


@dataclass(frozen=True)
class Receipt:
    reference: str  # the provider's own reference: top-ups and payouts are idempotent on it
    amount_fen: int


class PaymentProvider(Protocol):
    name: str
    simulated: bool

    def new_reference(self) -> str:
        """A fresh reference for a payment the caller did not name."""

    def charge(self, *, user_id: int, amount_fen: int, reference: str) -> Receipt:
        """Take `amount_fen` from the user's outside account (a top-up). Raises ProviderRefused."""

    def payout(self, *, user_id: int, amount_fen: int, reference: str) -> Receipt:
        """Pay `amount_fen` out to the user's outside account (a withdrawal), once per reference. Raises
        ProviderRefused (declined) or ProviderUnavailable (no answer)."""


@dataclass
class SimulatedProvider:
    """Accepts everything, moves nothing. For the demo and tests only. Keeps the payouts it made by
    reference (in this process), as a real provider keeps them: asking again pays nothing more."""

    name: str = "simulated"
    simulated: bool = True
    payouts: dict[str, Receipt] = field(default_factory=dict)

    def new_reference(self) -> str:
        return f"sim-{uuid.uuid4().hex}"

    def charge(self, *, user_id: int, amount_fen: int, reference: str) -> Receipt:
        return Receipt(reference=reference, amount_fen=amount_fen)

    def payout(self, *, user_id: int, amount_fen: int, reference: str) -> Receipt:
        return self.payouts.setdefault(reference, Receipt(reference=reference, amount_fen=amount_fen))


@dataclass
class DecliningProvider(SimulatedProvider):
    """Simulated: accepts top-ups, declines every withdrawal (and keeps the references it declined)."""

    name: str = "simulated-declining"
    declined: set[str] = field(default_factory=set)

    def payout(self, *, user_id: int, amount_fen: int, reference: str) -> Receipt:
        self.declined.add(reference)
        raise ProviderRefused(reference)


PROVIDERS: dict[str, PaymentProvider] = {
    provider.name: provider for provider in (SimulatedProvider(), DecliningProvider())
}


def get_provider(name: str) -> PaymentProvider:
    return PROVIDERS[name]
