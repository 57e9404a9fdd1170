"""The circle's domain events (kindred.core.events) become cards in its stream, once each: the receivers are
tested by sending the signals as the apps do after their commits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from django.utils import timezone

from kindred.circles.models import Membership
from kindred.circles.signals import member_joined as circles_member_joined
from kindred.conversation import selectors
from kindred.conversation.models import Message
from kindred.core import events
from kindred.ties.services import tie_confirm, tie_declare

from .conftest import Cast

pytestmark = pytest.mark.django_db


def test_circles_sends_the_core_signal() -> None:
    assert circles_member_joined is events.member_joined


def test_a_member_joining_is_one_card_with_their_sponsor_and_whom_they_know(
    cast: Cast, make_member: Callable[..., Membership], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        newcomer = make_member(
            "newbie", sponsor=cast.designer, display_name="新人", title="制片人", city="杭州"
        )
    tie_confirm(
        tie=tie_declare(declarer=newcomer, other=cast.collector, kind="friend"), member=cast.collector
    )
    Message.objects.filter(kind="member_joined").delete()  # as if the ties came first: send again
    events.member_joined.send(sender=Membership, membership=newcomer)
    events.member_joined.send(sender=Membership, membership=newcomer)
    card = Message.objects.get(kind="member_joined")
    assert card.author_id == newcomer.pk
    shaped = selectors.message_get(viewer=cast.origin, message_id=card.pk)
    assert shaped["kind"] == "member_joined" and shaped["text"] == ""
    payload = shaped["payload"]
    assert payload["display_name"] == "新人" and payload["summary"] == "制片人 · 杭州"
    assert payload["sponsor_id"] == cast.designer.pk and payload["sponsor_name"] == "小美"
    assert payload["knows"] == [{"member_id": cast.collector.pk, "display_name": "收藏家"}]


def test_a_live_join_posts_its_card_after_commit(
    cast: Cast, make_member: Callable[..., Membership], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        newcomer = make_member("live_newbie", display_name="新来的")
    assert Message.objects.filter(kind="member_joined", author=newcomer).count() == 1


SENDS: list[tuple[Any, str, Callable[[Cast], dict[str, Any]], str]] = [
    (
        events.envelope_sent,
        "envelope_sent",
        lambda c: {
            "envelope_id": 7,
            "sender_id": c.designer.pk,
            "total_fen": 18800,
            "shares": 10,
            "mode": "lucky",
            "greeting": "恭喜发财",
        },
        "恭喜发财",
    ),
    (
        events.meetup_called,
        "meetup_called",
        lambda c: {
            "meetup_id": 3,
            "host_id": c.origin.pk,
            "title": "周五火锅",
            "city": "北京",
            "starts_at": timezone.make_aware(datetime(2026, 12, 4, 19, 0)),
        },
        "周五火锅",
    ),
    (
        events.trip_announced,
        "trip_announced",
        lambda c: {
            "trip_id": 5,
            "traveller_id": c.collector.pk,
            "city": "上海",
            "starts_on": date(2026, 12, 10),
            "ends_on": date(2026, 12, 12),
        },
        "上海",
    ),
    (
        events.deal_confirmed,
        "deal_confirmed",
        lambda c: {
            "deal_id": 9,
            "party_ids": [c.designer.pk, c.distributor.pk],
            "title": "路演PPT合作",
            "amount_fen": None,
        },
        "路演PPT合作",
    ),
    (
        events.intro_completed,
        "intro_completed",
        lambda c: {
            "intro_id": 11,
            "member_ids": (c.designer.pk, c.collector.pk),
            "connector_id": c.origin.pk,
        },
        "小美",
    ),
]


@pytest.mark.parametrize(("signal", "kind", "kwargs", "shown"), SENDS, ids=[s[1] for s in SENDS])
def test_each_event_is_one_card_whatever_sends_it_twice(
    cast: Cast, signal: Any, kind: str, kwargs: Callable[[Cast], dict[str, Any]], shown: str
) -> None:
    before = selectors.messages_page(viewer=cast.origin)
    for _ in range(2):
        signal.send(sender=Membership, circle_id=cast.origin.circle_id, **kwargs(cast))
    cards = list(Message.objects.filter(circle_id=cast.origin.circle_id, kind=kind))
    assert len(cards) == 1
    page = selectors.messages_page(viewer=cast.origin)
    assert len(page) == len(before) + 1
    card = page[-1]
    assert card["kind"] == kind and card["text"] == "" and card["ask"] is None
    assert shown in str(card["payload"])
    assert selectors.search(viewer=cast.origin, q=shown)[0]["message"]["id"] == card["id"]


def test_a_card_that_cannot_be_written_does_not_fail_the_sender(cast: Cast) -> None:
    events.trip_announced.send(
        sender=Membership, circle_id=cast.origin.circle_id, trip_id=1
    )  # kwargs missing
    assert not Message.objects.filter(kind="trip_announced").exists()
