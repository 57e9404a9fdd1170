"""The demo story's matching chapter: introductions in every state, 老周's own contacts with growth
suggestions, and the circle's matches computed once (the collector 沈砚秋, who needs a young internet
team and a PPT, finds them).

Written through kindred.matching.services, back-dated into the last weeks of the story.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from kindred.circles.models import Membership
from kindred.core.services import ServiceError
from kindred.matching import selectors, services

from .extensions import DemoContext
from .story import ANCHOR, STORY_DAYS

END = ANCHOR + timedelta(days=STORY_DAYS)

# (how it ends, days before the end of the story it starts, candidate (requester, target) pairs: the
# first pair the story has not already tied is used)
INTROS: tuple[tuple[str, int, tuple[tuple[str, str], ...]], ...] = (
    ("accepted", 30, (("shenyanqiu", "fangxiaoyu"), ("shenyanqiu", "tangxiao"), ("shenyanqiu", "mengfan"))),
    ("accepted", 20, (("luoxiaolan", "wangxiong"), ("wangxiong", "gaoyuan"), ("chenmo", "wangxiong"))),
    ("awaiting_connector", 3, (("wangxiong", "mengfan"), ("wangxiong", "tangxiao"), ("wangxiong", "suman"))),
    ("proposed", 4, (("tangxiao", "linwanqing"), ("tangxiao", "mengfan"), ("tangxiao", "hexiaofeng"))),
    (
        "declined",
        40,
        (
            ("huangyifan", "gaoyuan"),
            ("zhaoyiming", "gaoyuan"),
            ("huangyifan", "chenmo"),
            ("suman", "tangxiao"),
        ),
    ),
    ("expired", 60, (("chenmo", "hexiaofeng"), ("chenmo", "mengfan"), ("chenmo", "suman"))),
)

# 老周's own address book (a vCard export from his phone): old friends in the trades the circle needs.
CONTACTS = [
    ("钱志远", "远景影业", "制片人", "网剧 短剧 制片"),
    ("孙佳怡", "佳音文化", "音乐经纪", "音乐 演出 经纪"),
    ("马骏", "骏马数字", "技术总监", "小程序 App开发 技术团队"),
    ("吴思琪", "思琪设计", "品牌设计师", "PPT 品牌设计 发布会"),
    ("郑浩", "浩然投资", "投资总监", "天使轮 文娱投资 早期项目"),
    ("冯晓", "晓风文旅", "总经理", "景区 夜游 文旅运营"),
    ("陈一凡", "一凡MCN", "创始人", "直播带货 达人 抖音"),
    ("杨柳", "柳叶动画", "制片", "动画 二次元 IP授权"),
    ("许诺", "诺言律所", "律师", "版权 合同 娱乐法"),
    ("韩冰", "冰点潮玩", "产品经理", "潮玩 盲盒 衍生品"),
    ("林川", "川流短视频", "运营总监", "短视频 矩阵号 快手"),
    ("赵可", "可可收藏", "鉴定师", "收藏 艺术品 古玩"),
]


def _vcard() -> bytes:
    cards = [
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\nORG:{org}\r\nTITLE:{title}\r\nNOTE:{note}\r\n"
        f"EMAIL;type=INTERNET:friend{i}@example.com\r\nEND:VCARD\r\n"
        for i, (name, org, title, note) in enumerate(CONTACTS, start=1)
    ]
    return "".join(cards).encode()


def replay(ctx: DemoContext) -> None:
    m = ctx.members
    organizer = m["laozhou"]
    for outcome, days, pairs in INTROS:
        at = END - timedelta(days=days)
        for requester, target in pairs:
            if _introduce(ctx, m[requester], m[target], outcome, at):
                break
    services.intro_expire_due(now=END)
    services.contacts_import(
        owner=organizer.user, filename="laozhou.vcf", data=_vcard(), at=END - timedelta(days=50)
    )
    newest = max((x for x in m.values() if x.is_active), key=lambda x: x.joined_at)
    found = selectors.invite_suggestions(owner=organizer.user, member=newest)
    if found:
        services.notify(
            member=organizer,
            circle=ctx.circle,
            kind="growth",
            params={"count": len(found), "member": newest.card.display_name},
            at=newest.joined_at + timedelta(hours=1),
        )
    services.matches_fresh(circle=ctx.circle)


def _introduce(ctx: DemoContext, a: Membership, b: Membership, outcome: str, at: datetime) -> bool:
    """One introduction that ends as `outcome`; False when the story already tied the pair."""
    by_pk = {x.pk: x for x in ctx.members.values()}
    try:
        with transaction.atomic():
            if outcome == "proposed":
                services.intro_propose(
                    organizer=ctx.members["laozhou"], member=a, other=b, note="你们俩该认识一下。", at=at
                )
                return True
            intro = services.intro_request(requester=a, target=b, note="想请您帮忙引荐。", at=at)
            if outcome in ("awaiting_connector", "expired"):
                return True
            services.intro_approve(intro=intro, member=by_pk[intro.connector_id], at=at + timedelta(hours=5))
            if outcome == "accepted":
                services.intro_accept(intro=intro, member=b, at=at + timedelta(days=1))
            elif outcome == "declined":
                services.intro_decline(intro=intro, member=b, at=at + timedelta(days=2))
    except ServiceError:
        return False
    return True
