"""On PostgreSQL a grab runs as one database function (migration 0003); the ORM path (SQLite's) must agree.

The same script of sends, grabs, refusals, a removal, the greeting rule, a finish with a tie for the
luckiest and an expiry runs twice on PostgreSQL, once through each path, each time in a transaction rolled
back at its end, with the same clock. Every outcome (amount or refusal: class, code, message) and every
row they leave (shares, envelopes, ledger transactions and entries, balances, audit rows), with the ids
that differ between the runs replaced by what they stand for, must be identical.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from kindred.circles.models import Membership
from kindred.circles.services import membership_remove
from kindred.core.models import AuditEvent
from kindred.core.services import ServiceError
from kindred.wallet.models import Account, Entry, Envelope, GreetingRule, LedgerTransaction, Share
from kindred.wallet.services import (
    circle_settings_update,
    envelope_grab,
    envelope_send,
    envelopes_expire_due,
    greeting_waive,
    topup_create,
)
from kindred.wallet.verify import ledger_verify

pytestmark = pytest.mark.django_db


def _script(origin: Membership, people: list[Membership], t0: datetime) -> list[Any]:
    """Sends and grabs at fixed times; returns each grab's outcome."""
    a, b, c, d, e, owes = people
    at = iter(t0 + timedelta(seconds=i) for i in range(1000))
    topup_create(user=origin.user, amount_fen=100_000, reference="paths-1", at=next(at))
    circle_settings_update(
        circle=origin.circle,
        actor=origin,
        sender_may_grab=True,
        greeting_rule=GreetingRule.REQUIRED,
        greeting_min_total_fen=300,
        greeting_min_shares=2,
        at=t0 - timedelta(days=1),  # everyone here joined under the rule: all owe a greeting ...
    )
    for m in (a, b, c, d, e):
        greeting_waive(membership=m, actor=origin, at=next(at))  # ... but `owes`
    sent = [
        envelope_send(
            sender=origin, total_fen=1000, shares=4, mode="lucky", rng=random.Random(7), at=next(at)
        ),
        envelope_send(sender=origin, total_fen=300, shares=3, mode="equal", at=next(at)),
        envelope_send(
            sender=origin, total_fen=500, shares=3, mode="lucky", rng=random.Random(8), at=next(at)
        ),
    ]
    # Stale copies (status open, as a page loaded earlier holds them): refusals come from the grab itself.
    stale = [Envelope.objects.get(pk=env.pk) for env in sent]
    outcomes: list[Any] = []

    def grab(env: int, member: Membership, when: datetime | None = None, fresh: bool = False) -> None:
        envelope = Envelope.objects.get(pk=sent[env].pk) if fresh else stale[env]
        try:
            share = envelope_grab(envelope=envelope, member=member, at=when or next(at))
        except ServiceError as exc:
            outcomes.append((type(exc).__name__, exc.code, str(exc.message)))
        else:
            position = Share.objects.get(pk=share.pk, amount_fen=share.amount_fen).position
            best = Share.objects.get(pk=envelope.luckiest_id).position if envelope.luckiest_id else None
            outcomes.append(("ok", share.amount_fen, share.claimed_at, position, envelope.status, best))

    grab(0, a)  # a wallet made on first use
    grab(0, b)
    grab(0, a)  # a second grab
    grab(0, owes)  # owes the greeting
    grab(0, origin)  # the sender, allowed in this circle
    grab(0, c)  # the last share: finished, the luckiest marked
    grab(0, d)  # empty
    grab(0, d, fresh=True)  # empty, seen before the grab
    grab(0, a, fresh=True)  # a second grab of a finished envelope
    membership_remove(membership=e, actor=origin, reason="测试", at=next(at))
    grab(1, e)  # removed since the page was loaded
    grab(1, d)
    grab(1, c)
    grab(1, b)  # equal shares: a tie, the earliest grab is the luckiest
    grab(1, a)
    grab(2, a)
    expiry = sent[2].expires_at
    envelopes_expire_due(now=expiry)
    grab(2, b, when=expiry - timedelta(seconds=1))  # refunded while the page was open
    grab(2, c, when=expiry, fresh=True)
    grab(2, a, when=expiry, fresh=True)  # expired, but a grabbed it before
    # The greeting: an envelope below the minimum does not count and locks nobody out; the first that
    # qualifies does.
    topup_create(user=owes.user, amount_fen=1_000, reference="paths-2", at=next(at))
    sent.append(envelope_send(sender=origin, total_fen=200, shares=2, mode="equal", at=next(at)))
    stale.append(Envelope.objects.get(pk=sent[3].pk))
    envelope_send(sender=owes, total_fen=200, shares=2, mode="equal", at=next(at))  # below 300
    grab(3, owes)  # still owes it: the refusal says what to send
    envelope_send(sender=owes, total_fen=300, shares=1, mode="equal", at=next(at))  # too few shares
    grab(3, owes)
    envelope_send(sender=owes, total_fen=300, shares=2, mode="equal", at=next(at))  # the greeting
    grab(3, owes)
    return outcomes


def _rows(envelope_ids: list[int], audit_after: int) -> dict[str, Any]:
    """The rows the script left, with run-specific ids replaced by what they stand for."""
    env_label = {pk: f"envelope{i}" for i, pk in enumerate(envelope_ids)}
    shares = list(Share.objects.filter(envelope_id__in=envelope_ids).order_by("envelope_id", "position"))
    share_label = {s.pk: f"{env_label[s.envelope_id]}/{s.position}" for s in shares}
    accounts = {a.pk: a for a in Account.objects.all()}

    def account_label(pk: int) -> str:
        acc = accounts[pk]
        if acc.kind == Account.Kind.ESCROW:
            return f"escrow of {env_label[Envelope.objects.get(escrow_id=pk).pk]}"
        return f"{acc.kind}:{acc.user_id or acc.code}"

    def reference(ref: str) -> str:
        kind, _sep, rest = ref.partition(":")
        if kind == "share":
            return share_label[int(rest)]
        if kind == "envelope":
            return env_label[int(rest)]
        return ref

    txns = LedgerTransaction.objects.filter(envelope_id__in=envelope_ids).order_by("id")
    entries = Entry.objects.filter(transaction__in=txns).order_by("transaction_id", "id")
    by_txn: dict[int, list[tuple[str, int]]] = {}
    for entry in entries:
        by_txn.setdefault(entry.transaction_id, []).append((account_label(entry.account_id), entry.amount))
    touched = {entry.account_id for entry in Entry.objects.all()}
    audit = []
    for ev in AuditEvent.objects.filter(id__gt=audit_after).order_by("id"):
        target: Any = ev.target_id
        if ev.target_type == "wallet.envelope":
            target = env_label[ev.target_id]  # type: ignore[index]
        elif ev.target_type == "wallet.payment":
            target = None
        data = dict(ev.data)
        if "share" in data:
            data["share"] = share_label[data["share"]]
        audit.append((ev.occurred_at, ev.action, ev.actor_id, ev.circle_id, ev.target_type, target, data))
    return {
        "shares": [
            (share_label[s.pk], s.amount_fen, s.claimed_by_id, s.claimed_at, s.refunded) for s in shares
        ],
        "envelopes": [
            (env_label[e.pk], e.status, e.finished_at, e.refunded_fen, share_label.get(e.luckiest_id or 0))
            for e in Envelope.objects.filter(pk__in=envelope_ids).order_by("id")
        ],
        "transactions": [
            (t.kind, reference(t.reference), env_label[t.envelope_id], t.actor_id, t.created_at, by_txn[t.pk])  # type: ignore[index]
            for t in txns
        ],
        # Accounts with entries (the ORM path also makes the wallet of a member whose grab is refused).
        "balances": sorted((account_label(pk), a.balance) for pk, a in accounts.items() if pk in touched),
        "audit": audit,
    }


def _run(origin: Membership, people: list[Membership], t0: datetime, *, in_database: bool) -> Any:
    audit_after = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with override_settings(WALLET_GRAB_IN_DATABASE=in_database), transaction.atomic():
        before = set(Envelope.objects.values_list("id", flat=True))
        outcomes = _script(origin, people, t0)
        envelope_ids = sorted(set(Envelope.objects.values_list("id", flat=True)) - before)
        rows = _rows(envelope_ids, audit_after)
        problems = ledger_verify()
        transaction.set_rollback(True)
    return outcomes, rows, problems


def test_the_database_grab_and_the_orm_grab_leave_the_same_rows(
    origin: Membership, make_member: Callable[..., Membership]
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the database grab exists on PostgreSQL only")
    people = [make_member() for _ in range(6)]
    t0 = timezone.now()
    fast = _run(origin, people, t0, in_database=True)
    orm = _run(origin, people, t0, in_database=False)
    assert fast[2] == [] and orm[2] == []
    assert fast[0] == orm[0]
    assert fast[1] == orm[1]
    # The script reaches every outcome.
    codes = {o[1] if o[0] != "ok" else "ok" for o in fast[0]}
    assert codes == {
        "ok",
        "already_grabbed",
        "greeting_required",
        "envelope_empty",
        "envelope_expired",
        "invalid",  # NotFound for the removed member
    }, codes
    greeting = [o[0] for o in fast[0][-3:]]
    assert greeting == ["PermissionDenied", "PermissionDenied", "ok"], fast[0][-3:]
    assert "3.00" in fast[0][-3][2]  # the refusal names the minimum
    statuses = [o[4] for o in fast[0] if o[0] == "ok"]
    assert statuses.count(Envelope.Status.FINISHED) == 2  # the last grab of each of the first two
    luckiest = {row[0]: row[4] for row in fast[1]["envelopes"]}
    assert luckiest["envelope0"] and luckiest["envelope2"] is None
    assert luckiest["envelope1"] == "envelope1/0"  # a tie of equal shares: the earliest grab


def test_the_apis_one_round_trip_grab_answers_as_the_general_path(
    make_member: Callable[..., Membership], origin: Membership
) -> None:
    """POST /envelopes/<id>/grab (a browser session): on PostgreSQL `envelope_grab_answer` (migrations 0010,
    0012) grabs and writes the answer in one statement; its answer is the JSON the general path gives
    (envelope_view + envelope_out) for the same envelope, grab after grab up to the finish (the luckiest
    marked), and every refusal (sender, second grab, empty, outsider) is the general path's."""
    from django.test import Client

    people = [make_member() for _ in range(3)]
    topup_create(user=origin.user, amount_fen=10_000, reference="as-1")
    env = envelope_send(sender=origin, total_fen=900, shares=3, mode="lucky", rng=random.Random(3))
    for i, member in enumerate(people):
        client = Client()
        client.force_login(member.user)
        answer = client.post(f"/api/v1/envelopes/{env.pk}/grab")
        assert answer.status_code == 200, answer.content
        expected = client.get(f"/api/v1/envelopes/{env.pk}").json()  # the general path's envelope_out
        assert answer.json()["envelope"] == expected
        assert answer.json()["amount_fen"] == expected["my_amount_fen"]
        assert expected["grabbed_count"] == i + 1
    assert expected["status"] == "finished" and sum(g["luckiest"] for g in expected["grabs"]) == 1
    refusals = {}
    for who in (origin, people[0], make_member()):
        client = Client()
        client.force_login(who.user)
        got = client.post(f"/api/v1/envelopes/{env.pk}/grab")
        refusals[who.pk] = (got.status_code, got.json()["code"])
    assert list(refusals.values()) == [
        (403, "own_envelope"),
        (409, "already_grabbed"),
        (410, "envelope_empty"),
    ]
    assert ledger_verify() == []
