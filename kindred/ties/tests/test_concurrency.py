"""Two members declaring towards each other at the same moment, on PostgreSQL with real threads."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from kindred.circles.models import Membership
from kindred.ties.models import Tie
from kindred.ties.services import tie_declare

ROUNDS = 5


def _declare_at_once(a: Membership, b: Membership) -> list[BaseException]:
    """a declares towards b and b towards a, released together; returns what either raised."""
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def declare(me: Membership, other: Membership) -> None:
        try:
            barrier.wait(timeout=10)
            tie_declare(declarer=me, other=other, kind="friend")
        except Exception as exc:  # any failure of either side is the bug this test looks for
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=declare, args=pair) for pair in ((a, b), (b, a))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return errors


# serialized_rollback: the flush after a transactional test would also wipe the curated industries that a
# data migration loads, and tests running after this one need them.
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_opposite_declarations_at_once_make_exactly_one_confirmed_tie(
    make_member: Callable[..., Membership],
) -> None:
    for round_ in range(ROUNDS):
        a = make_member(f"race_a{round_}")
        b = make_member(f"race_b{round_}")
        assert _declare_at_once(a, b) == []
        low, high = sorted((a.pk, b.pk))
        rows = list(
            Tie.objects.filter(member_low_id=low, member_high_id=high).values_list("status", flat=True)
        )
        assert rows == [Tie.Status.CONFIRMED]
