"""Two answers to one introduction at once, on PostgreSQL with real threads: exactly one wins."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from kindred.core.services import ServiceError
from kindred.matching import services
from kindred.matching.models import Introduction, SuppressedPair
from kindred.ties.models import Tie


@pytest.mark.postgres
def test_concurrent_accept_and_decline_end_in_one_state(trio: dict[str, Any], origin: Any) -> None:
    a, b = trio["a"], trio["b"]
    intro = services.intro_propose(organizer=origin, member=a, other=b)
    services.intro_accept(intro=intro, member=a)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(action: Any) -> None:
        try:
            barrier.wait(timeout=10)
            action(intro=intro, member=b)
            outcomes.append("ok")
        except ServiceError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(f,)) for f in (services.intro_accept, services.intro_decline)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["closed", "ok"]
    intro.refresh_from_db()
    tied = Tie.objects.filter(kind=Tie.Kind.INTRODUCED).exists()
    if intro.status == Introduction.Status.ACCEPTED:
        assert tied and not SuppressedPair.objects.exists()
    else:
        assert intro.status == Introduction.Status.DECLINED and not tied and SuppressedPair.objects.exists()
