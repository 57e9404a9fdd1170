"""Two (or more) concurrent accepts of one invitation make exactly one membership. Real threads, PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial

import pytest
from django.contrib.auth.models import User
from django.db import connection

from kindred.circles.models import Membership
from kindred.conftest import PASSWORD
from kindred.core.services import ServiceError
from kindred.invitations.models import Invitation, Nomination
from kindred.invitations.services import invitation_accept, nomination_approve

THREADS = 6


def _race(accepts: list[Callable[[], Membership]]) -> tuple[list[Membership], list[Exception]]:
    barrier = threading.Barrier(len(accepts))
    won: list[Membership] = []
    lost: list[Exception] = []
    lock = threading.Lock()

    def run(accept: Callable[[], Membership]) -> None:
        try:
            barrier.wait()
            result = accept()
            with lock:
                won.append(result)
        except Exception as exc:
            with lock:
                lost.append(exc)
        finally:
            connection.close()  # each thread has its own connection; close it

    threads = [threading.Thread(target=run, args=(a,)) for a in accepts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return won, lost


@pytest.mark.postgres
def test_concurrent_accepts_by_new_usernames_make_one_member(
    origin: Membership, make_member: Callable[..., Membership], nominate: Callable[..., Nomination]
) -> None:
    _, code = nomination_approve(nomination=nominate(make_member("alice")), reviewer=origin)
    before = User.objects.count()
    won, lost = _race(
        [
            partial(invitation_accept, code=code, username=f"racer{i}", password=PASSWORD)
            for i in range(THREADS)
        ]
    )
    assert len(won) == 1, lost
    assert len(lost) == THREADS - 1 and all(
        isinstance(e, ServiceError) and e.status_code == 409 for e in lost
    )
    invitation = Invitation.objects.get()
    assert invitation.membership_id == won[0].pk
    assert Membership.objects.filter(sponsor__user__username="alice").count() == 1
    assert User.objects.count() == before + 1  # the losers created no account


@pytest.mark.postgres
def test_concurrent_accepts_by_one_user_make_one_member(
    origin: Membership, make_user, make_member: Callable[..., Membership], nominate: Callable[..., Nomination]
) -> None:
    _, code = nomination_approve(nomination=nominate(make_member("alice")), reviewer=origin)
    user = make_user("linxiao")
    won, lost = _race([partial(invitation_accept, code=code, user=user) for _ in range(THREADS)])
    assert len(won) == 1, lost
    assert all(isinstance(e, ServiceError) and e.status_code == 409 for e in lost)
    assert Membership.objects.filter(user=user).count() == 1
    assert Invitation.objects.get().accepted_by == user
