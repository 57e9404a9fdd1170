"""meetups.Notice rows become inbox rows (kindred.notifications) without losing one: the member, the kind,
the meetup as the target, its title, start and venue as parameters, the time and the read state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from kindred.circles.models import Membership
from kindred.meetups.models import Meetup
from kindred.notifications.models import Notification
from kindred.notifications.tests.migrating import migrate_latest, migrate_to

# serialized_rollback, as every transactional test here (kindred/conftest.py): the flush keeps the content types.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = [("meetups", "0001_initial")]


def test_every_meetup_notice_moves_into_the_inbox(
    dinner: Callable[..., Meetup], alice: Membership, bob: Membership, origin: Membership
) -> None:
    meetup = dinner()
    Notification.objects.all().delete()
    old = migrate_to(BEFORE)
    Notice = old.get_model("meetups", "Notice")
    then = timezone.now() - timedelta(days=1)
    for member, kind, read in ((alice, "invited", None), (bob, "reminder", then), (alice, "promoted", None)):
        Notice.objects.create(
            member_id=member.pk, meetup_id=meetup.pk, kind=kind, created_at=then, read_at=read
        )
    migrate_latest()
    moved = sorted(Notification.objects.all(), key=lambda n: n.pk)
    assert [(n.recipient_id, n.kind, n.read_at) for n in moved] == [
        (alice.pk, "meetups.invited", None),
        (bob.pk, "meetups.reminder", then),
        (alice.pk, "meetups.promoted", None),
    ]
    invited = moved[0]
    assert invited.actor_id == origin.pk and (invited.target_type, invited.target_id) == (
        "meetups.meetup",
        meetup.pk,
    )
    assert invited.params == {
        "title": "上海饭局, 第一次",
        "when": invited.params["when"],
        "venue": "外滩, 三楼",
    }
    assert invited.url == f"/c/xinwenyu/meetups/{meetup.pk}/" and invited.created_at == then
