"""Fixtures of the wallet tests: wallets topped up through the simulated provider, envelopes sent."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User

from kindred.circles.models import Membership
from kindred.wallet.models import Envelope
from kindred.wallet.services import envelope_send, topup_create
from kindred.wallet.verify import ledger_verify

_refs = itertools.count(1)


@pytest.fixture
def fund() -> Callable[..., None]:
    def top_up(user: User, fen: int = 100_000) -> None:
        topup_create(user=user, amount_fen=fen, reference=f"test-{next(_refs)}")

    return top_up


@pytest.fixture
def crowd(make_member: Callable[..., Membership]) -> Callable[[int], list[Membership]]:
    def make(n: int) -> list[Membership]:
        return [make_member() for _ in range(n)]

    return make


@pytest.fixture
def send(fund: Callable[..., None]) -> Callable[..., Envelope]:
    """Send an envelope, topping the sender up first by exactly its total."""

    def make(
        sender: Membership, total_fen: int = 1000, shares: int = 3, mode: str = "lucky", **kw: Any
    ) -> Envelope:
        fund(sender.user, total_fen)
        return envelope_send(sender=sender, total_fen=total_fen, shares=shares, mode=mode, **kw)

    return make


@pytest.fixture
def verified() -> Callable[[], None]:
    def check() -> None:
        assert ledger_verify() == []

    return check
