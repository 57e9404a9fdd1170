"""The demo story as a plan: the same every time, and shaped like the story it tells (no database)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from kindred.circles.taxonomy import INDUSTRIES
from kindred.demo.people import CITIES
from kindred.demo.story import ANCHOR, NOMINATE_AFTER_DAYS, STORY_DAYS, build_story


def test_the_story_is_the_same_every_time() -> None:
    one, two = build_story(), build_story()
    assert one.joins == two.joins
    assert one.nominations == two.nominations
    assert one.ties == two.ties
    assert one.removal == two.removal
    assert [(e.at, e.kind) for e in one.events()] == [(e.at, e.kind) for e in two.events()]


def test_about_120_members_over_8_months_in_six_cities() -> None:
    story = build_story()
    assert 115 <= len(story.joins) <= 130
    assert {j.person.city for j in story.joins} == set(CITIES)
    first, last = story.joins[0].joined_at, story.joins[-1].joined_at
    assert (last - first).days >= 7 * 30
    assert last < ANCHOR + timedelta(days=STORY_DAYS)
    usernames = [j.person.username for j in story.joins]
    assert len(set(usernames)) == len(usernames)
    assert len({j.person.name for j in story.joins}) == len(usernames)
    codes = {code for code, *_ in INDUSTRIES}
    assert all(set(j.person.industries) <= codes for j in story.joins)
    assert len({i for j in story.joins for i in j.person.industries}) >= 15


def test_the_organizer_invites_first_then_members_nominate() -> None:
    story = build_story()
    by_key = {n.key: n for n in story.nominations}
    first_ten = [by_key[j.nomination] for j in story.joins[:10]]
    assert all(n.direct and n.nominator == "laozhou" for n in first_ten)
    nominated = [by_key[j.nomination] for j in story.joins if not by_key[j.nomination].direct]
    assert len(nominated) >= 90
    joined = {"laozhou": story.created_at, **{j.person.username: j.joined_at for j in story.joins}}
    for n in nominated:
        assert n.nominated_at >= joined[n.nominator] + timedelta(days=NOMINATE_AFTER_DAYS)
        assert n.reviewed_at is not None and n.nominated_at < n.reviewed_at
        assert n.reviewer in ("laozhou", "linwanqing", "zhaoyiming") and n.reviewer != n.nominator
    assert len({n.nominator for n in nominated}) >= 30


def test_the_characters_of_the_story() -> None:
    story = build_story()
    people = story.people
    collector = people["shenyanqiu"]
    assert "收藏" in collector.title and "PPT" in collector.needs and "PPT" in collector.need_tags
    assert {"产品经理", "技术团队"} <= set(collector.need_tags)
    slots = {j.person.username: j.slot for j in story.joins}
    assert 28 <= slots["wangxiong"] <= 32 and people["wangxiong"].city == "成都"
    assert "PPT" in people["fangxiaoyu"].offer_tags
    assert any("短视频发行" in p.offers for p in people.values())


def test_nominations_turned_down_waiting_and_open() -> None:
    outcomes = Counter(n.outcome for n in build_story().nominations)
    assert outcomes["rejected"] >= 3 and outcomes["pending"] >= 2 and outcomes["open"] == 1
    rejected = [n for n in build_story().nominations if n.outcome == "rejected"]
    assert all(len(n.reject_reason) > 10 for n in rejected)


def test_late_joiners_already_know_people_inside() -> None:
    story = build_story()
    joined = {"laozhou": story.created_at, **{j.person.username: j.joined_at for j in story.joins}}
    for tie in story.ties:
        assert tie.declared_at > max(joined[tie.declarer], joined[tie.other])
        if tie.answered_at is not None:
            assert tie.answered_at > tie.declared_at
    late = story.joins[int(len(story.joins) * 0.6) :]
    for join in late:
        earlier = [
            t
            for t in story.ties
            if join.person.username in (t.declarer, t.other)
            and min(joined[t.declarer], joined[t.other]) < join.joined_at
        ]
        assert len(earlier) >= 2, join.person.username
    assert sum(1 for t in story.ties if not t.answer) >= 3
