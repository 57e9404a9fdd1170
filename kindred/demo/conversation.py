"""The demo story's conversation chapter (see extensions.py): the group chat of 新文娱产业群.

老周 opens the stream with his first messages to the dozen friends who joined first; every newcomer's card
comes into the stream and a few members welcome them; the red envelopes (王兄's 188 a head among them), the
dinners and trips, the confirmed deals and the completed introductions appear as cards when they happened;
members throw out asks and others catch them (沈砚秋's PPT ask, caught by the PPT designer 方晓雨), a few
stay open or are closed; and between them, everyday chatter. A few hundred messages over the story's eight
months, in time order (a message's id is its place in the stream), through the conversation's services,
back-dated with `at=` (nobody is notified), drawn from a seeded generator.

The event cards are written with `event_post` and the payloads the live events carry (kindred.core.events):
the other chapters replay their services back-dated, which announces nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kindred.circles.models import Membership
from kindred.conversation.models import Kind
from kindred.conversation.services import ask_close, ask_mark_caught, event_post, message_post
from kindred.deals.models import Deal
from kindred.matching.models import Introduction
from kindred.meetups.models import Meetup, Trip
from kindred.wallet.models import Envelope

from .extensions import DemoContext
from .story import STORY_DAYS

ORGANIZER = "laozhou"
FIRST_FRIENDS = 12  # 老周's first messages go to the dozen who joined first
WELCOMES = (1, 3)  # members who welcome a newcomer, at least and at most
CHATTER_PER_WEEK = (4, 9)

OPENING = (
    "各位老朋友，群建好了 🎉 那次饭局上大家说互相找不到人，这个群就是为这个建的。",
    "规矩很简单：真诚、靠谱、先帮人再谈生意。每个人进来都有熟人推荐。",
    "名片请大家都填一下，尤其是「能提供」和「在找」，找人的时候一搜就有。",
    "有事就在群里喊一声，求助的消息 Kindred 会替你问最可能帮上忙的人。",
)
WELCOME_WORDS = (
    "欢迎{name}！",
    "欢迎欢迎 👏",
    "欢迎{name}，回头一起吃饭",
    "{name}你好，久仰！",
    "欢迎新朋友 🎉",
)
THANKS = ("谢谢老板 🧧", "手气不错，谢谢！", "感谢红包 🙏", "抢到了，谢谢{name}", "恭喜发财！")
WANG_THANKS = ("王兄大气！", "188 一位，王兄太豪爽了 🧧", "谢谢王兄，成都见！", "火锅之约记下了 🌶️")
MEETUP_REPLIES = ("报名了 🙋", "这次一定到", "可惜出差，下次吧", "带个朋友可以吗？", "已报名，期待！")
CHATTER = (
    "今天的短剧榜单大家看了吗？变化好大",
    "有人去北京电影节吗？",
    "刚看完一个动画样片，质量真不错",
    "最近直播间的流量成本又涨了",
    "周末在上海，有空的朋友可以喝咖啡 ☕",
    "分享一篇关于IP授权的好文章：https://example.com/ip-licensing",
    "出海的朋友们，东南亚短剧市场最近怎么样？",
    "这个群真好，昨天靠群里的朋友解决了一个大问题 🙏",
    "AIGC 做分镜现在已经很能用了",
    "今年的暑期档大家怎么看？",
    "演唱会票务这块有懂的朋友吗？想聊聊",
    "中秋礼盒有人要团购吗 🥮",
    "看到群里这么多同行，真是相见恨晚",
    "下个月去杭州，有在杭州的朋友吗？",
    "游戏版号最近下得挺快",
    "有没有做播客的朋友？想交流一下",
)


@dataclass(frozen=True)
class AskPlan:
    asker: str
    text: str
    day: float  # days after both the asker and the catcher had joined
    catcher: str = ""  # who answers and catches it; "" for an ask that stays open
    answer: str = ""
    closed: bool = False  # the asker closed it (nobody caught it)


# The asks of the story. Catchers are named where the story knows them; others are found among the members
# whose cards fit (the first who offers one of `hint`'s words).
ASKS = (
    AskPlan(
        "shenyanqiu",
        "求助：谁能帮我做一个讲藏品故事的PPT？要给投资人看的，想先把想法讲清楚。",
        2,
        "fangxiaoyu",
        "沈老师，PPT 我来！BP 和发布会 PPT 我做过五十多家，先约个时间聊聊您的藏品故事？",
    ),
    AskPlan(
        "wangxiong",
        "景区想做一台沉浸式演出，有做过的朋友吗？",
        5,
        "*演出",
        "我们做过几个文旅演出，王兄可以来看看案例",
    ),
    AskPlan(
        "laozhou", "找人：杭州做IP授权的朋友，有人认识吗？", 3, "*IP", "我在做IP授权，杭州也有团队，可以聊"
    ),
    AskPlan("*", "求推荐靠谱的短视频代运营团队，预算不高", 4, "*短视频", "我们团队可以先帮你看看账号"),
    AskPlan(
        "*",
        "有没有懂音乐版权的朋友？一首歌的改编授权怎么谈？",
        6,
        "*音乐",
        "改编授权要找词曲版权方，我帮你对接",
    ),
    AskPlan("*", "想给动画项目找一位靠谱的制片人，有推荐吗？", 8, "*动画", "我认识几位，私聊你"),
    AskPlan("*", "求助：游戏出海的本地化公司有推荐吗？", 10, "*游戏", "我们一直合作的一家很靠谱，推给你"),
    AskPlan("*", "有做演出票务系统的朋友吗？", 12, "", "", True),
    AskPlan("*", "找一位懂短剧投流的操盘手，长期合作", 14),
    AskPlan("*", "谁认识做院线发行的朋友？小成本文艺片想上院线", 16),
    AskPlan("*", "有没有做虚拟偶像的团队？想聊个合作", 18, "", "", True),
)


@dataclass
class Step:
    at: datetime
    run: Callable[[], Any]


def _name(m: Membership) -> str:
    return getattr(getattr(m, "card", None), "display_name", "") or m.user.get_username()


def _summary(m: Membership) -> str:
    card = getattr(m, "card", None)
    return " · ".join(
        p for p in (getattr(card, "title", ""), getattr(card, "company", ""), getattr(card, "city", "")) if p
    )


def replay(ctx: DemoContext) -> None:
    rng = ctx.rng("conversation")
    members = {
        name: Membership.objects.select_related("card", "user").get(pk=m.pk)
        for name, m in ctx.members.items()
    }
    by_pk = {m.pk: m for m in members.values()}
    steps: list[Step] = []
    posted: dict[str, int] = {}  # a step's key -> its message id, for replies

    def present(at: datetime) -> list[Membership]:
        return [by_pk[m.pk] for m in ctx.present_at(at) if m.is_active]  # who may still post (back-dated)

    def chat(key: str, author: Membership, text: str, at: datetime, reply: str = "") -> None:
        def run() -> None:
            posted[key] = message_post(
                author=author, text=text, reply_to_id=posted.get(reply) if reply else None, at=at
            ).message.pk

        steps.append(Step(at, run))

    def card(
        key: str, kind: str, event_key: str, payload: dict[str, Any], at: datetime, actor: Membership | None
    ) -> None:
        def run() -> None:
            posted[key] = event_post(
                circle_id=ctx.circle.pk, kind=kind, key=event_key, payload=payload, actor=actor, at=at
            ).pk

        steps.append(Step(at, run))

    organizer = members[ORGANIZER]
    joins = sorted(ctx.story.joins, key=lambda j: j.joined_at)
    first = joins[: FIRST_FRIENDS - 1]
    opened = first[-1].joined_at + timedelta(hours=2)
    for i, words in enumerate(OPENING):
        chat(f"opening{i}", organizer, words, opened + timedelta(minutes=3 * i))

    # Newcomers: their cards, and a few welcomes.
    for join in joins:
        m = members.get(join.person.username)
        if m is None:
            continue
        sponsor = by_pk.get(m.sponsor_id) if m.sponsor_id else None
        at = join.joined_at + timedelta(minutes=25)
        key = f"joined{m.pk}"
        card(
            key,
            Kind.MEMBER_JOINED,
            f"membership:{m.pk}",
            {
                "member_id": m.pk,
                "display_name": _name(m),
                "summary": _summary(m),
                "sponsor_id": m.sponsor_id,
                "sponsor_name": _name(sponsor) if sponsor else "",
                "knows": [],
            },
            at,
            m,
        )
        others = [p for p in present(at) if p.pk != m.pk]
        for j, w in enumerate(rng.sample(others, k=min(len(others), rng.randint(*WELCOMES)))):
            text = rng.choice(WELCOME_WORDS).format(name=_name(m))
            chat(f"welcome{m.pk}-{j}", w, text, at + timedelta(minutes=rng.randint(2, 90)), reply=key)

    # Red envelopes, and thanks.
    for env in (
        Envelope.objects.filter(circle=ctx.circle).select_related("sender__card").order_by("created_at")
    ):
        key = f"envelope{env.pk}"
        sender = by_pk[env.sender_id]
        card(
            key,
            Kind.ENVELOPE_SENT,
            f"envelope:{env.pk}",
            {
                "envelope_id": env.pk,
                "sender_id": env.sender_id,
                "sender_name": _name(sender),
                "total_fen": env.total_fen,
                "shares": env.share_count,
                "mode": env.mode,
                "greeting": env.greeting,
            },
            env.created_at,
            sender,
        )
        grabbers = [
            by_pk[i]
            for i in env.shares.filter(claimed_by__isnull=False).values_list("claimed_by_id", flat=True)
        ]
        wang = sender.user.get_username() == "wangxiong"
        for j, g in enumerate(rng.sample(grabbers, k=min(len(grabbers), 6 if wang else rng.randint(0, 2)))):
            words = rng.choice(WANG_THANKS if wang else THANKS).format(name=_name(sender))
            chat(
                f"thanks{env.pk}-{j}",
                g,
                words,
                env.created_at + timedelta(minutes=rng.randint(3, 120)),
                reply=key,
            )

    # Dinners called and trips announced.
    for mt in Meetup.objects.filter(circle=ctx.circle, access=Meetup.Access.OPEN).order_by("created_at"):
        key = f"meetup{mt.pk}"
        host = by_pk[mt.host_id]
        card(
            key,
            Kind.MEETUP_CALLED,
            f"meetup:{mt.pk}",
            {
                "meetup_id": mt.pk,
                "host_id": mt.host_id,
                "host_name": _name(host),
                "title": mt.title,
                "city": mt.city,
                "starts_at": mt.starts_at.isoformat(),
            },
            mt.created_at,
            host,
        )
        around = [p for p in present(mt.created_at) if p.pk != host.pk]
        for j, p in enumerate(rng.sample(around, k=min(2, len(around)))):
            chat(
                f"meetupreply{mt.pk}-{j}",
                p,
                rng.choice(MEETUP_REPLIES),
                mt.created_at + timedelta(hours=rng.randint(1, 30)),
                reply=key,
            )
    for trip in Trip.objects.filter(circle=ctx.circle).order_by("created_at"):
        traveller = by_pk[trip.traveller_id]
        card(
            f"trip{trip.pk}",
            Kind.TRIP_ANNOUNCED,
            f"trip:{trip.pk}",
            {
                "trip_id": trip.pk,
                "traveller_id": trip.traveller_id,
                "traveller_name": _name(traveller),
                "city": trip.city,
                "starts_on": trip.starts_on.isoformat(),
                "ends_on": trip.ends_on.isoformat(),
            },
            trip.created_at,
            traveller,
        )

    # Deals confirmed (only what the parties made public) and introductions completed.
    for deal in Deal.objects.filter(circle=ctx.circle, confirmed_at__isnull=False).order_by("confirmed_at"):
        ids = list(deal.parties.values_list("member_id", flat=True))
        card(
            f"deal{deal.pk}",
            Kind.DEAL_CONFIRMED,
            f"deal:{deal.pk}",
            {
                "deal_id": deal.pk,
                "parties": [{"member_id": i, "display_name": _name(by_pk[i])} for i in ids],
                "title": deal.title,
                "amount_fen": deal.amount_fen if deal.amount_public else None,
            },
            deal.confirmed_at,  # type: ignore[arg-type]
            None,
        )
    for intro in Introduction.objects.filter(circle=ctx.circle, status=Introduction.Status.ACCEPTED).order_by(
        "closed_at"
    ):
        pair = (intro.requester_id, intro.target_id)
        connector = by_pk.get(intro.connector_id)
        card(
            f"intro{intro.pk}",
            Kind.INTRO_COMPLETED,
            f"intro:{intro.pk}",
            {
                "intro_id": intro.pk,
                "members": [{"member_id": i, "display_name": _name(by_pk[i])} for i in pair],
                "connector_id": intro.connector_id,
                "connector_name": _name(connector) if connector else "",
            },
            intro.closed_at,  # type: ignore[arg-type]
            connector,
        )

    _asks(ctx, rng, members, present, steps, posted)

    # Everyday chatter across the months.
    start, end = opened + timedelta(days=1), ctx.story.created_at + timedelta(days=STORY_DAYS)
    week = start
    n = 0
    while week < end:
        for _ in range(rng.randint(*CHATTER_PER_WEEK)):
            at = week + timedelta(minutes=rng.randint(0, 7 * 24 * 60))
            if at >= end:
                continue
            around = present(at)
            if not around:
                continue
            who = rng.choice(around)
            chat(f"chatter{n}", who, rng.choice(CHATTER), at)
            n += 1
        week += timedelta(days=7)

    for step in sorted(steps, key=lambda s: s.at):
        step.run()


def _asks(
    ctx: DemoContext,
    rng: random.Random,
    members: dict[str, Membership],
    present: Callable[[datetime], list[Membership]],
    steps: list[Step],
    posted: dict[str, int],
) -> None:
    pool = [m for m in members.values() if m.is_active]

    def offering(word: str, at: datetime, besides: Membership) -> Membership | None:
        fits = [
            m
            for m in present(at)
            if m.pk != besides.pk
            and word.lower() in (getattr(m.card, "offers", "") + getattr(m.card, "title", "")).lower()
        ]
        return rng.choice(fits) if fits else None

    for i, plan in enumerate(ASKS):
        asker = members[plan.asker] if plan.asker != "*" else rng.choice(pool)
        since = asker.joined_at
        catcher = None
        if plan.catcher and not plan.catcher.startswith("*"):
            catcher = members[plan.catcher]
            since = max(since, catcher.joined_at)
        at = since + timedelta(days=plan.day + 30 * (i % 5 if plan.asker == "*" else 0))
        if plan.catcher.startswith("*"):
            catcher = offering(plan.catcher[1:], at, asker)
        key = f"ask{i}"

        def post_ask(
            key: str = key, asker: Membership = asker, text: str = plan.text, at: datetime = at
        ) -> None:
            posted[key] = message_post(author=asker, text=text, kind=Kind.ASK, at=at).message.pk

        steps.append(Step(at, post_ask))
        if catcher is not None and plan.answer:
            found: Membership = catcher
            answered = at + timedelta(minutes=rng.randint(5, 240))

            def answer(
                key: str = key,
                catcher: Membership = found,
                text: str = plan.answer,
                at: datetime = answered,
            ) -> None:
                posted[key + "answer"] = message_post(
                    author=catcher, text=text, reply_to_id=posted[key], at=at
                ).message.pk

            def caught(
                key: str = key, asker: Membership = asker, at: datetime = answered + timedelta(hours=3)
            ) -> None:
                ask_mark_caught(message_id=posted[key], member=asker, reply_id=posted[key + "answer"], at=at)

            steps.append(Step(answered, answer))
            steps.append(Step(answered + timedelta(hours=3), caught))
        elif plan.closed:

            def close(
                key: str = key, asker: Membership = asker, at: datetime = at + timedelta(days=10)
            ) -> None:
                ask_close(message_id=posted[key], member=asker, at=at)

            steps.append(Step(at + timedelta(days=10), close))
