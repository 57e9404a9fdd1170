"""The demo story's meetups and deals chapter (see extensions.py).

老周 lives in 北京 and hosts dinners there, open to the circle; when he travels to 上海 or 杭州 he says so
(a trip), takes the best-ranked members there from the trip's list and invites them. Guests answer, some
from the waitlist; at the table they check in, which ties everyone present as "met offline". After the
杭州 dinner in August, 沈砚秋 (the collector who wants an app for her collection's stories) and 宋知行
(a CTO) start a joint venture. Deals come mostly after the circle passes a hundred members, each traced to
where it came from; 许嘉文 invests in 唐骁's round after an introduction.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kindred.circles.models import Membership
from kindred.deals.models import Deal
from kindred.deals.services import deal_confirm, deal_create, deal_stage_set
from kindred.meetups.models import Meetup
from kindred.meetups.selectors import trip_suggestions
from kindred.meetups.services import (
    checkin_record,
    followup_create,
    meetup_create,
    meetup_from_trip,
    meetup_notes_set,
    rsvp_set,
    trip_create,
)

from .extensions import DemoContext
from .story import ZONE

ORGANIZER = "laozhou"
HOME_CITY = "北京"
SEATS = 12
GUESTS_INVITED = 14  # a trip's dinner invites a few more than the table seats: the waitlist
YES_SHARE = 0.75
MAYBE_SHARE = 0.1
SHOW_SHARE = 0.9  # of those going, how many turn up and check in
DEALS_FROM_MEMBERS = 100  # deals appear mostly once the circle is this big
GENERATED_DEALS = 10
UPCOMING_ANSWERS = 9


@dataclass(frozen=True)
class Dinner:
    city: str
    day: date
    title: str
    must: tuple[str, ...] = ()  # guests the story needs at this table
    notes: str = ""
    follow_up: tuple[str, str, str] | None = None  # (a, b, why)


DINNERS = (
    Dinner(
        "北京",
        date(2026, 3, 21),
        "北京开春饭局",
        must=("chenmo", "suman"),
        notes="第一次线下聚，大家都说要常聚。",
    ),
    Dinner("上海", date(2026, 4, 25), "上海小聚：短剧与动画", must=("linwanqing", "gaoyuan")),
    Dinner("杭州", date(2026, 5, 23), "西湖边的晚饭", must=("shenyanqiu",)),
    Dinner("北京", date(2026, 6, 27), "北京夏日饭局", must=("mengfan", "tangxiao")),
    Dinner("上海", date(2026, 7, 25), "上海饭局：出海与发行", must=("linwanqing",)),
    Dinner(
        "杭州",
        date(2026, 8, 29),
        "杭州饭局：藏品与科技",
        must=("shenyanqiu", "songzhixing", "fangxiaoyu"),
        notes="沈老师讲了几件藏品背后的故事，宋知行当场说可以一起做一个讲藏品故事的小程序。",
        follow_up=("shenyanqiu", "songzhixing", "藏品故事小程序：先出一个原型"),
    ),
    Dinner("北京", date(2026, 9, 26), "北京秋天的饭局", must=("tangxiao", "mengfan")),
    Dinner("上海", date(2026, 10, 24), "上海饭局：AIGC 和短剧", must=("linwanqing", "gaoyuan")),
    Dinner("杭州", date(2026, 11, 14), "杭州冬至前的饭局", must=("shenyanqiu", "songzhixing")),
)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


def _in_city(ctx: DemoContext, city: str, at: datetime) -> list[Membership]:
    return sorted(
        (
            m
            for m in ctx.present_at(at)
            if m.is_active and m.card.city == city and m.user.username != ORGANIZER
        ),
        key=lambda m: m.pk,
    )


def _dinner(ctx: DemoContext, plan: Dinner, rng: random.Random) -> Meetup:
    host = ctx.members[ORGANIZER]
    start = _at(plan.day, 19)
    announced = start - timedelta(days=12)
    must = [ctx.members[u] for u in plan.must if u in ctx.members and ctx.members[u].joined_at < announced]
    if plan.city == HOME_CITY:
        meetup = meetup_create(
            circle=ctx.circle,
            host=host,
            title=plan.title,
            city=plan.city,
            venue="东城区 · 胡同里的私房菜",
            starts_at=start,
            ends_at=start + timedelta(hours=2, minutes=30),
            capacity=SEATS,
            at=announced,
        )
        local = _in_city(ctx, plan.city, announced)
        guests = must + [m for m in rng.sample(local, min(len(local), GUESTS_INVITED)) if m not in must]
    else:
        trip = trip_create(
            traveller=host,
            city=plan.city,
            starts_on=plan.day,
            ends_on=plan.day + timedelta(days=2),
            at=announced - timedelta(days=2),
        )
        ranked = [s.member for s in trip_suggestions(trip=trip)]
        guests = must + [m for m in ranked if m not in must][: GUESTS_INVITED - len(must)]
        meetup = meetup_from_trip(
            trip=trip,
            host=host,
            member_ids=[m.pk for m in guests],
            title=plan.title,
            venue="外滩边的本帮菜馆" if plan.city == "上海" else "西湖边的杭帮菜馆",
            starts_at=start,
            capacity=SEATS,
            at=announced,
        )
    guests = guests[:GUESTS_INVITED]
    going: list[Membership] = []
    for i, guest in enumerate(guests):
        roll = rng.random()
        answer = (
            "yes"
            if guest in must or roll < YES_SHARE
            else ("maybe" if roll < YES_SHARE + MAYBE_SHARE else "no")
        )
        rsvp = rsvp_set(meetup=meetup, member=guest, answer=answer, at=announced + timedelta(hours=3 + 5 * i))
        if rsvp.status == "going":
            going.append(guest)
    # Two days before, someone has to cancel: the first on the waitlist gets the seat.
    leaving = next((m for m in going if m not in must), None)
    if leaving is not None:
        rsvp_set(meetup=meetup, member=leaving, answer="no", at=start - timedelta(days=2))
    seated = [
        r.member
        for r in meetup.rsvps.select_related("member").filter(status="going").order_by("queued_at", "id")
    ]
    came = [m for m in seated if m.pk == host.pk or m in must or rng.random() < SHOW_SHARE]
    for i, member in enumerate(came):
        # The host checks in the first few at the door; the rest check themselves in.
        actor = host if i % 3 == 0 else member
        checkin_record(meetup=meetup, actor=actor, member=member, at=start + timedelta(minutes=10 + i))
    end = start + timedelta(hours=3)
    if plan.notes:
        meetup_notes_set(meetup=meetup, actor=host, notes=plan.notes, at=end)
    if plan.follow_up is not None:
        a, b, why = plan.follow_up
        followup_create(
            meetup=meetup, actor=host, member_a=ctx.members[a], member_b=ctx.members[b], note=why, at=end
        )
    return meetup


def _hundredth_join(ctx: DemoContext) -> datetime:
    joins = sorted(m.joined_at for m in ctx.members.values())
    return joins[min(DEALS_FROM_MEMBERS, len(joins)) - 1]


def _record(
    ctx: DemoContext,
    *,
    creator: str,
    others: list[str],
    at: datetime,
    confirm_after: timedelta | None = timedelta(days=1),
    stages: tuple[tuple[str, timedelta], ...] = (),
    **fields: object,
) -> Deal:
    deal = deal_create(
        circle=ctx.circle,
        creator=ctx.members[creator],
        party_ids=[ctx.members[u].pk for u in others],
        at=at,
        **fields,  # type: ignore[arg-type]
    )
    if confirm_after is not None:
        for i, u in enumerate(others):
            deal_confirm(deal=deal, member=ctx.members[u], at=at + confirm_after + timedelta(hours=i))
    for stage, after in stages:
        deal_stage_set(deal=deal, member=ctx.members[creator], stage=stage, at=at + after)
    return deal


def _deals(ctx: DemoContext, dinners: dict[str, Meetup], rng: random.Random) -> None:
    d100 = _hundredth_join(ctx)
    # Before the circle is big: two members who already knew each other, and one from the first dinners.
    _record(
        ctx,
        creator="linwanqing",
        others=["mengfan"],
        at=_at(date(2026, 5, 12), 15),
        kind=Deal.Kind.COOPERATION,
        title="竖屏短剧联合出品",
        origin=Deal.Origin.KNEW_BEFORE,
        stage=Deal.Stage.SIGNED,
        amount_fen=150_000_000,
        stages=(("closed", timedelta(days=60)),),
    )
    _record(
        ctx,
        creator="gaoyuan",
        others=["linwanqing"],
        at=_at(date(2026, 6, 3), 11),
        kind=Deal.Kind.COOPERATION,
        title="动画短剧试水：三集样片",
        origin=Deal.Origin.MEETUP,
        origin_meetup=dinners["上海小聚：短剧与动画"],
        stage=Deal.Stage.SIGNED,
    )
    after = d100 + timedelta(days=2)
    # The joint venture: two complementary companies, traced to the 杭州 dinner.
    _record(
        ctx,
        creator="shenyanqiu",
        others=["songzhixing"],
        at=after,
        kind=Deal.Kind.JOINT_VENTURE,
        title="砚知文化：讲藏品故事的小程序（合资公司）",
        description="砚秋堂出藏品和内容，知行科技出产品和技术团队，各占一半。",
        origin=Deal.Origin.MEETUP,
        origin_meetup=dinners["杭州饭局：藏品与科技"],
        amount_fen=300_000_000,
        stage=Deal.Stage.SIGNED,
        stages=(("closed", timedelta(days=30)),),
    )
    # The investment: an introduction by 林婉清.
    _record(
        ctx,
        creator="xujiawen",
        others=["tangxiao"],
        at=after + timedelta(days=9),
        kind=Deal.Kind.INVESTMENT,
        title="嘉文资本领投元象AI A轮",
        origin=Deal.Origin.INTRODUCTION,
        origin_note="林婉清介绍：她的短剧在用元象的AI分镜",
        amount_fen=2_000_000_000,
        stages=(("signed", timedelta(days=12)), ("closed", timedelta(days=40))),
    )
    _record(
        ctx,
        creator="tangxiao",
        others=["fangxiaoyu"],
        at=after + timedelta(days=4),
        kind=Deal.Kind.PURCHASE,
        title="A轮路演BP",
        origin=Deal.Origin.ASK,
        origin_note="在群里问谁做BP最好",
        amount_fen=8_000_000,
        amount_public=True,
        stage=Deal.Stage.CLOSED,
    )
    _record(
        ctx,
        creator="hexiaofeng",
        others=["wangxiong"],
        at=after + timedelta(days=15),
        kind=Deal.Kind.COOPERATION,
        title="川西景区直播季",
        origin=Deal.Origin.INTRODUCTION,
        origin_note="老周牵的线",
        stage=Deal.Stage.SIGNED,
    )
    _record(
        ctx,
        creator="gaoyuan",
        others=["liangzijian"],
        at=after + timedelta(days=20),
        kind=Deal.Kind.REFERRAL,
        title="动画IP海外授权的法律顾问",
        origin=Deal.Origin.MEETUP,
        origin_note="上海饭局上聊起",
        stage=Deal.Stage.SIGNED,
    )
    # Waiting for the other party, and one that fell through.
    _record(
        ctx,
        creator="chenmo",
        others=["luoxiaolan"],
        at=_at(date(2026, 11, 10), 16),
        confirm_after=None,
        kind=Deal.Kind.COOPERATION,
        title="原创音乐人小型巡演",
        origin=Deal.Origin.MEETUP,
        origin_meetup=dinners["北京秋天的饭局"],
    )
    _record(
        ctx,
        creator="huangyifan",
        others=["gaoyuan"],
        at=after + timedelta(days=6),
        kind=Deal.Kind.COOPERATION,
        title="动画IP潮玩联名",
        origin=Deal.Origin.ASK,
        stages=(("abandoned", timedelta(days=25)),),
    )
    # Members who met at the dinners doing smaller business with each other.
    met = [
        sorted(
            r.member.user.username
            for r in m.rsvps.select_related("member__user").filter(checked_in_at__isnull=False)
        )
        for m in dinners.values()
    ]
    kinds = (Deal.Kind.COOPERATION, Deal.Kind.PURCHASE, Deal.Kind.HIRING, Deal.Kind.REFERRAL)
    titles = {
        Deal.Kind.COOPERATION: "联合做一档内容",
        Deal.Kind.PURCHASE: "采购一批服务",
        Deal.Kind.HIRING: "推荐了一位制片",
        Deal.Kind.REFERRAL: "转介绍一个客户",
    }
    for i in range(GENERATED_DEALS):
        table = [u for u in rng.choice(met) if u != ORGANIZER]
        if len(table) < 2:
            continue
        a, b = rng.sample(table, 2)
        kind = rng.choice(kinds)
        at = after + timedelta(days=3 + i * 5, hours=rng.randrange(9, 18))
        from_meetup = rng.random() < 0.5
        _record(
            ctx,
            creator=a,
            others=[b],
            at=at,
            kind=kind,
            title=titles[kind],
            origin=Deal.Origin.MEETUP
            if from_meetup
            else rng.choice((Deal.Origin.KNEW_BEFORE, Deal.Origin.ASK)),
            origin_note="饭局上认识的" if from_meetup else "",
            amount_fen=rng.randrange(5, 200) * 1_000_000,
            stage=Deal.Stage.SIGNED,
        )


def replay(ctx: DemoContext) -> None:
    rng = ctx.rng("meetups")
    dinners = {plan.title: _dinner(ctx, plan, rng) for plan in DINNERS}
    # The next dinner in 北京, already announced at the end of the story.
    host = ctx.members[ORGANIZER]
    start = _at(date(2026, 12, 12), 19)
    upcoming = meetup_create(
        circle=ctx.circle,
        host=host,
        title="北京年末饭局",
        city=HOME_CITY,
        venue="东城区 · 胡同里的私房菜",
        starts_at=start,
        ends_at=start + timedelta(hours=2, minutes=30),
        capacity=SEATS + 4,
        at=_at(date(2026, 11, 18), 10),
    )
    answered = _at(date(2026, 11, 19), 9)
    for i, guest in enumerate(_in_city(ctx, HOME_CITY, answered)[:UPCOMING_ANSWERS]):
        rsvp_set(
            meetup=upcoming,
            member=guest,
            answer="maybe" if i % 4 == 3 else "yes",
            at=answered + timedelta(hours=i),
        )
    _deals(ctx, dinners, ctx.rng("deals"))
