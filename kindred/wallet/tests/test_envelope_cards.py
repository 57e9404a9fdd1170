"""The conversation's red envelope cards read in one hand-written query (`envelope_cards`): the same answers
as the envelope page's ORM read (`envelope_view`) for every viewer, on SQLite and PostgreSQL: grabs in their
order with names, amounts and the luckiest, the viewer's own grab, whether they may still grab, expiry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kindred.circles.models import Membership
from kindred.wallet.models import Envelope
from kindred.wallet.selectors import envelope_cards, envelope_view
from kindred.wallet.services import envelope_expire, envelope_grab

pytestmark = pytest.mark.django_db


def _orm(envelope: Envelope, viewer: Membership) -> tuple[object, ...]:
    v = envelope_view(envelope=Envelope.objects.get(pk=envelope.pk), viewer=viewer)
    grabs = [(g.member.pk, g.member.card.display_name, g.share.amount_fen, g.luckiest) for g in v.grabs]
    mine = v.mine.share.amount_fen if v.mine is not None else None
    return (grabs, mine, v.is_open, v.is_sender, v.can_grab, v.unclaimed_shares)


def _light(card: object) -> tuple[object, ...]:
    grabs = [(g.member_id, g.name, g.amount_fen, g.luckiest) for g in card.grabs]  # type: ignore[attr-defined]
    mine = card.mine.amount_fen if card.mine is not None else None  # type: ignore[attr-defined]
    return (grabs, mine, card.is_open, card.is_sender, card.can_grab, card.unclaimed_shares)  # type: ignore[attr-defined]


def test_the_cards_read_as_the_envelope_page_does(
    crowd: Callable[[int], list[Membership]], send: Callable[..., Envelope]
) -> None:
    a, b, c, d = crowd(4)
    full = send(a, total_fen=900, shares=2, mode="lucky")  # every share grabbed: the luckiest marked
    now = timezone.now()
    envelope_grab(envelope=full, member=b, at=now)
    envelope_grab(envelope=full, member=c, at=now + timedelta(seconds=1))
    half = send(b, total_fen=600, shares=3, mode="equal")  # one grab, two shares waiting
    envelope_grab(envelope=half, member=d)
    untouched = send(c, total_fen=300, shares=3, mode="lucky")
    expired = send(d, total_fen=400, shares=2, mode="equal", at=now - timedelta(days=3))
    envelope_grab(envelope=expired, member=a, at=now - timedelta(days=3) + timedelta(minutes=1))
    envelope_expire(envelope=Envelope.objects.get(pk=expired.pk))
    ids = [full.pk, half.pk, untouched.pk, expired.pk]
    for viewer in (a, b, c, d):
        with CaptureQueriesContext(connection) as q:
            cards = envelope_cards(viewer=viewer, envelope_ids=[*ids, 10**9])  # an unknown id: left out
        assert len(q.captured_queries) == 1
        assert sorted(cards) == sorted(ids)
        for e in (full, half, untouched, expired):
            assert _light(cards[e.pk]) == _orm(e, viewer), (viewer, e)
    assert envelope_cards(viewer=a, envelope_ids=[]) == {}
    assert [g.luckiest for g in cards[full.pk].grabs].count(True) == 1


def test_another_circles_envelopes_are_left_out(
    crowd: Callable[[int], list[Membership]], send: Callable[..., Envelope]
) -> None:
    (a,) = crowd(1)
    envelope = send(a, shares=1)
    stranger = Membership(pk=10**8, circle_id=10**8)
    assert envelope_cards(viewer=stranger, envelope_ids=[envelope.pk]) == {}
