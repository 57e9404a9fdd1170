"""Posting at once, on PostgreSQL with real threads: the same client_id from the same member gives one
message, and concurrent posts of different members keep the stream one chain in id order."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from kindred.circles.models import Membership
from kindred.conversation.models import Message
from kindred.conversation.services import Posted, message_post

THREADS = 4  # a shared test server has few connections to spare


def _at_once(jobs: list[Callable[[], Any]]) -> tuple[list[Any], list[BaseException]]:
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = []
    errors: list[BaseException] = []

    def run(job: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results.append(job())
        except Exception as exc:  # any failure is the bug this test looks for
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_client_id_at_once_is_one_message(make_member: Callable[..., Membership]) -> None:
    author = make_member("racer", display_name="赛跑者")

    def post(n: int) -> Callable[[], Posted]:
        return lambda: message_post(author=author, text=f"第{n}次", client_id="same", confirm_off_topic=True)

    results, errors = _at_once([post(n) for n in range(THREADS)])
    assert errors == []
    assert Message.objects.filter(author=author, kind="chat").count() == 1  # (their join is a card too)
    ids = {r.message.pk for r in results}
    assert len(ids) == 1
    assert sum(r.created for r in results) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_posts_at_once_keep_one_chain_in_id_order(make_member: Callable[..., Membership]) -> None:
    members = [make_member(f"poster{i}", display_name=f"发言人{i}") for i in range(THREADS)]

    def five(m: Membership) -> Callable[[], list[Posted]]:
        return lambda: [message_post(author=m, text=f"{m.pk}-{k}", confirm_off_topic=True) for k in range(5)]

    _results, errors = _at_once([five(m) for m in members])
    assert errors == []
    rows = list(
        Message.objects.filter(circle_id=members[0].circle_id).order_by("id").values_list("id", "prev_id")
    )
    assert len(rows) == THREADS * 6  # five posts and a join card each
    assert [p for _i, p in rows] == [None, *[i for i, _p in rows[:-1]]]
