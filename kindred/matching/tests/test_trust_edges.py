"""Meetups and deals strengthen the trust graph the matcher ranks with, and refresh its cached matches."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kindred.circles.models import Membership
from kindred.matching.models import EDGE_WEIGHT_DEAL, EDGE_WEIGHT_MET, EDGE_WEIGHT_TIE
from kindred.matching.selectors import match_fingerprint, trust_edges
from kindred.ties.services import tie_confirm, tie_declare, tie_record_deal, tie_record_met

pytestmark = pytest.mark.django_db


def _weight(circle_id: int, a: Membership, b: Membership) -> float:
    pair = {a.pk, b.pk}
    return next(w for x, y, w in trust_edges(circle_id=circle_id) if {x, y} == pair)


def test_meeting_offline_and_a_deal_strengthen_a_declared_tie(make_member: Callable[..., Membership]) -> None:
    a, b = make_member(), make_member()
    tie = tie_declare(declarer=a, other=b, kind="friend")
    tie_confirm(tie=tie, member=b)
    circle = a.circle
    assert _weight(circle.pk, a, b) == EDGE_WEIGHT_TIE
    before = match_fingerprint(circle=circle)
    tie_record_met(a=a, b=b)
    assert _weight(circle.pk, a, b) == EDGE_WEIGHT_TIE + EDGE_WEIGHT_MET
    after_met = match_fingerprint(circle=circle)
    assert after_met != before
    tie_record_deal(a=a, b=b)
    assert _weight(circle.pk, a, b) == EDGE_WEIGHT_TIE + EDGE_WEIGHT_MET + EDGE_WEIGHT_DEAL
    assert match_fingerprint(circle=circle) != after_met


def test_members_who_only_met_at_a_dinner_have_a_met_edge(make_member: Callable[..., Membership]) -> None:
    a, b = make_member(), make_member()
    tie_record_met(a=a, b=b)
    assert _weight(a.circle_id, a, b) == EDGE_WEIGHT_MET
