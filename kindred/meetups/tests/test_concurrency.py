"""Concurrent RSVPs on PostgreSQL: the meetup row lock keeps the seats and the waitlist exact."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial

import pytest
from django.db import connection

from kindred.circles.models import Membership
from kindred.meetups.models import Meetup, Rsvp
from kindred.meetups.services import rsvp_set

SEATS = 4
RACERS = 10


def _race(calls: list[Callable[[], object]]) -> list[BaseException]:
    barrier = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def run(call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            call()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.postgres
def test_concurrent_yes_fills_the_seats_exactly_and_queues_the_rest(
    dinner: Callable[..., Meetup], make_member: Callable[..., Membership]
) -> None:
    m = dinner(capacity=SEATS)  # the host holds one seat
    racers = [make_member(f"racer{i}") for i in range(RACERS)]
    errors = _race([partial(rsvp_set, meetup=m, member=r, answer="yes") for r in racers])
    assert errors == []
    going = Rsvp.objects.filter(meetup=m, status=Rsvp.Status.GOING).count()
    waiting = list(Rsvp.objects.filter(meetup=m, status=Rsvp.Status.WAITLISTED).order_by("queued_at", "id"))
    assert going == SEATS
    assert len(waiting) == RACERS - (SEATS - 1)


@pytest.mark.postgres
def test_seats_freed_concurrently_promote_exactly_that_many_from_the_waitlist(
    dinner: Callable[..., Meetup], make_member: Callable[..., Membership]
) -> None:
    m = dinner(capacity=SEATS)
    people = [make_member(f"p{i}") for i in range(SEATS - 1 + 5)]
    for p in people:
        rsvp_set(meetup=m, member=p, answer="yes")
    seated, queued = people[: SEATS - 1], people[SEATS - 1 :]
    # Three seated members leave while two queued members change their minds and two new ones say yes.
    newcomers = [make_member(f"n{i}") for i in range(2)]
    calls: list[Callable[[], object]] = [partial(rsvp_set, meetup=m, member=p, answer="no") for p in seated]
    calls += [partial(rsvp_set, meetup=m, member=p, answer="maybe") for p in queued[3:]]
    calls += [partial(rsvp_set, meetup=m, member=p, answer="yes") for p in newcomers]
    assert _race(calls) == []
    going = set(Rsvp.objects.filter(meetup=m, status=Rsvp.Status.GOING).values_list("member_id", flat=True))
    waiting = Rsvp.objects.filter(meetup=m, status=Rsvp.Status.WAITLISTED).count()
    assert len(going) == SEATS
    # The earliest queued are served first: queued[0..2] had said yes before any newcomer.
    assert {p.pk for p in queued[:3]} <= going
    assert waiting == 2
