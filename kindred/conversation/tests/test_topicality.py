"""The topicality guard: the Django-free classifier (Chinese and English, events never judged, the circle's
own trade), the nudge (409, nothing stored, confirm posts it, labels stored), the model learned in the
background and the backfill, slow mode (429, nothing stored, moderators exempt), and the health selector."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from kindred.circles.taxonomy import INDUSTRIES
from kindred.conversation import selectors, services
from kindred.conversation.models import Message, Stream
from kindred.conversation.topicality import (
    CHATTER,
    OFF_INDUSTRY,
    ON_TOPIC,
    Card,
    Industry,
    Trade,
    build,
    nudges,
)
from kindred.core.models import AuditEvent

from .conftest import Cast

API = "/api/v1"
TAXONOMY = [Industry(names=(zh, en), synonyms=tuple(syn.split())) for _c, zh, en, syn, _p in INDUSTRIES]
CARDS = [
    Card(offers="PPT设计、路演材料、品牌视觉", tags=("PPT", "设计")),
    Card(offers="影视发行、院线排片", needs="找短剧编剧"),
    Card(offers="微短剧出品，抖音快手投流和分账"),
]


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def client_for(member: Any) -> Client:
    c = Client()
    c.force_login(member.user)
    return c


def post(c: Client, body: dict[str, Any]) -> Any:
    return c.post(API + "/circles/xinwenyu/messages", data=json.dumps(body), content_type="application/json")


# --- the classifier ----------------------------------------------------------------------------------


def test_the_engine_imports_without_django() -> None:
    code = "import sys, kindred.conversation.topicality as t; assert 'django' not in sys.modules, 'django'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_chinese_and_english_messages_are_judged() -> None:
    model = build(Trade(cards=CARDS, taxonomy=TAXONOMY))
    cases = {
        "大家早上好☀️": CHATTER,
        "哈哈哈哈哈": CHATTER,
        "Good morning everyone!": CHATTER,
        "内部消息，这只股票明天涨停，加微信带你赚": OFF_INDUSTRY,
        "纯天然保健品，降血压，宝妈兼职代理": OFF_INDUSTRY,
        "Crypto signals, guaranteed 10x, DM me": OFF_INDUSTRY,
        "有没有做微短剧发行的朋友？想谈个分账合作": ON_TOPIC,
        "我们的网剧在找宣发公司，预算两百万": ON_TOPIC,
    }
    for text, label in cases.items():
        verdict = model.judge(text)
        assert verdict is not None and verdict.label == label, (text, verdict)


def test_events_and_empty_texts_are_never_judged() -> None:
    model = build(Trade(cards=CARDS, taxonomy=TAXONOMY))
    for kind in ("envelope_sent", "member_joined", "meetup_called", "deal_confirmed"):
        assert model.judge("恭喜发财，大吉大利", kind=kind) is None
    assert model.judge("   ") is None
    assert not nudges(None)


def test_the_model_learns_the_circles_own_trade() -> None:
    """A restaurant circle's cards make a kitchen question on topic, and the entertainment ask not."""
    food = Trade(
        cards=[
            Card(offers="中央厨房代工，预制菜OEM", tags=("预制菜",)),
            Card(offers="冷链配送，冻品批发", tags=("冷链",)),
            Card(offers="外卖代运营，美团饿了么店铺装修", tags=("外卖",)),
        ],
        taxonomy=[Industry(names=("餐饮",), synonyms=("餐厅", "门店", "后厨", "食材"))],
    )
    model = build(food)
    on = model.judge("有没有做中央厨房代工的？我们想统一出品")
    assert on is not None and on.label == ON_TOPIC
    property_circle = build(Trade(cards=[Card(offers="二手房买卖，学区房，楼盘代理")], taxonomy=[]))
    flat = property_circle.judge("学区房现在能买吗")
    assert flat is not None and flat.label == ON_TOPIC  # real estate is this circle's trade


def test_a_chatter_reply_is_labelled_but_not_nudged() -> None:
    model = build(Trade(cards=CARDS, taxonomy=TAXONOMY))
    thanks = model.judge("谢谢王总！")
    assert thanks is not None and thanks.label == CHATTER
    assert nudges(thanks) and not nudges(thanks, reply=True)


# --- the nudge ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_off_topic_is_not_posted_until_confirmed_and_labels_are_stored(cast: Cast) -> None:
    selectors.topic_model_learn(circle_id=cast.origin.circle_id)
    c = client_for(cast.collector)
    before = Message.objects.count()
    r = post(c, {"text": "大家早上好☀️", "client_id": "n1"})
    assert r.status_code == 409, r.content
    body = r.json()
    assert body["code"] == "off_topic" and body["label"] == CHATTER and 0.5 < body["score"] <= 1
    assert "新文娱产业群" in body["detail"]
    assert Message.objects.count() == before  # nothing stored, nobody else saw it

    zh = client_for(cast.collector)
    zh.cookies["django_language"] = "zh-hans"
    r = zh.post(
        API + "/circles/xinwenyu/messages",
        data=json.dumps({"text": "大家早上好☀️"}),
        content_type="application/json",
        headers={"accept-language": "zh-hans"},
    )
    assert (
        r.status_code == 409 and r.json()["detail"] == "这条消息看起来与新文娱产业群的主题无关：仍要发送吗？"
    )

    r = post(c, {"text": "大家早上好☀️", "client_id": "n1", "confirm_off_topic": True})
    assert r.status_code == 201, r.content
    stored = Message.objects.get(pk=r.json()["id"])
    assert (stored.topic_label, stored.topic_confirmed) == (CHATTER, True) and stored.topic_score

    r = post(c, {"text": "有没有做微短剧发行的朋友？想谈个分账合作"})
    assert r.status_code == 201, r.content
    stored = Message.objects.get(pk=r.json()["id"])
    assert (stored.topic_label, stored.topic_confirmed) == (ON_TOPIC, False)


@pytest.mark.django_db
def test_no_model_yet_no_nudge_and_the_background_task_learns_and_backfills(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = services.message_post(author=cast.collector, text="哈哈哈哈").message
    assert first.topic_label is None  # posted before the circle had a model: never waits for learning
    model, fresh = selectors.topic_model(circle_id=cast.origin.circle_id)
    assert model is not None and fresh  # learned after the commit (the task runs at once in tests)
    first.refresh_from_db()
    assert first.topic_label == CHATTER  # labelled by the backfill
    assert AuditEvent.objects.filter(action="conversation.topics_labelled").exists()
    with pytest.raises(services.OffTopic):
        services.message_post(author=cast.collector, text="哈哈哈哈哈哈")


@pytest.mark.django_db
def test_events_stay_unlabelled_and_replays_are_never_nudged(cast: Cast) -> None:
    selectors.topic_model_learn(circle_id=cast.origin.circle_id)
    event = services.event_post(
        circle_id=cast.origin.circle_id, kind="envelope_sent", key="1", payload={"note": "恭喜发财"}
    )
    assert event.topic_label is None and event.topic_score is None
    replay = services.message_post(
        author=cast.collector, text="早安各位", at=timezone.now() - timedelta(days=3)
    ).message
    assert replay.topic_label == CHATTER and not replay.topic_confirmed


@pytest.mark.django_db
def test_an_edit_is_labelled_again(cast: Cast) -> None:
    selectors.topic_model_learn(circle_id=cast.origin.circle_id)
    m = services.message_post(author=cast.collector, text="有没有做微短剧发行的朋友？想谈个分账合作").message
    edited = services.message_edit(message_id=m.pk, member=cast.collector, text="哈哈哈哈哈")
    assert edited.topic_label == CHATTER


# --- slow mode ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_slow_mode_refuses_a_member_too_soon_and_exempts_moderators(cast: Cast) -> None:
    organizer, member = client_for(cast.origin), client_for(cast.collector)
    url = API + "/circles/xinwenyu/slow-mode"
    r = member.put(url, data=json.dumps({"slow_mode_seconds": 60}), content_type="application/json")
    assert r.status_code == 403
    r = organizer.put(url, data=json.dumps({"slow_mode_seconds": 60}), content_type="application/json")
    assert r.status_code == 200 and r.json() == {"slow_mode_seconds": 60}
    assert AuditEvent.objects.filter(action="conversation.slow_mode_set", data__to=60).count() == 1
    assert member.get(url).json() == {"slow_mode_seconds": 60}
    r = organizer.put(url, data=json.dumps({"slow_mode_seconds": 86401}), content_type="application/json")
    assert (
        r.status_code == 422 and Stream.objects.get(circle_id=cast.origin.circle_id).slow_mode_seconds == 60
    )

    assert post(member, {"text": "求推荐短剧发行"}).status_code == 201
    before = Message.objects.count()
    r = post(member, {"text": "再问一下院线排片"})
    assert r.status_code == 429 and r.json()["code"] == "slow_mode", r.content
    assert Message.objects.count() == before
    zh = member.post(
        API + "/circles/xinwenyu/messages",
        data=json.dumps({"text": "再问一下院线排片"}),
        content_type="application/json",
        headers={"accept-language": "zh-hans"},
    )
    assert zh.status_code == 429 and "慢速模式" in zh.json()["detail"]
    for text in ("第一条通知", "第二条通知"):
        assert post(organizer, {"text": text}).status_code == 201  # the organizer is exempt

    later = timezone.now() + timedelta(seconds=61)
    assert services.message_post(author=cast.collector, text="院线排片", at=later).created


# --- what the health page reads ----------------------------------------------------------------------


@pytest.mark.django_db
def test_label_counts_by_month_and_member_in_one_query_each(
    cast: Cast, django_assert_num_queries: Any
) -> None:
    selectors.topic_model_learn(circle_id=cast.origin.circle_id)
    jan = timezone.now().replace(year=2025, month=1, day=15)
    services.message_post(author=cast.collector, text="早安各位", at=jan)
    services.message_post(author=cast.collector, text="有没有做微短剧发行的朋友？", at=jan)
    services.message_post(
        author=cast.designer, text="明天这只股票必涨停，加微信", at=jan + timedelta(days=31)
    )
    services.event_post(circle_id=cast.origin.circle_id, kind="member_joined", key="x", payload={})
    with django_assert_num_queries(1):
        months = selectors.label_counts_by_month(circle_id=cast.origin.circle_id)
    assert [(m["month"].month, m["on_topic"], m["chatter"], m["off_industry"]) for m in months] == [
        (1, 1, 1, 0),
        (2, 0, 0, 1),
    ]
    with django_assert_num_queries(1):
        members = selectors.label_counts_by_member(circle_id=cast.origin.circle_id)
    assert members[cast.collector.pk]["chatter"] == 1 and members[cast.designer.pk]["off_industry"] == 1
