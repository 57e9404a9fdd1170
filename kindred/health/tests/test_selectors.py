"""The health selector on a circle built through the services with a known pattern: the first members join
with no friends inside, later ones each confirm a tie with an earlier member who is not their sponsor,
and deals are confirmed only once the circle has a given size. Query counts are pinned: the health
selector's, and each of the selectors it reads through."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kindred.circles.models import Membership
from kindred.circles.selectors import membership_timeline
from kindred.circles.services import membership_create
from kindred.conversation.models import Kind
from kindred.conversation.selectors import ask_timeline, posts_by_member_day
from kindred.conversation.services import ask_mark_caught, message_post
from kindred.deals.selectors import counted_deal_parties
from kindred.deals.services import deal_confirm, deal_create
from kindred.health.selectors import circle_health
from kindred.matching.selectors import introduction_timeline
from kindred.matching.services import intro_accept, intro_approve, intro_request
from kindred.meetups.selectors import rsvp_timeline
from kindred.meetups.services import meetup_create, rsvp_set
from kindred.ties.selectors import tie_timeline
from kindred.ties.services import tie_confirm, tie_declare, tie_record_sponsor
from kindred.wallet.selectors import envelope_grabs
from kindred.wallet.services import envelope_grab, envelope_send, topup_create

NEWCOMERS = 36
KNEW_FROM_N = 19  # from this member count on, each newcomer knew an earlier member (not their sponsor)
DEALS_FROM_N = 28  # deals are confirmed once the circle has this many members
HEALTH_QUERIES = 8


def _build(origin: Membership, make_user: Callable[..., User]) -> list[Membership]:
    """Member k (k = 2..NEWCOMERS + 1, the member count after joining) joins on day k, sponsored by the
    origin (odd k) or by member k - 1 (even k)."""
    base = origin.joined_at
    members = [origin]
    for k in range(2, NEWCOMERS + 2):
        sponsor = origin if k % 2 else members[k - 2]
        m = membership_create(
            circle=origin.circle,
            user=make_user(f"h10_{k}"),
            sponsor=sponsor,
            joined_at=base + timedelta(days=k),
            card_fields={"display_name": f"成员{k}"},
        )
        tie_record_sponsor(sponsor=sponsor, invitee=m, at=m.joined_at)
        members.append(m)
        if k >= KNEW_FROM_N:
            other = members[k - 12]  # joined earlier; never the sponsor (origin or member k - 1)
            at = m.joined_at + timedelta(days=2)
            tie = tie_declare(declarer=m, other=other, kind="friend", at=at)
            tie_confirm(tie=tie, member=other, at=at + timedelta(hours=3))
        if k >= DEALS_FROM_N:
            a, b = members[k - 1], members[k - 5]
            at = m.joined_at + timedelta(hours=6)
            deal = deal_create(
                circle=origin.circle,
                creator=a,
                kind="cooperation",
                title=f"合作{k}",
                party_ids=[b.pk],
                origin="meetup" if k % 2 else "ask",
                origin_note="聚会",
                at=at,
            )
            deal_confirm(deal=deal, member=b, at=at + timedelta(hours=1))
    return members


@pytest.fixture
def built(origin: Membership, make_user: Callable[..., User]) -> list[Membership]:
    return _build(origin, make_user)


def test_the_known_pattern_and_its_phases(built: list[Membership]) -> None:
    origin = built[0]
    now = origin.joined_at + timedelta(days=NEWCOMERS + 10)
    with CaptureQueriesContext(connection) as queries:
        report = circle_health(circle_id=origin.circle_id, now=now)
    assert len(queries) == HEALTH_QUERIES
    assert [(c.member_id, c.n, c.knew_inside) for c in report.friends_inside] == [
        (m.pk, k, k >= KNEW_FROM_N) for k, m in enumerate(built[1:], start=2)
    ]
    assert report.phases.friends_inside_at is not None
    assert abs(report.phases.friends_inside_at - KNEW_FROM_N) <= 2
    assert report.phases.deals_at is not None
    assert abs(report.phases.deals_at - DEALS_FROM_N) <= 2
    assert report.deals.total == NEWCOMERS + 2 - DEALS_FROM_N
    assert min(p.n for p in report.deals.by_member_count) == DEALS_FROM_N
    assert report.engagement.tree_depth == 2


def test_the_query_count_does_not_grow_with_the_circle(
    origin: Membership, make_member: Callable[..., Membership]
) -> None:
    with CaptureQueriesContext(connection) as queries:
        report = circle_health(circle_id=origin.circle_id)
    assert len(queries) == HEALTH_QUERIES
    assert report.phases.friends_inside_at is None and report.phases.deals_at is None
    assert report.newcomers == 0


def test_the_other_apps_selectors_read_in_one_query_each(
    built: list[Membership], django_assert_num_queries: Any
) -> None:
    origin, a, b, c = built[0], built[5], built[9], built[12]
    circle_id = origin.circle_id
    at = origin.joined_at + timedelta(days=NEWCOMERS + 3)
    asked = message_post(author=a, text="谁认识做动画发行的朋友？", kind=Kind.ASK, at=at).message
    message_post(author=b, text="我来介绍", at=at + timedelta(minutes=5))
    ask_mark_caught(message_id=asked.pk, member=a, catcher_id=b.pk, at=at + timedelta(hours=2))
    meetup = meetup_create(
        circle=origin.circle,
        host=a,
        title="周五晚饭",
        city="北京",
        starts_at=at + timedelta(days=2),
        ends_at=at + timedelta(days=2, hours=3),
        at=at,
    )
    rsvp_set(meetup=meetup, member=b, answer="yes", at=at + timedelta(hours=1))
    intro = intro_request(requester=c, target=b, via=origin, note="想认识", at=at)
    intro_approve(intro=intro, member=origin, at=at + timedelta(hours=1))
    intro_accept(intro=intro, member=b, at=at + timedelta(hours=2))
    topup_create(user=a.user, amount_fen=10_000, at=at)
    envelope = envelope_send(sender=a, total_fen=1_000, shares=2, mode="equal", at=at)
    envelope_grab(envelope=envelope, member=b, at=at + timedelta(minutes=1))

    for selector in (
        membership_timeline,
        tie_timeline,
        counted_deal_parties,
        introduction_timeline,
        rsvp_timeline,
        envelope_grabs,
        posts_by_member_day,
        ask_timeline,
    ):
        with django_assert_num_queries(1):
            selector(circle_id=circle_id)

    assert {(author, n) for author, _day, n in posts_by_member_day(circle_id=circle_id)} == {
        (a.pk, 1),
        (b.pk, 1),
    }
    assert ask_timeline(circle_id=circle_id) == [(asked.ask.pk, at, at + timedelta(hours=2))]
    rows = rsvp_timeline(circle_id=circle_id)
    assert {(r[0], r[3]) for r in rows} == {(a.pk, "going"), (b.pk, "going")}
    (intro_row,) = introduction_timeline(circle_id=circle_id)
    assert intro_row[:4] == (c.pk, b.pk, origin.pk, "accepted")
    assert envelope_grabs(circle_id=circle_id) == [(b.pk, envelope.pk, at + timedelta(minutes=1))]
    report = circle_health(circle_id=circle_id, now=at + timedelta(days=3))
    assert (report.conversation.messages, report.conversation.asks, report.conversation.caught) == (2, 1, 1)
    assert report.conversation.median_hours_to_catch == 2.0
    assert (report.deals.funnel.proposed, report.deals.funnel.accepted) == (1, 1)
    assert (report.engagement.rsvped, report.engagement.grabbed, report.engagement.introduced) == (2, 1, 3)
