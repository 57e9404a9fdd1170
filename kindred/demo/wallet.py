"""The demo story's wallet chapter (see extensions.py): the newcomers' greetings (见面红包).

The house rule of 新文娱产业群 is a suggested greeting: most newcomers say hello with a small envelope soon
after joining, and the members around then grab it. 王兄 from 成都 (wangxiong), the 31st member, sent
188 yuan a head to the 30 members already there, and every one of them grabbed it. 老周 sends a festival
envelope at 端午 and 中秋. Every wallet is topped up through the simulated provider first; envelopes not
fully grabbed are refunded at their expiry, on the story's clock. Everything goes through the wallet
services, back-dated with `at=`.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from kindred.circles.models import Membership
from kindred.wallet.models import FEN_PER_YUAN, Envelope, GreetingRule, limit
from kindred.wallet.services import (
    circle_settings_update,
    envelope_expire,
    envelope_grab,
    envelope_send,
    topup_create,
)

from .extensions import DemoContext

ZONE = ZoneInfo("Asia/Shanghai")
GREETING_SHARE = 0.5  # of newcomers send a greeting (it is suggested, never required)
WANGXIONG = "wangxiong"
WANGXIONG_HEAD_YUAN = 188
WANGXIONG_WORDS = "初来乍到，188一位，大家多关照！来成都吃火锅找我"
GREETING_WORDS = (
    "新人报到，请多关照",
    "大家好，很高兴认识各位",
    "初来乍到，一点心意",
    "感谢推荐人，感谢群主",
    "恭喜发财，大吉大利",
    "以后多多交流合作",
)
GREETING_YUAN = (20, 50, 66, 66, 88, 88, 100, 168)
FESTIVALS = (
    (datetime(2026, 6, 19, 20, 0, tzinfo=ZONE), 666, 30, "端午安康！粽子管够"),
    (datetime(2026, 9, 25, 20, 0, tzinfo=ZONE), 888, 50, "中秋快乐，月圆人圆生意圆"),
)
TOPUP_YUAN = 2000


def replay(ctx: DemoContext) -> None:
    members = {name: m for name, m in ctx.members.items() if m.status == Membership.Status.ACTIVE}
    organizer = ctx.members[ctx.story.organizer.username]
    rng = ctx.rng("wallet")
    circle_settings_update(
        circle=ctx.circle,
        actor=organizer,
        sender_may_grab=False,
        greeting_rule=GreetingRule.SUGGESTED,
        greeting_min_total_fen=FEN_PER_YUAN,
        greeting_min_shares=1,
        at=ctx.story.created_at,
    )
    for name, m in members.items():
        extra = WANGXIONG_HEAD_YUAN * 40 if name == WANGXIONG else 0
        topup_create(
            user=m.user,
            amount_fen=(TOPUP_YUAN + extra) * FEN_PER_YUAN,
            reference=f"demo-seed-{name}",
            at=m.joined_at + timedelta(minutes=30),
        )
    for join in ctx.story.joins:
        sender = members.get(join.person.username)
        if sender is None:
            continue
        sent_at = join.joined_at + timedelta(minutes=rng.randint(45, 240))
        present = [m for m in ctx.present_at(sent_at) if m.pk != sender.pk and m.is_active]
        if not present:
            continue
        if sender.user.username == WANGXIONG:
            _envelope(
                sender,
                total_yuan=WANGXIONG_HEAD_YUAN * len(present),
                shares=len(present),
                mode=Envelope.Mode.EQUAL,
                words=WANGXIONG_WORDS,
                at=sent_at,
                grabbers=present,
                rng=rng,
            )
        elif rng.random() < GREETING_SHARE:
            shares = min(len(present), rng.choice((5, 8, 8, 10, 12, 16)))
            grabbers = rng.sample(
                present, k=min(len(present), shares, max(1, round(shares * rng.uniform(0.6, 1.1))))
            )
            _envelope(
                sender,
                total_yuan=max(rng.choice(GREETING_YUAN), shares),
                shares=shares,
                mode=rng.choice((Envelope.Mode.LUCKY, Envelope.Mode.LUCKY, Envelope.Mode.EQUAL)),
                words=rng.choice(GREETING_WORDS),
                at=sent_at,
                grabbers=grabbers,
                rng=rng,
            )
    for at, total_yuan, shares, words in FESTIVALS:
        present = [m for m in ctx.present_at(at) if m.pk != organizer.pk and m.is_active]
        n = min(shares, len(present))
        _envelope(
            organizer,
            total_yuan=total_yuan,
            shares=n,
            mode=Envelope.Mode.LUCKY,
            words=words,
            at=at,
            grabbers=rng.sample(present, k=min(len(present), n)),
            rng=rng,
        )


def _envelope(
    sender: Membership,
    *,
    total_yuan: int,
    shares: int,
    mode: str,
    words: str,
    at: datetime,
    grabbers: list[Membership],
    rng: random.Random,
) -> None:
    envelope = envelope_send(
        sender=sender,
        total_fen=total_yuan * FEN_PER_YUAN,
        shares=shares,
        mode=mode,
        greeting=words,
        at=at,
        rng=rng,
    )
    ttl = limit("ENVELOPE_TTL")
    order = sorted(grabbers, key=lambda m: m.pk)
    rng.shuffle(order)
    # Most grab within minutes; some come back to the chat hours later.
    offsets = sorted(
        rng.randint(3, 600) if rng.random() < 0.75 else rng.randint(600, 20 * 3600) for _ in order[:shares]
    )
    for member, offset in zip(order, offsets, strict=False):
        if offset < ttl.total_seconds():
            envelope_grab(envelope=envelope, member=member, at=at + timedelta(seconds=offset))
    if envelope.status == Envelope.Status.OPEN:
        envelope_expire(envelope=envelope, at=envelope.expires_at)
