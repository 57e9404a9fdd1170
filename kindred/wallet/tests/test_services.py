"""Wallet services: payments, sending, grabbing, expiry and the greeting rule; every refusal changes nothing."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from kindred.circles.models import Membership
from kindred.circles.services import membership_remove
from kindred.core.models import AuditEvent
from kindred.core.services import Conflict, NotFound, PermissionDenied, ServiceError
from kindred.wallet import services
from kindred.wallet.models import Account, Entry, Envelope, GreetingRule, LedgerTransaction
from kindred.wallet.selectors import wallet_balance
from kindred.wallet.services import (
    Gone,
    InsufficientFunds,
    envelope_expire,
    envelope_grab,
    envelope_send,
    envelopes_expire_due,
    greeting_waive,
    topup_create,
    withdrawal_create,
)
from kindred.wallet.verify import ledger_verify

pytestmark = pytest.mark.django_db


def _snapshot() -> tuple[int, int, int, int, list[int]]:
    return (
        LedgerTransaction.objects.count(),
        Entry.objects.count(),
        Envelope.objects.count(),
        AuditEvent.objects.count(),
        list(Account.objects.order_by("id").values_list("balance", flat=True)),
    )


def test_topup_is_idempotent_on_the_provider_reference(make_user: Callable[..., User]) -> None:
    user = make_user()
    first = topup_create(user=user, amount_fen=5000, reference="sim-abc")
    again = topup_create(user=user, amount_fen=5000, reference="sim-abc")
    assert first.created and not again.created and again.payment.pk == first.payment.pk
    assert wallet_balance(user=user) == 5000
    before = _snapshot()
    with pytest.raises(Conflict):
        topup_create(user=user, amount_fen=6000, reference="sim-abc")
    with pytest.raises(Conflict):
        topup_create(user=make_user(), amount_fen=5000, reference="sim-abc")
    assert _snapshot()[:2] == before[:2]
    assert ledger_verify() == []


@pytest.mark.parametrize("amount", [0, -5, 50_000 * 100 + 1])
def test_bad_amounts_are_refused(make_user: Callable[..., User], amount: int) -> None:
    user = make_user()
    before = _snapshot()
    with pytest.raises(ServiceError):
        topup_create(user=user, amount_fen=amount)
    with pytest.raises(ServiceError):
        withdrawal_create(user=user, amount_fen=amount)
    assert _snapshot() == before


def test_withdrawal_needs_the_balance(make_user: Callable[..., User]) -> None:
    user = make_user()
    topup_create(user=user, amount_fen=1000)
    before = _snapshot()
    with pytest.raises(InsufficientFunds):
        withdrawal_create(user=user, amount_fen=1001)
    assert _snapshot() == before
    withdrawal_create(user=user, amount_fen=1000)
    assert wallet_balance(user=user) == 0
    assert ledger_verify() == []


def test_send_moves_the_total_into_escrow_in_one_transaction(
    crowd: Callable[[int], list[Membership]], fund: Callable[..., None]
) -> None:
    sender, *_ = crowd(5)
    fund(sender.user, 2000)
    env = envelope_send(sender=sender, total_fen=1500, shares=4, mode="lucky", greeting="新人报到")
    assert wallet_balance(user=sender.user) == 500
    assert Account.objects.get(pk=env.escrow_id).balance == 1500
    amounts = list(env.shares.values_list("amount_fen", flat=True))
    assert len(amounts) == 4 and sum(amounts) == 1500 and min(amounts) >= 1
    txn = LedgerTransaction.objects.get(kind="envelope_send", reference=f"envelope:{env.pk}")
    assert sorted(txn.entries.values_list("amount", flat=True)) == [-1500, 1500]
    assert ledger_verify() == []


@pytest.mark.parametrize(
    ("total", "shares", "mode", "code"),
    [
        (1000, 0, "lucky", "bad_shares"),
        (1000, 7, "lucky", "bad_shares"),  # more shares than the circle's 6 members
        (3, 4, "equal", "share_too_small"),
        (0, 1, "equal", "bad_total"),
        (20_000 * 100 + 1, 5, "equal", "bad_total"),
        (200 * 100 * 2 + 1, 2, "equal", "share_too_large"),
        (100, 2, "fancy", "bad_mode"),
        (5000, 2, "lucky", "insufficient_balance"),
    ],
)
def test_send_refusals_change_nothing(
    crowd: Callable[[int], list[Membership]],
    fund: Callable[..., None],
    total: int,
    shares: int,
    mode: str,
    code: str,
) -> None:
    sender, *_ = crowd(5)
    fund(sender.user, 4000 if code == "insufficient_balance" else 3_000_000)
    before = _snapshot()
    with pytest.raises(ServiceError) as caught:
        envelope_send(sender=sender, total_fen=total, shares=shares, mode=mode)
    assert caught.value.code == code
    assert _snapshot() == before


def test_grab_pays_each_member_once_and_marks_the_luckiest(
    crowd: Callable[[int], list[Membership]], send: Callable[..., Envelope]
) -> None:
    sender, *others = crowd(5)
    env = send(sender, 1000, 3, rng=random.Random(5))
    got = [envelope_grab(envelope=env, member=m) for m in others[:3]]
    assert sum(s.amount_fen for s in got) == 1000
    for m, share in zip(others, got, strict=False):
        assert wallet_balance(user=m.user) == share.amount_fen
    env.refresh_from_db()
    assert env.status == Envelope.Status.FINISHED
    best = max(got, key=lambda s: s.amount_fen)
    assert env.luckiest is not None and env.luckiest.amount_fen == best.amount_fen
    before = _snapshot()
    with pytest.raises(Conflict):
        envelope_grab(envelope=env, member=others[0])
    with pytest.raises(Gone):
        envelope_grab(envelope=env, member=others[3])
    assert _snapshot() == before
    assert ledger_verify() == []


def test_grab_refusals(
    crowd: Callable[[int], list[Membership]],
    send: Callable[..., Envelope],
    make_user: Callable[..., User],
    origin: Membership,
) -> None:
    sender, member, leaver = crowd(3)
    env = send(sender, 900, 3, mode="equal")
    membership_remove(membership=leaver, actor=origin, reason="测试")
    leaver.refresh_from_db()
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        envelope_grab(envelope=env, member=sender)  # the circle does not let the sender grab
    with pytest.raises(NotFound):
        envelope_grab(envelope=env, member=leaver)
    assert _snapshot() == before
    assert envelope_grab(envelope=env, member=member).amount_fen == 300


def test_the_sender_may_grab_when_the_circle_allows(
    crowd: Callable[[int], list[Membership]], send: Callable[..., Envelope], origin: Membership
) -> None:
    services.circle_settings_update(
        circle=origin.circle,
        actor=origin,
        sender_may_grab=True,
        greeting_rule="suggested",
        greeting_min_total_fen=100,
        greeting_min_shares=1,
    )
    sender, _ = crowd(2)
    env = send(sender, 200, 2, mode="equal")
    assert envelope_grab(envelope=env, member=sender).amount_fen == 100


def test_expiry_refunds_exactly_the_unclaimed_shares_once(
    crowd: Callable[[int], list[Membership]], send: Callable[..., Envelope]
) -> None:
    sender, a, b = crowd(3)
    env = send(sender, 1000, 3, mode="lucky")
    mine = envelope_grab(envelope=env, member=a)
    with pytest.raises(ServiceError):
        envelope_expire(envelope=env)  # not yet
    later = env.expires_at + timedelta(seconds=1)
    assert envelopes_expire_due(now=later) == (1, 1000 - mine.amount_fen)
    assert wallet_balance(user=sender.user) == 1000 - mine.amount_fen
    assert envelopes_expire_due(now=later) == (0, 0)
    assert envelope_expire(envelope=env, at=later) == 0
    env.refresh_from_db()
    assert env.status == Envelope.Status.EXPIRED and env.refunded_fen == 1000 - mine.amount_fen
    with pytest.raises(Gone):
        envelope_grab(envelope=env, member=b, at=later)
    assert ledger_verify() == []


def test_a_late_grab_refunds_lazily_and_is_refused(
    crowd: Callable[[int], list[Membership]], send: Callable[..., Envelope]
) -> None:
    sender, a = crowd(2)
    env = send(sender, 500, 2, mode="equal")
    with pytest.raises(Gone):
        envelope_grab(envelope=env, member=a, at=env.expires_at)
    assert wallet_balance(user=sender.user) == 500 and wallet_balance(user=a.user) == 0
    assert Envelope.objects.get(pk=env.pk).status == Envelope.Status.EXPIRED


@override_settings(WALLET_ENVELOPE_TTL=timedelta(minutes=5), WALLET_ENVELOPE_MAX_SHARES=2)
def test_limits_are_settings(crowd: Callable[[int], list[Membership]], send: Callable[..., Envelope]) -> None:
    sender, *_ = crowd(4)
    env = send(sender, 100, 2)
    assert env.expires_at - env.created_at == timedelta(minutes=5)
    with pytest.raises(ServiceError):
        envelope_send(sender=sender, total_fen=100, shares=3, mode="equal")


def test_idempotency_key_returns_the_first_envelope(
    crowd: Callable[[int], list[Membership]], fund: Callable[..., None]
) -> None:
    sender, *_ = crowd(3)
    fund(sender.user, 1000)
    first = envelope_send(
        sender=sender, total_fen=300, shares=2, mode="lucky", idempotency_key="k", request_hash="h"
    )
    again = envelope_send(
        sender=sender, total_fen=300, shares=2, mode="lucky", idempotency_key="k", request_hash="h"
    )
    assert again.pk == first.pk and wallet_balance(user=sender.user) == 700
    with pytest.raises(services.IdempotencyMismatch):
        envelope_send(
            sender=sender, total_fen=400, shares=2, mode="lucky", idempotency_key="k", request_hash="x"
        )
    assert wallet_balance(user=sender.user) == 700


def test_the_first_envelope_of_a_newcomer_is_their_greeting(
    crowd: Callable[[int], list[Membership]], send: Callable[..., Envelope], origin: Membership
) -> None:
    newcomer, other = crowd(2)
    tiny = send(other, 50, 1)  # below the default minimum of 1 yuan: not a greeting
    assert not tiny.is_greeting
    greeting = send(newcomer, 188, 1)
    assert greeting.is_greeting
    assert not send(newcomer, 500, 2).is_greeting  # only the first
    assert not send(origin, 500, 2).is_greeting  # the organizer founded the circle: no greeting


def test_a_required_greeting_comes_before_grabbing_unless_waived(
    crowd: Callable[[int], list[Membership]],
    send: Callable[..., Envelope],
    make_member: Callable[..., Membership],
    origin: Membership,
) -> None:
    old, earlier = crowd(2)
    services.circle_settings_update(
        circle=origin.circle,
        actor=origin,
        sender_may_grab=False,
        greeting_rule=GreetingRule.REQUIRED,
        greeting_min_total_fen=600,
        greeting_min_shares=2,
    )
    newcomer, other = make_member(), make_member()
    env = send(old, 300, 3, mode="equal")
    assert envelope_grab(envelope=env, member=earlier).amount_fen == 100  # joined before the rule
    with pytest.raises(PermissionDenied) as caught:
        envelope_grab(envelope=env, member=newcomer)
    assert caught.value.code == "greeting_required"
    with pytest.raises(PermissionDenied):
        greeting_waive(membership=other, actor=old)  # only the organizer waives
    greeting_waive(membership=other, actor=origin)
    assert envelope_grab(envelope=env, member=other).amount_fen == 100
    assert not send(newcomer, 500, 2).is_greeting  # below the minimum: still owes it
    with pytest.raises(PermissionDenied) as caught:
        envelope_grab(envelope=env, member=newcomer)
    assert "6.00" in str(caught.value.message)  # says what to send
    assert send(newcomer, 600, 2).is_greeting  # the first envelope that qualifies counts
    assert envelope_grab(envelope=env, member=newcomer).amount_fen == 100


def test_settings_are_the_organizers(crowd: Callable[[int], list[Membership]], origin: Membership) -> None:
    (member,) = crowd(1)
    args: dict[str, Any] = {
        "sender_may_grab": True,
        "greeting_rule": "off",
        "greeting_min_total_fen": 100,
        "greeting_min_shares": 1,
    }
    with pytest.raises(PermissionDenied):
        services.circle_settings_update(circle=origin.circle, actor=member, **args)
    with pytest.raises(ServiceError):
        args["greeting_min_total_fen"] = 0
        services.circle_settings_update(circle=origin.circle, actor=origin, **args)


def test_ledger_verify_names_the_offending_rows(
    crowd: Callable[[int], list[Membership]], send: Callable[..., Envelope]
) -> None:
    sender, a = crowd(2)
    env = send(sender, 1000, 2)
    envelope_grab(envelope=env, member=a)
    call_command("ledger", "verify")
    wallet = Account.objects.get(kind="user", user=a.user)
    with connection.cursor() as cursor:  # corrupt a cached balance and a share behind the services' back
        cursor.execute("UPDATE wallet_account SET balance = balance + 1 WHERE id = %s", [wallet.pk])
        cursor.execute(
            "UPDATE wallet_share SET amount_fen = amount_fen + 1 WHERE envelope_id = %s AND claimed_by_id IS NULL",
            [env.pk],
        )
    problems = ledger_verify()
    assert any(f"account {wallet.pk}" in p and "sum of entries" in p for p in problems)
    assert any(p.startswith("accounts: balances sum to 1") for p in problems)
    assert any(f"envelope {env.pk}: shares sum to 1001" in p for p in problems)
    with pytest.raises(CommandError):
        call_command("ledger", "verify")


def test_expire_command_is_idempotent(
    crowd: Callable[[int], list[Membership]],
    send: Callable[..., Envelope],
    capsys: pytest.CaptureFixture[str],
) -> None:
    sender, *_ = crowd(2)
    env = send(sender, 700, 2)
    Envelope.objects.filter(pk=env.pk).update(
        created_at=env.created_at - timedelta(days=2), expires_at=env.expires_at - timedelta(days=2)
    )
    call_command("envelopes", "expire")
    call_command("envelopes", "expire")
    out = capsys.readouterr().out
    assert "expired 1 envelope(s), refunded 7.00 yuan" in out and "expired 0 envelope(s)" in out
    assert wallet_balance(user=sender.user) == 700
    assert ledger_verify() == []
