"""Every state change of the wallet: the ledger, payments, envelopes, grabs, refunds and circle rules.

Money moves only through `ledger_post`: a transaction whose entries sum to zero, booked once per
(kind, reference), with each account's cached balance updated under its row lock. Locks are always taken
in the same order, so concurrent transfers cannot deadlock:

    share rows (a grab: one, SKIP LOCKED; a refund: every unclaimed one, by id)
      → accounts, by id (`ledger_post`)
        → the envelope row (finishing or expiring it)

A withdrawal's answer from the provider is recorded under the payment's row lock, then the accounts.

A send locks the sender's wallet first (its escrow account is new, with a higher id), which also
serializes one user's sends (greeting and idempotency checks). On SQLite every write transaction is
IMMEDIATE (one writer at a time), so the same code is safe there without row locks.
"""

from __future__ import annotations

import contextlib
import logging
import random
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kindred.circles.models import Circle, Membership
from kindred.circles.selectors import circle_member_count
from kindred.core import events
from kindred.core.money import fen_to_yuan
from kindred.core.services import Conflict, Gone, NotFound, PermissionDenied, ServiceError, audit_record
from kindred.core.text import clean_line

from . import split
from .audit import Action
from .greeting import greeting_owed, greeting_refusal, is_greeting
from .models import (
    DEFAULT_GREETING,
    GREETING_TEXT_MAX_LENGTH,
    IDEMPOTENCY_KEY_MAX_LENGTH,
    Account,
    CircleWalletSettings,
    Entry,
    Envelope,
    GreetingRule,
    GreetingWaiver,
    IdempotencyKey,
    LedgerTransaction,
    Payment,
    Share,
    limit,
)
from .providers import PaymentProvider, ProviderRefused, ProviderUnavailable, get_provider
from .selectors import rules_for

log = logging.getLogger(__name__)


class InsufficientFunds(ServiceError):
    pass


class IdempotencyMismatch(ServiceError):
    """The same Idempotency-Key came with another request body (answered 422)."""

    status_code = 422


def provider() -> PaymentProvider:
    return get_provider(getattr(settings, "WALLET_PAYMENT_PROVIDER", "simulated"))


# --- Accounts and the ledger -----------------------------------------------------------------------


def wallet_account(*, user: User | int) -> Account:
    """The user's wallet account, created on first use."""
    user_id = user if isinstance(user, int) else user.pk
    account = Account.objects.filter(kind=Account.Kind.USER, user_id=user_id).first()
    if account is None:
        account, _created = Account.objects.get_or_create(kind=Account.Kind.USER, user_id=user_id)
    return account


def wallet_account_id(*, user_id: int) -> int:
    """The id of the user's wallet (created on first use): one plain query on the grab's hot path."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM wallet_account WHERE kind = 'user' AND user_id = %s", [user_id])
        row = cursor.fetchone()
    return int(row[0]) if row else wallet_account(user=user_id).pk


def external_account(*, provider_name: str) -> Account:
    account = Account.objects.filter(kind=Account.Kind.EXTERNAL, code=provider_name).first()
    if account is None:
        account, _created = Account.objects.get_or_create(kind=Account.Kind.EXTERNAL, code=provider_name)
    return account


_MOVE_SQL = (
    "UPDATE wallet_account SET balance = balance + %s "
    "WHERE id = %s AND (balance + %s >= 0 OR kind = 'external') RETURNING balance"
)


_MOVE_ALL_SQL = (
    "WITH moves AS (SELECT * FROM unnest(%s::bigint[], %s::bigint[]) AS m(account_id, amount)),"
    " locked AS (SELECT id FROM wallet_account WHERE id = ANY(%s::bigint[]) ORDER BY id FOR NO KEY UPDATE)"
    " UPDATE wallet_account a SET balance = a.balance + moves.amount FROM moves, locked"
    " WHERE a.id = moves.account_id AND a.id = locked.id"
    " AND (a.balance + moves.amount >= 0 OR a.kind = 'external') RETURNING a.id, a.balance"
)


_BOOK_SQL = (
    "WITH t AS (INSERT INTO wallet_ledgertransaction (kind, reference, envelope_id, actor_id, created_at)"
    " VALUES (%s, %s, %s, %s, %s) RETURNING id)"
    " INSERT INTO wallet_entry (transaction_id, account_id, amount)"
    " SELECT t.id, m.account_id, m.amount FROM t, unnest(%s::bigint[], %s::bigint[]) AS m(account_id, amount)"
    " RETURNING transaction_id"
)


def ledger_post(
    *,
    kind: str,
    reference: str,
    legs: list[tuple[int, int]],
    at: datetime,
    actor: User | None = None,
    envelope: Envelope | None = None,
) -> tuple[LedgerTransaction, dict[int, int]]:
    """Book one transaction: `legs` are (account id, signed fen). Runs inside the caller's transaction.

    Checks that the legs sum to zero, then updates each account in id order (the lock order), refusing a
    move that would take a non-external account below zero. Returns the transaction and the new balances.
    IntegrityError when (kind, reference) was booked before.
    """
    if not legs or sum(amount for _id, amount in legs) != 0:
        raise ValueError(f"unbalanced transaction {kind} {reference}: {legs}")
    if any(amount == 0 for _id, amount in legs) or len({a for a, _m in legs}) != len(legs):
        raise ValueError(f"bad legs for {kind} {reference}: {legs}")
    balances: dict[int, int] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One round trip: lock the accounts in id order (the CTE's ORDER BY), then move the money.
            ids = [account_id for account_id, _m in sorted(legs)]
            cursor.execute(_MOVE_ALL_SQL, [ids, [amount for _a, amount in sorted(legs)], ids])
            balances = dict(cursor.fetchall())
        else:
            for account_id, amount in sorted(legs):
                cursor.execute(_MOVE_SQL, [amount, account_id, amount])
                row = cursor.fetchone()
                if row is not None:
                    balances[account_id] = row[0]
    if len(balances) != len(legs):
        raise InsufficientFunds(_("Your balance is not enough."), code="insufficient_balance")
    txn = LedgerTransaction(kind=kind, reference=reference, envelope=envelope, actor=actor, created_at=at)
    if connection.vendor == "postgresql":
        # The transaction and its entries in one statement.
        with connection.cursor() as cursor:
            cursor.execute(
                _BOOK_SQL,
                [
                    kind,
                    reference,
                    envelope.pk if envelope else None,
                    actor.pk if actor else None,
                    at,
                    [a for a, _m in legs],
                    [m for _a, m in legs],
                ],
            )
            txn.pk = cursor.fetchone()[0]
            txn._state.adding, txn._state.db = False, connection.alias
    else:
        txn.save(force_insert=True)
        Entry.objects.bulk_create(
            [Entry(transaction=txn, account_id=account_id, amount=amount) for account_id, amount in legs]
        )
    return txn, balances


# --- Top-ups and withdrawals -----------------------------------------------------------------------


def _check_payment_amount(amount_fen: int) -> None:
    top = limit("TOPUP_MAX_FEN")
    if not isinstance(amount_fen, int) or not 1 <= amount_fen <= top:
        raise ServiceError(
            _("The amount must be between 0.01 and %(max)s yuan.") % {"max": fen_to_yuan(top)},
            code="bad_amount",
        )


@dataclass(frozen=True)
class PaymentResult:
    payment: Payment
    created: bool  # False: the provider reference had been booked already (an idempotent repeat)


def topup_create(
    *, user: User, amount_fen: int, reference: str = "", at: datetime | None = None
) -> PaymentResult:
    """Top up the user's wallet through the payment provider, once per provider reference.

    The same reference again (same user and amount) returns the first top-up and moves nothing; the same
    reference with another user or amount is a Conflict."""
    _check_payment_amount(amount_fen)
    pay = provider()
    reference = reference.strip() or pay.new_reference()
    existing = Payment.objects.filter(provider=pay.name, reference=reference).first()
    if existing is not None:
        return _same_payment(existing, user=user, amount_fen=amount_fen, direction=Payment.Direction.IN)
    try:
        receipt = pay.charge(user_id=user.pk, amount_fen=amount_fen, reference=reference)
    except ProviderRefused as exc:
        raise ServiceError(_("The payment provider declined the top-up."), code="provider_refused") from exc
    try:
        payment = _book_payment(
            user=user,
            amount_fen=receipt.amount_fen,
            reference=receipt.reference,
            provider_name=pay.name,
            direction=Payment.Direction.IN,
            at=at or timezone.now(),
        )
    except IntegrityError:
        # A concurrent request with the same reference won: answer with its top-up.
        existing = Payment.objects.filter(provider=pay.name, reference=reference).first()
        if existing is None:
            raise
        return _same_payment(existing, user=user, amount_fen=amount_fen, direction=Payment.Direction.IN)
    return PaymentResult(payment=payment, created=True)


def _same_payment(existing: Payment, *, user: User, amount_fen: int, direction: str) -> PaymentResult:
    if existing.user_id != user.pk or existing.amount_fen != amount_fen or existing.direction != direction:
        raise Conflict(
            _("This payment reference was already used for another payment."), code="reference_reused"
        )
    return PaymentResult(payment=existing, created=False)


@transaction.atomic
def _book_payment(
    *,
    user: User,
    amount_fen: int,
    reference: str,
    provider_name: str,
    direction: str,
    at: datetime,
    idempotency_key: str = "",
) -> Payment:
    """Book a top-up (completed: the provider has charged) or a withdrawal (pending: the provider is asked
    after commit, by `withdrawal_settle`)."""
    wallet = wallet_account(user=user)
    outside = external_account(provider_name=provider_name)
    sign = 1 if direction == Payment.Direction.IN else -1
    kind = LedgerTransaction.Kind.TOPUP if sign > 0 else LedgerTransaction.Kind.WITHDRAWAL
    txn, _balances = ledger_post(
        kind=kind,
        reference=f"payment:{provider_name}:{reference}",
        legs=[(outside.pk, -sign * amount_fen), (wallet.pk, sign * amount_fen)],
        at=at,
        actor=user,
    )
    payment = Payment.objects.create(
        provider=provider_name,
        reference=reference,
        direction=direction,
        user=user,
        amount_fen=amount_fen,
        transaction=txn,
        created_at=at,
        status=Payment.Status.COMPLETED if sign > 0 else Payment.Status.PENDING,
        settled_at=at if sign > 0 else None,
        idempotency_key=idempotency_key,
    )
    audit_record(
        at=at,
        action=Action.WALLET_TOPUP if sign > 0 else Action.WALLET_WITHDRAWAL,
        actor=user,
        target=payment,
        data={"amount_fen": amount_fen, "provider": provider_name, "status": payment.status},
    )
    if sign < 0:
        # On the background worker, once this transaction has committed: the provider is never asked inside
        # a request. A failure to queue is logged (robust) and the sweep settles it.
        from .tasks import withdrawal_settle_one  # the task module imports this one

        transaction.on_commit(partial(withdrawal_settle_one, payment.pk), robust=True)
    return payment


def withdrawal_create(
    *, user: User, amount_fen: int, idempotency_key: str = "", at: datetime | None = None
) -> PaymentResult:
    """Pay money out of the wallet through the provider: the wallet is debited now and the withdrawal is
    `pending`; the provider is asked after commit (`withdrawal_settle`), and a refusal refunds it.

    InsufficientFunds and nothing changed when the balance is short. With `idempotency_key`, the same key
    and amount return the first withdrawal and book nothing (created False); the same key with another
    amount raises IdempotencyMismatch."""
    _check_payment_amount(amount_fen)
    key = clean_line(idempotency_key, label="Idempotency-Key", max_length=IDEMPOTENCY_KEY_MAX_LENGTH)
    if key:
        existing = Payment.objects.filter(user=user, idempotency_key=key).first()
        if existing is not None:
            return _same_withdrawal(existing, amount_fen=amount_fen)
    pay = provider()
    try:
        payment = _book_payment(
            user=user,
            amount_fen=amount_fen,
            reference=pay.new_reference(),
            provider_name=pay.name,
            direction=Payment.Direction.OUT,
            at=at or timezone.now(),
            idempotency_key=key,
        )
    except IntegrityError:
        # A concurrent request with the same key won: answer with its withdrawal.
        existing = Payment.objects.filter(user=user, idempotency_key=key).first() if key else None
        if existing is None:
            raise
        return _same_withdrawal(existing, amount_fen=amount_fen)
    # Outside a caller's transaction the provider has answered by now (on commit): show its answer.
    payment.refresh_from_db(fields=["status", "settled_at", "refund_transaction"])
    return PaymentResult(payment=payment, created=True)


def _same_withdrawal(existing: Payment, *, amount_fen: int) -> PaymentResult:
    if existing.amount_fen != amount_fen or existing.direction != Payment.Direction.OUT:
        raise IdempotencyMismatch(
            _("This Idempotency-Key was used with another request."), code="idempotency_mismatch"
        )
    return PaymentResult(payment=existing, created=False)


def withdrawal_settle(*, payment_id: int, at: datetime | None = None) -> Payment:
    """Ask the provider to pay out a pending withdrawal and record its answer, exactly once.

    Runs outside any transaction of the booking (after its commit, or from the sweep) and is safe to run
    again or at the same time: the provider is asked with the withdrawal's own reference (a payout is
    idempotent on it), and the answer is recorded under the payment's row lock only while it is still
    pending. Paid: `completed`. Declined: `refused`, and a reversing transaction (cause
    "refund:payment:<provider>:<reference>") gives the amount back to the wallet. No answer
    (ProviderUnavailable): it stays pending for the next sweep."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.status != Payment.Status.PENDING:
        return payment
    try:
        get_provider(payment.provider).payout(
            user_id=payment.user_id, amount_fen=payment.amount_fen, reference=payment.reference
        )
    except ProviderRefused:
        refused = True
    except ProviderUnavailable:
        log.warning("withdrawal %s: no answer from %s, left pending", payment.pk, payment.provider)
        return payment
    else:
        refused = False
    return _withdrawal_record(payment_id=payment_id, refused=refused, at=at or timezone.now())


@transaction.atomic
def _withdrawal_record(*, payment_id: int, refused: bool, at: datetime) -> Payment:
    # Lock order: the payment row → the accounts (ledger_post), as nothing else locks a payment row.
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status != Payment.Status.PENDING:
        return payment  # another settler recorded the answer first
    data: dict[str, Any] = {"amount_fen": payment.amount_fen, "provider": payment.provider}
    if refused:
        wallet = wallet_account(user=payment.user_id)
        outside = external_account(provider_name=payment.provider)
        refund, _balances = ledger_post(
            kind=LedgerTransaction.Kind.WITHDRAWAL_REFUND,
            reference=f"refund:payment:{payment.provider}:{payment.reference}",
            legs=[(outside.pk, -payment.amount_fen), (wallet.pk, payment.amount_fen)],
            at=at,
        )
        payment.status, payment.refund_transaction = Payment.Status.REFUSED, refund
        data["refund_transaction"] = refund.pk
    else:
        payment.status = Payment.Status.COMPLETED
    payment.settled_at = at
    payment.save(update_fields=["status", "refund_transaction", "settled_at"])
    audit_record(
        at=at,
        action=Action.WALLET_WITHDRAWAL_REFUSED if refused else Action.WALLET_WITHDRAWAL_COMPLETED,
        target=payment,
        data=data,
    )
    return payment


@dataclass(frozen=True)
class SettleReport:
    completed: int = 0
    refused: int = 0
    pending: int = 0  # still without an answer (asked again at the next sweep)


def withdrawals_settle_pending(*, now: datetime | None = None) -> SettleReport:
    """The sweep: settle every withdrawal still pending WITHDRAWAL_SETTLE_AFTER after it was booked (the
    process stopped before the provider answered, or the provider did not answer). Idempotent; safe to run
    from several processes at once; one failing withdrawal does not stop the others."""
    now = now or timezone.now()
    due = list(
        Payment.objects.filter(
            status=Payment.Status.PENDING, created_at__lte=now - limit("WITHDRAWAL_SETTLE_AFTER")
        )
        .order_by("created_at", "id")
        .values_list("id", flat=True)
    )
    counts = dict.fromkeys(Payment.Status.values, 0)
    for payment_id in due:
        try:
            status = withdrawal_settle(payment_id=payment_id, at=now).status
        except Exception:  # a provider error we do not know: logged, retried at the next sweep
            log.exception("withdrawal %s: settling failed, left pending", payment_id)
            status = Payment.Status.PENDING
        counts[status] += 1
    return SettleReport(
        completed=counts[Payment.Status.COMPLETED],
        refused=counts[Payment.Status.REFUSED],
        pending=counts[Payment.Status.PENDING],
    )


# --- Circle rules ----------------------------------------------------------------------------------


@transaction.atomic
def circle_settings_update(
    *,
    circle: Circle,
    actor: Membership,
    sender_may_grab: bool,
    greeting_rule: str,
    greeting_min_total_fen: int,
    greeting_min_shares: int,
    at: datetime | None = None,
) -> CircleWalletSettings:
    if not (actor.is_organizer and actor.circle_id == circle.pk):
        raise PermissionDenied(_("Only the organizer can change the envelope rules."), code="not_organizer")
    if greeting_rule not in GreetingRule.values:
        raise ServiceError(_("Choose a greeting rule."), code="bad_rule")
    if not 1 <= greeting_min_shares <= limit("ENVELOPE_MAX_SHARES"):
        raise ServiceError(_("The minimum share count is out of range."), code="bad_min_shares")
    if not greeting_min_shares <= greeting_min_total_fen <= limit("ENVELOPE_MAX_TOTAL_FEN"):
        raise ServiceError(
            _("The minimum total must be at least 0.01 yuan a share and within the envelope limit."),
            code="bad_min_total",
        )
    now = at or timezone.now()
    row, _created = CircleWalletSettings.objects.select_for_update().get_or_create(circle=circle)
    if greeting_rule == GreetingRule.REQUIRED and row.greeting_rule != GreetingRule.REQUIRED:
        row.required_since = now
    elif greeting_rule != GreetingRule.REQUIRED:
        row.required_since = None
    row.sender_may_grab = sender_may_grab
    row.greeting_rule = greeting_rule
    row.greeting_min_total_fen = greeting_min_total_fen
    row.greeting_min_shares = greeting_min_shares
    row.save()
    audit_record(
        at=at,
        action=Action.WALLET_SETTINGS_UPDATED,
        actor=actor.user,
        circle_id=circle.pk,
        target=row,
        data={
            "sender_may_grab": sender_may_grab,
            "greeting_rule": greeting_rule,
            "greeting_min_total_fen": greeting_min_total_fen,
            "greeting_min_shares": greeting_min_shares,
        },
    )
    return row


@transaction.atomic
def greeting_waive(
    *, membership: Membership, actor: Membership, at: datetime | None = None
) -> GreetingWaiver:
    """The organizer excuses a member from the greeting envelope (again: no change)."""
    if not (actor.is_organizer and actor.circle_id == membership.circle_id):
        raise PermissionDenied(_("Only the organizer can waive the greeting."), code="not_organizer")
    if not membership.is_active:
        raise ServiceError(_("This member is no longer in the circle."), code="member_removed")
    existing = GreetingWaiver.objects.filter(membership=membership).first()
    if existing is not None:
        return existing
    waiver = GreetingWaiver.objects.create(
        membership=membership, waived_by=actor.user, created_at=at or timezone.now()
    )
    audit_record(
        at=at,
        action=Action.GREETING_WAIVED,
        actor=actor.user,
        circle_id=membership.circle_id,
        target=membership,
    )
    return waiver


# --- Envelopes -------------------------------------------------------------------------------------


def _check_envelope(*, total_fen: int, shares: int, mode: str, members: int) -> None:
    if mode not in Envelope.Mode.values:
        raise ServiceError(_("Choose lucky or equal shares."), code="bad_mode")
    max_shares = min(limit("ENVELOPE_MAX_SHARES"), members)
    if not 1 <= shares <= max_shares:
        raise ServiceError(
            _("The number of shares must be between 1 and %(max)d (no more than the circle's members).")
            % {"max": max_shares},
            code="bad_shares",
        )
    max_total = limit("ENVELOPE_MAX_TOTAL_FEN")
    if not 1 <= total_fen <= max_total:
        raise ServiceError(
            _("The total must be between 0.01 and %(max)s yuan.") % {"max": fen_to_yuan(max_total)},
            code="bad_total",
        )
    if total_fen < shares:
        raise ServiceError(_("Every share needs at least 0.01 yuan."), code="share_too_small")
    max_share = limit("ENVELOPE_MAX_SHARE_FEN")
    if total_fen > shares * max_share:
        raise ServiceError(
            _("No share may be more than %(max)s yuan: use more shares.") % {"max": fen_to_yuan(max_share)},
            code="share_too_large",
        )


def _clean_greeting(text: str) -> str:
    """The envelope's words (one line, no control characters), or the default wish in the sender's
    language."""
    text = clean_line(text, label=_("Greeting"), max_length=GREETING_TEXT_MAX_LENGTH)
    return text or str(DEFAULT_GREETING)


@transaction.atomic
def envelope_send(
    *,
    sender: Membership,
    total_fen: int,
    shares: int,
    mode: str,
    greeting: str = "",
    at: datetime | None = None,
    idempotency_key: str = "",
    request_hash: str = "",
    rng: random.Random | None = None,
) -> Envelope:
    """Send a red envelope to the circle: cut it into shares now and move the total from the sender's
    wallet into the envelope's escrow, in one transaction.

    With `idempotency_key`, the same key and `request_hash` return the envelope sent first (nothing
    moves); the same key with another hash raises IdempotencyMismatch."""
    now = at or timezone.now()
    wallet = wallet_account(user=sender.user_id)
    # The sender's wallet lock serializes their sends: the idempotency and greeting checks hold.
    wallet = Account.objects.select_for_update().get(pk=wallet.pk)
    if idempotency_key:
        seen = IdempotencyKey.objects.filter(user_id=sender.user_id, key=idempotency_key).first()
        if seen is not None:
            if seen.request_hash != request_hash:
                raise IdempotencyMismatch(
                    _("This Idempotency-Key was used with another request."), code="idempotency_mismatch"
                )
            return Envelope.objects.get(pk=seen.envelope_id)
    if not Membership.objects.filter(pk=sender.pk, status=Membership.Status.ACTIVE).exists():
        raise PermissionDenied(_("You are no longer a member of this circle."), code="actor_removed")
    greeting = _clean_greeting(greeting)
    _check_envelope(
        total_fen=total_fen, shares=shares, mode=mode, members=circle_member_count(circle=sender.circle)
    )
    if wallet.balance < total_fen:
        raise InsufficientFunds(_("Your balance is not enough."), code="insufficient_balance")
    try:
        amounts = split.split(mode, total_fen, shares, rng, max_share=limit("ENVELOPE_MAX_SHARE_FEN"))
    except split.SplitError as exc:
        raise ServiceError(
            _("These shares cannot be cut within the limits: use more shares or equal shares."),
            code="cannot_split",
        ) from exc
    rules = rules_for(circle=sender.circle_id)
    escrow = Account.objects.create(kind=Account.Kind.ESCROW)
    envelope = Envelope.objects.create(
        circle_id=sender.circle_id,
        sender=sender,
        mode=mode,
        total_fen=total_fen,
        share_count=shares,
        greeting=greeting,
        escrow=escrow,
        is_greeting=is_greeting(sender=sender, rules=rules, total_fen=total_fen, shares=shares),
        sender_may_grab=rules.sender_may_grab,
        created_at=now,
        expires_at=now + limit("ENVELOPE_TTL"),
    )
    Share.objects.bulk_create(
        [Share(envelope=envelope, position=i, amount_fen=amount) for i, amount in enumerate(amounts)]
    )
    ledger_post(
        kind=LedgerTransaction.Kind.ENVELOPE_SEND,
        reference=f"envelope:{envelope.pk}",
        legs=[(wallet.pk, -total_fen), (escrow.pk, total_fen)],
        at=now,
        actor=sender.user,
        envelope=envelope,
    )
    if idempotency_key:
        IdempotencyKey.objects.create(
            user_id=sender.user_id, key=idempotency_key, request_hash=request_hash, envelope=envelope
        )
    audit_record(
        at=now,
        action=Action.ENVELOPE_SENT,
        actor=sender.user,
        circle_id=sender.circle_id,
        target=envelope,
        data={"total_fen": total_fen, "shares": shares, "mode": mode, "greeting": envelope.is_greeting},
    )
    if at is None:  # a live send (a back-dated replay announces nothing)
        events.announce(
            events.envelope_sent,
            sender=Envelope,
            circle_id=envelope.circle_id,
            envelope_id=envelope.pk,
            sender_id=sender.pk,
            total_fen=total_fen,
            shares=shares,
            mode=mode,
            greeting=greeting,
        )
    return envelope


# Claim the first free share for a member who is active and holds no share of this envelope yet, in one
# statement. No row: the slow path below says why.
_CLAIM = (
    "UPDATE wallet_share SET claimed_by_id = %(member)s, claimed_at = %(now)s WHERE id = ("
    " SELECT id FROM wallet_share WHERE envelope_id = %(envelope)s AND claimed_by_id IS NULL AND NOT refunded"
    " AND EXISTS (SELECT 1 FROM circles_membership WHERE id = %(member)s AND status = 'active')"
    " AND NOT EXISTS (SELECT 1 FROM wallet_share d WHERE d.envelope_id = %(envelope)s"
    " AND d.claimed_by_id = %(member)s)"
    " ORDER BY position LIMIT 1{lock}) RETURNING id, amount_fen"
)
_CLAIM_SQL = {
    "postgresql": _CLAIM.format(lock=" FOR NO KEY UPDATE SKIP LOCKED"),
    # SQLite: the transaction is IMMEDIATE, so no other writer runs until it ends.
    "sqlite": _CLAIM.format(lock=""),
}


def _grab_refusal(envelope: Envelope, member: Membership, now: datetime) -> ServiceError | None:
    if member.circle_id != envelope.circle_id or not member.is_active:
        return NotFound(_("Red envelope not found."))
    if member.pk == envelope.sender_id and not envelope.sender_may_grab:
        return PermissionDenied(
            _("You cannot grab your own red envelope in this circle."), code="own_envelope"
        )
    if envelope.status == Envelope.Status.EXPIRED or now >= envelope.expires_at:
        return Gone(_("This red envelope has expired."), code="envelope_expired")
    if envelope.status == Envelope.Status.FINISHED:
        return Gone(_("Too late: every share has been grabbed."), code="envelope_empty")
    return None


def envelope_grab(*, envelope: Envelope, member: Membership, at: datetime | None = None) -> Share:
    """Grab one share of `envelope` for `member`. Returns the claimed share (amount_fen).

    Refusals (nothing changes): NotFound for anyone outside the circle; PermissionDenied for the sender
    when the circle does not allow it or a member who still owes a required greeting; Conflict for a
    second grab; Gone when it has expired (its refund is made now if the sweeper has not yet) or is empty.
    """
    now = at or timezone.now()
    refusal = _grab_refusal(envelope, member, now)
    if refusal is not None:
        if refusal.code == "envelope_expired" and envelope.status == Envelope.Status.OPEN:
            envelope_expire(envelope=envelope, at=max(now, envelope.expires_at))
        if isinstance(refusal, Gone) and Share.objects.filter(envelope=envelope, claimed_by=member).exists():
            raise Conflict(_("You have already grabbed this red envelope."), code="already_grabbed")
        raise refusal
    if connection.vendor == "postgresql" and limit("GRAB_IN_DATABASE"):
        return _grab_in_database(envelope=envelope, member=member, now=now)
    if greeting_owed(membership_id=member.pk):
        raise greeting_refusal(rules_for(circle=envelope.circle_id))
    wallet_id = wallet_account_id(user_id=member.user_id)
    try:
        return _claim(envelope=envelope, member=member, wallet_id=wallet_id, now=now)
    except IntegrityError as exc:
        # Two grabs of the same member at once: the UNIQUE (envelope, member) refused the second.
        raise _grab_refused("already_grabbed") from exc


def _grab_refused(outcome: str) -> ServiceError:
    """The refusal for an outcome of the database grab: the same as the ORM path's."""
    if outcome == "already_grabbed":
        return Conflict(_("You have already grabbed this red envelope."), code="already_grabbed")
    if outcome == "expired":
        return Gone(_("This red envelope has expired."), code="envelope_expired")
    if outcome == "empty":
        return Gone(_("Too late: every share has been grabbed."), code="envelope_empty")
    return NotFound(_("Red envelope not found."))


def _grab_in_database(*, envelope: Envelope, member: Membership, now: datetime) -> Share:
    """The grab on PostgreSQL in one round trip: `wallet_envelope_grab` (migration 0003) checks the
    greeting rule, claims the share, moves the money, finishes the envelope and writes the audit row, in
    one statement (its own transaction, or a savepoint inside the caller's)."""
    try:
        savepoint = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
        with savepoint, connection.cursor() as cursor:
            cursor.execute(_GRAB_SQL, [envelope.pk, member.pk, now])
            outcome, share_id, amount, luckiest_id = cursor.fetchone()
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
        if constraint == "share_one_per_member":
            # Two grabs of the same member at once: the UNIQUE (envelope, member) refused the second.
            raise _grab_refused("already_grabbed") from exc
        if constraint == "account_balance_not_negative":
            raise InsufficientFunds(_("Your balance is not enough."), code="insufficient_balance") from exc
        raise
    if outcome == "greeting_required":
        raise greeting_refusal(rules_for(circle=envelope.circle_id))
    if outcome != "ok":
        raise _grab_refused(outcome)
    if luckiest_id is not None:
        envelope.status, envelope.finished_at, envelope.luckiest_id = (
            Envelope.Status.FINISHED,
            now,
            luckiest_id,
        )
    return Share(
        pk=share_id, envelope=envelope, amount_fen=amount, claimed_by=member, claimed_at=now, refunded=False
    )


_GRAB_SQL = "SELECT outcome, share_id, amount, luckiest_id FROM wallet_envelope_grab(%s, %s, %s)"


@dataclass(frozen=True)
class GrabAnswer:
    """What `envelope_grab_answer` did: `outcome` "ok" (grabbed: `body` is the API's answer, GrabResultOut's
    JSON), "refused" (nothing changed, for whatever reason) or "unauthenticated" (the token is unknown,
    revoked or its user inactive: nothing done)."""

    outcome: str
    body: str = ""


_GRAB_API_SQL = "SELECT outcome, answer FROM wallet_envelope_grab_api(%s, %s, %s, %s, %s)"


def envelope_grab_answer(
    *,
    envelope_id: int,
    user_id: int | None = None,
    token_hash: str | None = None,
    token_touch_seconds: float = 0.0,
    at: datetime | None = None,
) -> GrabAnswer | None:
    """The API's grab on PostgreSQL in one statement (migration 0010): the caller (a user, or the API token
    whose SHA-256 is `token_hash`, marked used when its last use is more than `token_touch_seconds` ago), their
    membership, the grab (`wallet_envelope_grab`: the same locks, checks, ledger transaction and audit row
    as `envelope_grab`) and the answer's JSON. "refused" whenever it did not grab (not a member, the
    sender, expired, finished, already grabbed, a greeting owed, empty, a concurrent double grab): nothing
    changed, and the caller takes `envelope_grab`, which finds and words the refusal. None off
    PostgreSQL."""
    if connection.vendor != "postgresql" or not limit("GRAB_IN_DATABASE"):
        return None
    params = [envelope_id, user_id, token_hash, token_touch_seconds, at or timezone.now()]
    try:
        savepoint = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
        with savepoint, connection.cursor() as cursor:
            cursor.execute(_GRAB_API_SQL, params)
            outcome, body = cursor.fetchone()
    except IntegrityError:
        # A double grab of the same member at once, or a balance check: the general path says which.
        return GrabAnswer("refused")
    return GrabAnswer(outcome, body or "")


@transaction.atomic
def _claim(*, envelope: Envelope, member: Membership, wallet_id: int, now: datetime) -> Share:
    with connection.cursor() as cursor:
        cursor.execute(
            _CLAIM_SQL[connection.vendor], {"member": member.pk, "now": now, "envelope": envelope.pk}
        )
        row = cursor.fetchone()
    if row is None:
        if not Membership.objects.filter(pk=member.pk, status=Membership.Status.ACTIVE).exists():
            raise _grab_refused("not_member")
        if Share.objects.filter(envelope=envelope, claimed_by=member).exists():
            raise _grab_refused("already_grabbed")
        # Every share is claimed, refunded, or being claimed right now by someone else.
        status = Envelope.objects.filter(pk=envelope.pk).values_list("status", flat=True).first()
        raise _grab_refused("expired" if status == Envelope.Status.EXPIRED else "empty")
    share_id, amount = row
    _txn, balances = ledger_post(
        kind=LedgerTransaction.Kind.ENVELOPE_GRAB,
        reference=f"share:{share_id}",
        legs=[(envelope.escrow_id, -amount), (wallet_id, amount)],
        at=now,
        actor=member.user,
        envelope=envelope,
    )
    share = Share(
        pk=share_id, envelope=envelope, amount_fen=amount, claimed_by=member, claimed_at=now, refunded=False
    )
    if balances[envelope.escrow_id] == 0:
        # The escrow is locked until commit: this grab took the last share. Mark the luckiest.
        _finish(envelope, now)
    audit_record(
        at=now,
        action=Action.ENVELOPE_GRABBED,
        actor=member.user,
        circle_id=envelope.circle_id,
        target=envelope,
        data={"share": share_id, "amount_fen": amount},
    )
    return share


def _finish(envelope: Envelope, now: datetime) -> None:
    rows = list(
        Share.objects.filter(envelope=envelope, claimed_by__isnull=False)
        .order_by("claimed_at", "id")
        .values_list("id", "amount_fen")
    )
    if len(rows) != envelope.share_count:
        return  # part of it was refunded: there is no luckiest grab
    best = rows[split.luckiest_index([amount for _id, amount in rows])][0]
    Envelope.objects.filter(pk=envelope.pk, status=Envelope.Status.OPEN).update(
        status=Envelope.Status.FINISHED, finished_at=now, luckiest_id=best
    )
    envelope.status, envelope.finished_at, envelope.luckiest_id = Envelope.Status.FINISHED, now, best


_LOCK_UNCLAIMED_SQL = {
    "postgresql": (
        "SELECT id, amount_fen FROM wallet_share WHERE envelope_id = %s AND claimed_by_id IS NULL"
        " AND NOT refunded ORDER BY id FOR NO KEY UPDATE"
    ),
    "sqlite": (
        "SELECT id, amount_fen FROM wallet_share WHERE envelope_id = %s AND claimed_by_id IS NULL"
        " AND NOT refunded ORDER BY id"
    ),
}


@transaction.atomic
def envelope_expire(*, envelope: Envelope, at: datetime | None = None) -> int:
    """Refund the unclaimed shares of an envelope past its expiry to the sender, exactly. Returns the fen
    refunded; 0 when there is nothing (left) to refund. Idempotent.

    The unclaimed shares are locked by id: a grab holding one finishes first, and PostgreSQL re-checks the
    row after the wait, so a share is either claimed or refunded, never both. The lock is FOR NO KEY
    UPDATE, as a grab's: a share that fails the re-check stays locked until commit, and a stronger lock
    would block the foreign-key check of the last grab marking it the luckiest (a deadlock)."""
    now = at or timezone.now()
    if now < envelope.expires_at:
        raise ServiceError(_("This red envelope has not expired yet."), code="not_expired")
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_UNCLAIMED_SQL[connection.vendor], [envelope.pk])
        rows = cursor.fetchall()
    total = sum(amount for _id, amount in rows)
    if rows:
        Share.objects.filter(pk__in=[share_id for share_id, _a in rows]).update(refunded=True)
        sender_wallet = wallet_account(user=envelope.sender.user_id)
        ledger_post(
            kind=LedgerTransaction.Kind.ENVELOPE_REFUND,
            reference=f"envelope:{envelope.pk}",
            legs=[(envelope.escrow_id, -total), (sender_wallet.pk, total)],
            at=now,
            envelope=envelope,
        )
    changed = Envelope.objects.filter(pk=envelope.pk, status=Envelope.Status.OPEN).update(
        status=Envelope.Status.EXPIRED, finished_at=now, refunded_fen=total
    )
    if changed:
        envelope.status, envelope.finished_at, envelope.refunded_fen = Envelope.Status.EXPIRED, now, total
        audit_record(
            at=now,
            action=Action.ENVELOPE_EXPIRED,
            circle_id=envelope.circle_id,
            target=envelope,
            data={"refunded_fen": total, "shares": len(rows)},
        )
    return total


def envelopes_expire_due(*, now: datetime | None = None) -> tuple[int, int]:
    """Refund every envelope past its expiry that is still open. Returns (envelopes, fen refunded).
    Each envelope in its own transaction; safe to run from several processes at once."""
    now = now or timezone.now()
    count = refunded = 0
    due = Envelope.objects.filter(status=Envelope.Status.OPEN, expires_at__lte=now).select_related("sender")
    for envelope in due.order_by("expires_at", "id").iterator():
        refunded += envelope_expire(envelope=envelope, at=now)
        count += 1
    return count, refunded
