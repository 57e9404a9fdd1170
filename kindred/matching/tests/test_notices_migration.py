"""matching.Notification rows become inbox rows (kindred.notifications) without losing one: the member of
the circle, the kind, the introduction as the target (and who asked as the actor), the parameters, the time
and the read state."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from kindred.matching import services
from kindred.notifications import selectors
from kindred.notifications.models import Notification
from kindred.notifications.tests.migrating import migrate_latest, migrate_to

# serialized_rollback, as every transactional test here (kindred/conftest.py): the flush keeps the content types.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = [("matching", "0001_introductions_matches_contacts")]


def test_every_matching_notice_moves_into_the_inbox(trio: dict[str, Any]) -> None:
    a, b, c = trio["a"], trio["b"], trio["c"]
    intro = services.intro_request(requester=a, target=b)
    Notification.objects.all().delete()  # what the new code wrote: the migration must write them again
    old = migrate_to(BEFORE)
    Old = old.get_model("matching", "Notification")
    then = timezone.now() - timedelta(days=3)
    names = {"requester": "沈砚秋", "target": "宋知行", "connector": "连接人"}
    Old.objects.create(
        user_id=c.user_id,
        circle_id=c.circle_id,
        kind="intro_to_approve",
        intro_id=intro.pk,
        data=names,
        created_at=then,
    )
    Old.objects.create(
        user_id=a.user_id,
        circle_id=a.circle_id,
        kind="growth",
        data={"count": 2, "member": "新人"},
        created_at=then + timedelta(hours=1),
        read_at=then + timedelta(hours=2),
    )
    migrate_latest()
    moved = {n.kind: n for n in Notification.objects.all()}
    assert set(moved) == {"matching.intro_to_approve", "matching.growth"}
    ask = moved["matching.intro_to_approve"]
    assert (ask.recipient_id, ask.actor_id, ask.target_type, ask.target_id) == (
        c.pk,
        a.pk,
        "matching.introduction",
        intro.pk,
    )
    assert ask.params == names and ask.created_at == then and ask.read_at is None
    assert ask.url == "/c/xinwenyu/intros/"
    growth = moved["matching.growth"]
    assert growth.recipient_id == a.pk and growth.read_at == then + timedelta(hours=2)
    # The inbox reads them in the reader's language, as it reads new ones.
    (item,) = selectors.inbox(member=c)
    assert "沈砚秋" in item.text and "宋知行" in item.text and not item.read
