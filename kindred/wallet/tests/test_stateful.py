"""A Hypothesis state machine drives the wallet and envelopes against an in-memory model of the money.

Top-ups, withdrawals, sends (lucky and equal), grabs, the clock moving and expiry sweeps, in any order:
every balance and every refusal must be what the model predicts, no fen may appear or vanish, and
`ledger verify` must stay clean. Bounded (a few examples of a few steps) to keep the suite fast.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from kindred.circles.models import Membership
from kindred.core.services import Conflict, PermissionDenied, ServiceError
from kindred.wallet.models import ENVELOPE_TTL, Envelope
from kindred.wallet.selectors import wallet_balance
from kindred.wallet.services import (
    Gone,
    InsufficientFunds,
    envelope_grab,
    envelope_send,
    envelopes_expire_due,
    topup_create,
    withdrawal_create,
)
from kindred.wallet.verify import ledger_verify

PEOPLE = 4


@dataclass
class ModelEnvelope:
    envelope: Envelope
    sender: int
    total: int
    shares: int
    expires_at: datetime
    remaining_fen: int
    grabbed_by: set[int] = field(default_factory=set)
    refunded: bool = False

    @property
    def remaining_shares(self) -> int:
        return 0 if self.refunded else self.shares - len(self.grabbed_by)


@pytest.mark.django_db
def test_wallet_state_machine(make_member: Callable[..., Membership]) -> None:
    class Wallets(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            # Each example in a savepoint rolled back at its end: examples never see each other's rows.
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.people = [make_member() for _ in range(PEOPLE)]
            self.balance = [0] * PEOPLE
            self.envelopes: list[ModelEnvelope] = []
            self.now = timezone.now()
            self.refs = 0

        @rule(who=st.integers(0, PEOPLE - 1), amount=st.integers(1, 50_000))
        def top_up(self, who: int, amount: int) -> None:
            self.refs += 1
            ref = f"sm-{self.people[who].pk}-{self.refs}"
            topup_create(user=self.people[who].user, amount_fen=amount, reference=ref, at=self.now)
            again = topup_create(user=self.people[who].user, amount_fen=amount, reference=ref, at=self.now)
            assert not again.created
            self.balance[who] += amount

        @rule(who=st.integers(0, PEOPLE - 1), amount=st.integers(1, 60_000))
        def withdraw(self, who: int, amount: int) -> None:
            if amount > self.balance[who]:
                with pytest.raises(InsufficientFunds):
                    withdrawal_create(user=self.people[who].user, amount_fen=amount, at=self.now)
            else:
                withdrawal_create(user=self.people[who].user, amount_fen=amount, at=self.now)
                self.balance[who] -= amount

        @rule(
            who=st.integers(0, PEOPLE - 1),
            total=st.integers(1, 30_000),
            shares=st.integers(1, PEOPLE),
            mode=st.sampled_from(["lucky", "equal"]),
        )
        def send(self, who: int, total: int, shares: int, mode: str) -> None:
            sender = self.people[who]
            if total < shares or total > self.balance[who]:
                with pytest.raises(ServiceError):
                    envelope_send(sender=sender, total_fen=total, shares=shares, mode=mode, at=self.now)
                return
            env = envelope_send(sender=sender, total_fen=total, shares=shares, mode=mode, at=self.now)
            self.balance[who] -= total
            self.envelopes.append(
                ModelEnvelope(env, who, total, shares, self.now + ENVELOPE_TTL, remaining_fen=total)
            )

        @precondition(lambda self: bool(self.envelopes))
        @rule(data=st.data(), who=st.integers(0, PEOPLE - 1))
        def grab(self, data: st.DataObject, who: int) -> None:
            m = data.draw(st.sampled_from(self.envelopes))
            member = self.people[who]
            env = Envelope.objects.get(pk=m.envelope.pk)
            if who == m.sender:
                expected: type[ServiceError] | None = PermissionDenied
            elif who in m.grabbed_by:
                expected = Conflict
            elif m.refunded or self.now >= m.expires_at or m.remaining_shares == 0:
                expected = Gone
            else:
                expected = None
            if expected is not None:
                with pytest.raises(expected):
                    envelope_grab(envelope=env, member=member, at=self.now)
                if expected is Gone and not m.refunded and self.now >= m.expires_at:
                    self._refunded(m)  # the late grab refunded it on the spot
                return
            share = envelope_grab(envelope=env, member=member, at=self.now)
            m.grabbed_by.add(who)
            m.remaining_fen -= share.amount_fen
            assert share.amount_fen >= 1 and m.remaining_fen >= m.remaining_shares
            if m.remaining_shares == 0:
                assert m.remaining_fen == 0
            self.balance[who] += share.amount_fen

        @rule(hours=st.integers(1, 30))
        def time_passes(self, hours: int) -> None:
            self.now += timedelta(hours=hours)

        @rule()
        def sweep(self) -> None:
            due = [
                m
                for m in self.envelopes
                if not m.refunded and m.remaining_shares and self.now >= m.expires_at
            ]
            _count, fen = envelopes_expire_due(now=self.now)
            assert fen == sum(m.remaining_fen for m in due)
            for m in due:
                self._refunded(m)
            for m in self.envelopes:  # fully grabbed ones need no refund
                if self.now >= m.expires_at:
                    m.refunded = True

        def _refunded(self, m: ModelEnvelope) -> None:
            self.balance[m.sender] += m.remaining_fen
            m.remaining_fen = 0
            m.refunded = True

        @invariant()
        def balances_match(self) -> None:
            for person, balance in zip(self.people, self.balance, strict=True):
                assert wallet_balance(user=person.user) == balance

        def teardown(self) -> None:
            try:
                assert ledger_verify() == []
            finally:
                transaction.set_rollback(True)
                self.atomic.__exit__(None, None, None)

    run_state_machine_as_test(
        Wallets,
        settings=settings(
            max_examples=12,
            stateful_step_count=14,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
