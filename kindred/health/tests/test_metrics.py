"""The health definitions on hand-built facts (no database): kindred.health.metrics."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kindred.health import metrics
from kindred.health.metrics import (
    AskFact,
    DealFact,
    Facts,
    GrabFact,
    IntroFact,
    Member,
    PostDay,
    RsvpFact,
    TieFact,
)

Z = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 1, 1, 10, 0, tzinfo=Z)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def circle(size: int, *, removed: dict[int, float] | None = None) -> list[Member]:
    """Member 1 is the origin; member k (k >= 2) joins on day k under member 1 (k odd) or k - 1."""
    removed = removed or {}
    out = [Member(id=1, joined_at=day(1), removed_at=None, sponsor_id=None, depth=0, ancestors=(), name="m1")]
    for k in range(2, size + 1):
        sponsor = 1 if k % 2 else k - 1
        parent = next(m for m in out if m.id == sponsor)
        out.append(
            Member(
                id=k,
                joined_at=day(k),
                removed_at=day(removed[k]) if k in removed else None,
                sponsor_id=sponsor,
                depth=parent.depth + 1,
                ancestors=(*parent.ancestors, sponsor),
                name=f"m{k}",
            )
        )
    return out


# --- friends inside ------------------------------------------------------------------------------------


def test_friends_inside_counts_a_confirmed_tie_with_an_earlier_non_sponsor_within_30_days() -> None:
    members = circle(8)
    ties = [
        TieFact(a=1, b=2, confirmed=True, created_at=day(2.1)),  # 2's sponsor is 1: does not count
        TieFact(a=2, b=3, confirmed=True, created_at=day(3.5)),  # 3 (sponsor 1) knew 2: counts
        TieFact(a=1, b=4, confirmed=True, created_at=day(4.5)),  # 4 (sponsor 3) knew the origin: counts
        TieFact(a=2, b=5, confirmed=False, created_at=day(5.5)),  # pending: does not count
        TieFact(a=2, b=6, confirmed=True, created_at=day(6 + 31)),  # 31 days after joining: too late
        TieFact(
            a=7, b=8, confirmed=True, created_at=day(8.5)
        ),  # 8's sponsor is 7: no; 7 knew a later one: no
        TieFact(
            a=6, b=7, confirmed=True, created_at=day(7 + 30)
        ),  # exactly 30 days: counts for 7 (6 earlier)
    ]
    got = metrics.friends_inside(members, ties)
    assert [(c.member_id, c.n, c.knew_inside) for c in got] == [
        (2, 2, False),
        (3, 3, True),
        (4, 4, True),
        (5, 5, False),
        (6, 6, False),
        (7, 7, True),
        (8, 8, False),
    ]


def test_n_is_the_member_count_after_joining_less_earlier_removals() -> None:
    members = circle(6, removed={3: 4.5})
    got = metrics.friends_inside(members, [])
    assert [(c.member_id, c.n) for c in got] == [(2, 2), (3, 3), (4, 4), (5, 4), (6, 5)]
    assert metrics.count_at(members, day(4.6)) == 3


def test_rolling_share_over_the_last_newcomers() -> None:
    newcomers = [metrics.Newcomer(member_id=i, n=i + 1, knew_inside=i >= 3) for i in range(1, 6)]
    shares = metrics.rolling_share(newcomers, window=2)
    assert [(p.n, p.share) for p in shares] == [(2, 0.0), (3, 0.0), (4, 0.5), (5, 1.0), (6, 1.0)]


# --- phase transitions ---------------------------------------------------------------------------------


def test_step_up_found_within_two_of_the_truth_with_noise() -> None:
    rng = random.Random(7)
    series = [1.0 if rng.random() < 0.1 else 0.0 for _ in range(45)]
    series += [1.0 if rng.random() < 0.85 else 0.0 for _ in range(60)]
    found = metrics.step_up_at(series)
    assert found is not None and abs(found - 45) <= 2


@pytest.mark.parametrize(
    "series",
    [
        [0.0] * 80,
        [1.0] * 80,
        [1.0] * 40 + [0.0] * 40,  # a step down is no phase transition
        [0.0, 1.0] * 4,  # too short for two segments
    ],
    ids=["zeros", "ones", "down", "short"],
)
def test_flat_or_falling_series_has_no_step(series: list[float]) -> None:
    assert metrics.step_up_at(series) is None


@pytest.mark.parametrize("seed", range(5))
def test_noise_alone_has_no_step(seed: int) -> None:
    rng = random.Random(seed)
    assert metrics.step_up_at([1.0 if rng.random() < 0.5 else 0.0 for _ in range(120)]) is None


def test_phases_on_a_known_pattern() -> None:
    """40 newcomers: those from member count 21 on each knew an earlier non-sponsor member; deals are
    confirmed once the circle has 30 members."""
    members = circle(41)
    ties = [
        TieFact(a=k - 10, b=k, confirmed=True, created_at=day(k + 1))
        for k in range(21, 42)
        if k - 10 != (1 if k % 2 else k - 1)
    ]
    deals = [
        DealFact(id=k, confirmed_at=day(k + 0.5), origin="meetup", parties=frozenset({k, k - 3}))
        for k in range(30, 42)
    ]
    report = metrics.health(Facts(members=members, ties=ties, deals=deals), now=day(60), zone=Z)
    assert report.phases.friends_inside_at is not None
    assert abs(report.phases.friends_inside_at - 21) <= 2
    assert report.phases.deals_at is not None
    assert abs(report.phases.deals_at - 30) <= 2
    assert [c.n for c in report.friends_inside] == list(range(2, 42))


def test_no_deals_no_phase() -> None:
    report = metrics.health(Facts(members=circle(30)), now=day(40), zone=Z)
    assert report.phases.deals_at is None and report.phases.friends_inside_at is None
    assert report.deals.total == 0 and report.conversation.top_posters_share is None


def test_an_empty_circle() -> None:
    report = metrics.health(Facts(members=circle(1)), now=day(2), zone=Z)
    assert report.newcomers == 0 and report.friends_inside == [] and report.members == 1


# --- growth and deals ----------------------------------------------------------------------------------


def test_growth_by_month_and_by_count() -> None:
    members = circle(40, removed={5: 35})  # joins from 2026-01-02 to 2026-02-10
    by_month, by_count = metrics.growth(members, day(70), Z)
    assert [(g.month, g.joined, g.left, g.members) for g in by_month] == [
        ("2026-01", 30, 0, 30),
        ("2026-02", 10, 1, 39),
        ("2026-03", 0, 0, 39),
    ]
    assert by_count[0].n == 1 and by_count[0].days == 0 and by_count[-1].days == 39


def test_deals_by_count_month_origin_and_the_funnel() -> None:
    members = circle(10)
    deals = [
        DealFact(id=1, confirmed_at=day(5.5), origin="introduction", parties=frozenset({2, 3})),
        DealFact(id=2, confirmed_at=day(5.6), origin="ask", parties=frozenset({4, 5})),
        DealFact(id=3, confirmed_at=day(40), origin="meetup", parties=frozenset({6, 7, 8})),
    ]
    intros = [
        IntroFact(2, 3, 1, "accepted", day(4), closed_at=day(5)),  # then a deal: counted
        IntroFact(6, 8, 1, "accepted", day(4), closed_at=day(41)),  # their deal came before: not counted
        IntroFact(4, 9, 1, "declined", day(4), closed_at=day(6)),
        IntroFact(5, 9, 1, "awaiting_connector", day(7)),
    ]
    d = metrics.deal_numbers(members, deals, intros, Z)
    assert d.total == 3
    assert d.by_origin == {"introduction": 1, "meetup": 1, "ask": 1, "knew_before": 0}
    assert [(p.n, p.deals) for p in d.by_member_count] == [(5, 2), (10, 1)]
    assert [(m.month, m.deals, m.by_origin["ask"]) for m in d.by_month] == [
        ("2026-01", 2, 1),
        ("2026-02", 1, 0),
    ]
    assert (d.funnel.proposed, d.funnel.accepted, d.funnel.deal) == (4, 2, 1)
    assert metrics.deals_per_newcomer(members, deals) == [0, 0, 0, 2, 0, 0, 0, 0, 1]


# --- conversation and engagement -----------------------------------------------------------------------


def test_conversation_numbers() -> None:
    members = circle(12)
    d = date(2026, 1, 20)
    posts = [PostDay(member_id=k, day=d, messages=k) for k in range(1, 13)]  # 78 messages
    asks = [
        AskFact(id=1, asked_at=day(19), caught_at=day(19) + timedelta(hours=2)),
        AskFact(id=2, asked_at=day(19), caught_at=day(19) + timedelta(hours=6)),
        AskFact(id=3, asked_at=day(19), caught_at=None),
    ]
    facts = Facts(members=members, posts=posts, asks=asks)
    report = metrics.health(facts, now=day(25), zone=Z)
    c = report.conversation
    assert (c.messages, c.posters, c.asks, c.caught, c.median_hours_to_catch) == (78, 12, 3, 2, 4.0)
    assert c.top_posters_share == round((78 - 1 - 2) / 78, 4)  # the top 10 leave out members 1 and 2
    assert c.labelled is False and c.chatter_share is None and c.off_topic_share is None
    january = c.by_month[0]
    assert (january.month, january.messages, january.active_members, january.per_active_member) == (
        "2026-01",
        78,
        12,
        6.5,
    )
    labelled = metrics.health(
        Facts(members=members, posts=posts, labels={"on_topic": 6, "chatter": 3, "off_topic": 1}),
        now=day(25),
        zone=Z,
    ).conversation
    assert (labelled.labelled, labelled.chatter_share, labelled.off_topic_share) == (True, 0.3, 0.1)


def test_activity_engagement_and_lost_regulars() -> None:
    members = circle(6, removed={6: 100})
    now = day(150)  # 2026-05-31
    # Member 2: active from January to April, then silent (a lost regular); member 3: two early months
    # and a recent one; member 6 would be lost, but was removed.
    facts = Facts(
        members=members,
        posts=[PostDay(2, date(2026, m, 10), 1) for m in (1, 2, 3)]
        + [PostDay(3, date(2026, m, 10), 2) for m in (1, 2, 5)]
        + [PostDay(6, date(2026, m, 10), 1) for m in (1, 2, 3)],
        grabs=[GrabFact(4, 1, day(140)), GrabFact(3, 1, day(141)), GrabFact(5, 1, day(1))],
        rsvps=[
            RsvpFact(5, 9, day(145), "going", day(130), day(145)),
            RsvpFact(4, 9, day(145), "going", day(131), None),
            RsvpFact(2, 9, day(145), "declined", day(100)),
        ],
        introductions=[IntroFact(4, 5, 1, "accepted", day(125), day(126), day(125), day(127), day(127))],
        ties=[TieFact(4, 5, True, day(20), met_offline_at=day(145))],
    )
    e = metrics.health(facts, now=now, zone=Z).engagement
    # In the last 30 days (after 2026-05-01): 3 posted; 3, 4 grabbed; 4, 5 answered a meetup; 1, 4 and 5
    # took part in the introduction (2026-05-06..08).
    assert (e.members, e.posted, e.grabbed, e.rsvped, e.introduced) == (5, 1, 2, 2, 3)
    assert e.active == 5 - 1  # everyone but member 2
    assert [r.member_id for r in e.lost_regulars] == [2]
    assert e.met_offline_ties == 1
    may = next(m for m in e.by_month if m.month == "2026-05")
    assert (may.meetups, may.going, may.checked_in, may.met_offline_ties, may.grabbers) == (1, 2, 1, 1, 2)
    assert may.envelope_share == round(2 / 5, 4)
    # A grab dated before member 5 joined (day 1 < day 5) is no activity of theirs: January's active
    # members are the three who posted.
    jan = next(m for m in e.by_month if m.month == "2026-01")
    assert jan.active == 3


def test_invite_tree_depth_and_branches() -> None:
    members = circle(7)  # 1 <- 2, 3 <- 4, 5 <- 6, 7: branches under 3, 5, 7 and 2
    facts = Facts(members=members, posts=[PostDay(4, date(2026, 1, 20), 1), PostDay(6, date(2026, 1, 20), 1)])
    e = metrics.health(facts, now=day(25), zone=Z).engagement
    assert e.tree_depth == 2
    assert [(d.depth, d.members) for d in e.by_depth] == [(0, 1), (1, 4), (2, 2)]
    assert [(b.member_id, b.members, b.active) for b in e.branches] == [
        (3, 2, 1),
        (5, 2, 1),
        (2, 1, 0),
        (7, 1, 0),
    ]
