"""Reads: my ties, the requests either way, and whom a newcomer most likely knows."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.utils import translation
from pytest_django import DjangoAssertNumQueries

from kindred.circles.models import Membership
from kindred.circles.selectors import membership_for_circle
from kindred.circles.services import card_update, membership_remove
from kindred.ties.models import (
    SUGGEST_WEIGHT_CITY_AND_INDUSTRY,
    SUGGEST_WEIGHT_SAME_COMPANY,
    SUGGEST_WEIGHT_SPONSOR_TIE,
)
from kindred.ties.selectors import (
    REASON_CITY_AND_INDUSTRY,
    REASON_SAME_COMPANY,
    REASON_SPONSOR_TIE,
    tie_between,
    tie_overview,
    tie_suggestions,
)
from kindred.ties.services import tie_confirm, tie_declare, tie_ignore

pytestmark = pytest.mark.django_db
MakeMember = Callable[..., Membership]


def _viewer(m: Membership) -> Membership:
    """The membership as a page gets it (circle and card loaded)."""
    return membership_for_circle(user=m.user, slug=m.circle.slug)


def _industries(m: Membership, *codes: str) -> None:
    card_update(membership=m, fields={}, industry_codes=list(codes))


def test_overview_splits_confirmed_incoming_and_outgoing(
    origin: Membership, alice: Membership, bob: Membership, carol: Membership, make_member: MakeMember
) -> None:
    dave = make_member("dave", display_name="Dave")
    tie_confirm(tie=tie_declare(declarer=alice, other=bob, kind="friend"), member=bob)
    tie_declare(declarer=carol, other=alice, kind="colleague")  # incoming for alice
    tie_declare(declarer=alice, other=dave, kind="partner")  # outgoing
    mine = tie_overview(membership=alice)
    assert {v.partner.pk for v in mine.confirmed} == {origin.pk, bob.pk}  # origin: the sponsor tie
    assert [v.partner.pk for v in mine.incoming] == [carol.pk]
    assert [v.partner.pk for v in mine.outgoing] == [dave.pk]
    assert mine.incoming[0].partner.card.display_name == "Carol 陈"
    view = tie_between(membership=carol, other_id=alice.pk)
    assert view is not None and view.direction == "outgoing"
    assert tie_between(membership=carol, other_id=bob.pk) is None


def test_overview_leaves_out_members_who_left(
    origin: Membership, alice: Membership, bob: Membership, carol: Membership
) -> None:
    tie_confirm(tie=tie_declare(declarer=alice, other=bob, kind="friend"), member=bob)
    tie_declare(declarer=carol, other=alice, kind="friend")
    membership_remove(membership=bob, actor=origin, reason="退圈")
    membership_remove(membership=carol, actor=origin, reason="退圈")
    mine = tie_overview(membership=alice)
    assert [v.partner.pk for v in mine.confirmed] == [origin.pk]
    assert mine.incoming == []


@pytest.mark.parametrize("size", [10, 200])
def test_overview_is_one_query(
    size: int, alice: Membership, make_member: MakeMember, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    for i in range(size):
        m = make_member(f"m{size}_{i}")
        tie = tie_declare(declarer=m, other=alice, kind="friend")
        if i % 2:
            tie_confirm(tie=tie, member=alice)
    me = _viewer(alice)
    with django_assert_num_queries(1):
        mine = tie_overview(membership=me)
        names = [v.partner.card.display_name for v in (*mine.confirmed, *mine.incoming)]
    assert len(names) == size + 1


@pytest.fixture
def newcomer_world(make_member: MakeMember, origin: Membership) -> dict[str, Membership]:
    """A newcomer `new` sponsored by `sponsor`, and members they know in each way, or don't."""
    sponsor = make_member("sponsor", display_name="引荐人", city="深圳")
    new = make_member("new", sponsor=sponsor, display_name="新人", company="星河影业", city="成都")
    w = {"sponsor": sponsor, "new": new}
    w["friend_and_colleague"] = make_member("fc", display_name="双重", company="星河影业")
    w["friend"] = make_member("friend", display_name="朋友", city="北京")
    w["colleague"] = make_member("colleague", display_name="同事", company="星河影业", city="上海")
    w["local_peer"] = make_member("local", display_name="同城同行", city="成都")
    w["local_other_trade"] = make_member("local2", display_name="同城外行", city="成都")
    w["stranger"] = make_member("stranger", display_name="陌生人", city="北京")
    w["asked_me"] = make_member("asked", display_name="问过我", company="星河影业")
    w["i_ignored"] = make_member("ignored", display_name="我忽略了", company="星河影业")
    w["removed"] = make_member("removed", display_name="已离开", company="星河影业")
    _industries(new, "games", "music")
    _industries(w["local_peer"], "music")
    _industries(w["local_other_trade"], "film-tv")
    for key in ("friend_and_colleague", "friend", "removed"):
        tie_confirm(tie=tie_declare(declarer=sponsor, other=w[key], kind="friend"), member=w[key])
    tie_declare(declarer=w["asked_me"], other=new, kind="friend")
    tie_ignore(tie=tie_declare(declarer=w["i_ignored"], other=new, kind="friend"), member=new)
    membership_remove(membership=w["removed"], actor=origin, reason="退圈")
    return w


def test_suggestions_rank_by_named_weights_with_reasons(
    newcomer_world: dict[str, Membership], origin: Membership
) -> None:
    w = newcomer_world
    got = tie_suggestions(membership=_viewer(w["new"]))
    ranked = [(s.member.pk, s.score, s.reasons) for s in got]
    both = SUGGEST_WEIGHT_SPONSOR_TIE + SUGGEST_WEIGHT_SAME_COMPANY
    assert ranked[0] == (w["friend_and_colleague"].pk, both, (REASON_SPONSOR_TIE, REASON_SAME_COMPANY))
    # The sponsor's friends (the origin is one: it invited the sponsor), newest first on equal scores.
    assert ranked[1:3] == [
        (w["friend"].pk, SUGGEST_WEIGHT_SPONSOR_TIE, (REASON_SPONSOR_TIE,)),
        (origin.pk, SUGGEST_WEIGHT_SPONSOR_TIE, (REASON_SPONSOR_TIE,)),
    ]
    assert ranked[3:] == [
        (w["colleague"].pk, SUGGEST_WEIGHT_SAME_COMPANY, (REASON_SAME_COMPANY,)),
        (w["local_peer"].pk, SUGGEST_WEIGHT_CITY_AND_INDUSTRY, (REASON_CITY_AND_INDUSTRY,)),
    ]
    # Left out: the sponsor (tied already), whoever asked or was ignored, the removed, the unrelated.
    with translation.override("zh-hans"):
        assert got[0].reason_labels == ["你的引荐人的朋友", "同一家公司"]
        assert got[-1].reason_labels == ["同城同行"]
    assert tie_suggestions(membership=_viewer(w["new"]), limit=2)[1].member.pk == w["friend"].pk


def test_a_suggestion_taken_up_disappears(newcomer_world: dict[str, Membership]) -> None:
    w = newcomer_world
    tie_declare(declarer=w["new"], other=w["colleague"], kind="colleague")
    ids = [s.member.pk for s in tie_suggestions(membership=_viewer(w["new"]))]
    assert w["colleague"].pk not in ids
    assert w["friend"].pk in ids


def test_a_bare_card_gets_no_suggestions_but_the_sponsors_ties(
    origin: Membership, make_member: MakeMember
) -> None:
    lone = make_member("lone", display_name="独行")
    # Sponsored by the origin, whose other ties are the origin's invitees: none here.
    assert tie_suggestions(membership=_viewer(lone)) == []
    assert tie_suggestions(membership=_viewer(origin)) == []  # no sponsor, no company, no city


@pytest.mark.parametrize("size", [10, 200])
def test_suggestions_are_one_query(
    size: int, make_member: MakeMember, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    sponsor = make_member("sp", city="杭州")
    new = make_member("nw", sponsor=sponsor, company="同一家", city="杭州")
    _industries(new, "games")
    for i in range(size):
        m = make_member(f"s{size}_{i}", company="同一家" if i % 3 == 0 else "", city="杭州")
        if i % 2:
            _industries(m, "games")
        if i % 5 == 0:
            tie_confirm(tie=tie_declare(declarer=sponsor, other=m, kind="friend"), member=m)
    me = _viewer(new)
    with django_assert_num_queries(1):
        got = tie_suggestions(membership=me, limit=5)
        cards = [(s.member.card.display_name, s.reason_labels) for s in got]
    assert len(cards) == 5
    assert got[0].score >= got[-1].score
