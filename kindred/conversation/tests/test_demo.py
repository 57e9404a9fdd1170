"""The demo's conversation chapter: a few hundred messages over eight months in time order, the newcomers'
cards, 王兄's envelope, dinners, asks caught and open; the collector's PPT ask reaches the PPT designer first."""

from __future__ import annotations

import pytest

from kindred.circles.models import Membership
from kindred.conversation.models import Ask, AskRoute, Kind, Message
from kindred.conversation.services import message_post
from kindred.demo.loader import DEMO_SLUG, demo_load

pytestmark = pytest.mark.django_db


def test_the_demo_circle_has_its_conversation() -> None:
    demo_load()
    messages = Message.objects.filter(circle__slug=DEMO_SLUG).order_by("id")
    rows = list(messages.values_list("created_at", "kind"))
    assert 300 <= len(rows) <= 1500, len(rows)
    assert [at for at, _ in rows] == sorted(at for at, _ in rows)  # ids follow time: the stream's order
    assert (rows[-1][0] - rows[0][0]).days >= 230  # about eight months
    kinds = {k for _, k in rows}
    assert kinds >= {Kind.CHAT, Kind.ASK, Kind.MEMBER_JOINED, Kind.ENVELOPE_SENT, Kind.MEETUP_CALLED}
    first = messages.filter(kind=Kind.CHAT).first()
    assert first is not None and first.author is not None and first.author.user.username == "laozhou"
    wang = messages.filter(kind=Kind.ENVELOPE_SENT, author__user__username="wangxiong").get()
    assert wang.payload["greeting"].startswith("初来乍到，188一位")
    assert messages.filter(reply_to=wang).count() >= 3
    asks = Ask.objects.filter(circle__slug=DEMO_SLUG)
    assert asks.filter(status=Ask.Status.CAUGHT).count() >= 5
    assert asks.filter(status=Ask.Status.OPEN).exists() and asks.filter(status=Ask.Status.CLOSED).exists()
    ppt = asks.get(message__author__user__username="shenyanqiu", message__text__contains="PPT")
    assert ppt.status == Ask.Status.CAUGHT and ppt.caught_by.user.username == "fangxiaoyu"  # type: ignore[union-attr]
    # Loading again changes nothing.
    demo_load()
    assert Message.objects.filter(circle__slug=DEMO_SLUG).count() == len(rows)


def test_the_collectors_ppt_ask_reaches_the_ppt_designer_first() -> None:
    demo_load()
    collector = Membership.objects.get(circle__slug=DEMO_SLUG, user__username="shenyanqiu")
    posted = message_post(author=collector, text="求助：谁能帮我做一份路演PPT？", kind=Kind.ASK)
    first = AskRoute.objects.filter(ask__message=posted.message).order_by("rank").first()
    assert first is not None and first.member.user.username == "fangxiaoyu"
    # The demo's own PPT ask was routed to her first too.
    ask = Ask.objects.get(message__author=collector, message__text__contains="讲藏品故事的PPT")
    assert ask.routes.order_by("rank").first().member.user.username == "fangxiaoyu"  # type: ignore[union-attr]
