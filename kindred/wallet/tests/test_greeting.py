"""The greeting rule, one predicate (kindred/wallet/greeting.py): a newcomer owes a greeting until they have
sent an envelope that qualifies; the first one that qualifies counts; a smaller one locks nobody out.

On SQLite the grab runs the Python text of the rule; on PostgreSQL (marked `postgres`) the grab in the
database calls the installed function, which must be that same text.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import translation

from kindred.circles.models import Membership
from kindred.core.services import PermissionDenied
from kindred.wallet.greeting import (
    GREETING_OWED,
    GREETING_SUGGESTED,
    OWES_GREETING_SQL,
    greeting_owed,
    greeting_status,
)
from kindred.wallet.models import Envelope, GreetingRule
from kindred.wallet.selectors import members_owing_greeting, rules_for
from kindred.wallet.services import circle_settings_update, envelope_grab, greeting_waive

pytestmark = pytest.mark.django_db


def _rule(origin: Membership, rule: str, total: int = 600, shares: int = 2) -> None:
    circle_settings_update(
        circle=origin.circle,
        actor=origin,
        sender_may_grab=False,
        greeting_rule=rule,
        greeting_min_total_fen=total,
        greeting_min_shares=shares,
    )


def _newcomer_under_the_minimum_is_not_locked_out(
    origin: Membership, make_member: Callable[..., Membership], send: Callable[..., Envelope]
) -> None:
    old, *_others = [make_member() for _ in range(4)]  # members enough for envelopes of 5 shares
    _rule(origin, GreetingRule.REQUIRED)
    newcomer = make_member()
    rules = rules_for(circle=origin.circle)
    target = send(old, 300, 3, mode="equal")
    assert greeting_status(membership=newcomer, rules=rules) == GREETING_OWED

    small = send(newcomer, 500, 5)  # below the minimum of 6 yuan: an ordinary envelope
    assert not small.is_greeting
    assert greeting_owed(membership_id=newcomer.pk)
    assert greeting_status(membership=newcomer, rules=rules) == GREETING_OWED  # still reminded
    assert members_owing_greeting(circle=origin.circle, rules=rules) == [newcomer]
    with translation.override("en"), pytest.raises(PermissionDenied) as caught:
        envelope_grab(envelope=target, member=newcomer)
    assert caught.value.code == "greeting_required"
    # The refusal says exactly what to send.
    assert "send a red envelope of at least 6.00 yuan in at least 2 shares" in str(caught.value.message)

    one_share = send(newcomer, 600, 1)  # enough money, too few shares
    assert not one_share.is_greeting and greeting_owed(membership_id=newcomer.pk)

    greeting = send(newcomer, 600, 2)  # the first that qualifies counts
    assert greeting.is_greeting
    assert not send(newcomer, 900, 3).is_greeting  # one greeting per member
    assert not greeting_owed(membership_id=newcomer.pk)
    assert greeting_status(membership=newcomer, rules=rules) is None
    assert members_owing_greeting(circle=origin.circle, rules=rules) == []
    assert envelope_grab(envelope=target, member=newcomer).amount_fen == 100


def test_a_newcomer_whose_first_envelope_is_small_can_still_greet_and_grab(
    origin: Membership,
    make_member: Callable[..., Membership],
    send: Callable[..., Envelope],
    verified: Callable[[], None],
) -> None:
    _newcomer_under_the_minimum_is_not_locked_out(origin, make_member, send)
    verified()


@pytest.mark.postgres
@pytest.mark.parametrize("in_database", [True, False], ids=["database-grab", "orm-grab"])
def test_on_postgresql_both_grabs_follow_the_rule(
    in_database: bool,
    origin: Membership,
    make_member: Callable[..., Membership],
    send: Callable[..., Envelope],
    verified: Callable[[], None],
) -> None:
    with override_settings(WALLET_GRAB_IN_DATABASE=in_database):
        _newcomer_under_the_minimum_is_not_locked_out(origin, make_member, send)
    verified()


@pytest.mark.postgres
def test_the_installed_function_is_the_python_rule() -> None:
    """Migrations 0006 and 0008 froze the rule's text into `wallet_greeting_owed`; a change of
    OWES_GREETING_SQL needs a new migration, or this fails."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'wallet_greeting_owed'")
        (source,) = cursor.fetchone()
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'wallet_envelope_grab'")
        (grab,) = cursor.fetchone()

    def squeeze(text: str) -> str:
        return re.sub(r"\s+", " ", text).strip()

    # PL/pgSQL since migration 0008 (its plan kept per session): BEGIN RETURN (<the rule>); END
    rule = squeeze("SELECT " + OWES_GREETING_SQL.format(member="p_member"))
    assert squeeze(source) == f"BEGIN RETURN ({rule}); END"
    assert "wallet_greeting_owed(p_member)" in grab and "wallet_greetingwaiver" not in grab


def test_a_waiver_or_joining_before_the_rule_owes_nothing(
    origin: Membership, make_member: Callable[..., Membership], send: Callable[..., Envelope]
) -> None:
    before = make_member()
    _rule(origin, GreetingRule.REQUIRED)
    excused = make_member()
    greeting_waive(membership=excused, actor=origin)
    target = send(before, 200, 2, mode="equal")
    assert not greeting_owed(membership_id=before.pk) and not greeting_owed(membership_id=origin.pk)
    assert not greeting_owed(membership_id=excused.pk)
    assert envelope_grab(envelope=target, member=excused).amount_fen == 100
    assert members_owing_greeting(circle=origin.circle, rules=rules_for(circle=origin.circle)) == []


def test_a_suggested_greeting_is_still_suggested_after_a_small_envelope(
    origin: Membership, make_member: Callable[..., Membership], send: Callable[..., Envelope]
) -> None:
    _rule(origin, GreetingRule.SUGGESTED)
    newcomer = make_member()
    rules = rules_for(circle=origin.circle)
    assert not send(newcomer, 100, 1).is_greeting
    assert greeting_status(membership=newcomer, rules=rules) == GREETING_SUGGESTED
    assert not greeting_owed(membership_id=newcomer.pk)  # suggested: never a lock
    assert send(newcomer, 600, 2).is_greeting
    assert greeting_status(membership=newcomer, rules=rules) is None


def test_with_the_rule_off_no_envelope_is_a_greeting(
    origin: Membership, make_member: Callable[..., Membership], send: Callable[..., Envelope]
) -> None:
    _rule(origin, GreetingRule.OFF)
    newcomer = make_member()
    assert not send(newcomer, 600, 2).is_greeting
    assert greeting_status(membership=newcomer, rules=rules_for(circle=origin.circle)) is None
