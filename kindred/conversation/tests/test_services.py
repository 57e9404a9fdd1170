"""The conversation's services: the stream's order, bad input refused with nothing stored, mentions, the
edit window, delete and hide (tombstones, audit, the author told), idempotent client ids, asks routed by
the members' cards and the circle's history, caught and closed, read markers, the live hook after commit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone, translation

from kindred.circles.models import Membership
from kindred.circles.services import membership_remove
from kindred.conversation import selectors, services
from kindred.conversation.models import EDIT_WINDOW, MESSAGE_MAX_LENGTH, Ask, AskRoute, Mention, Message
from kindred.core.models import AuditEvent
from kindred.core.services import Conflict, NotFound, PermissionDenied, ServiceError
from kindred.notifications.models import Notification

from .conftest import Cast

pytestmark = pytest.mark.django_db


def post(author: Membership, text: str, **kw: Any) -> Message:
    return services.message_post(author=author, text=text, **kw).message


def stored() -> tuple[int, int, int, int]:
    return (
        Message.objects.count(),
        Mention.objects.count(),
        Notification.objects.count(),
        AuditEvent.objects.count(),
    )


def test_each_message_follows_the_previous_one_of_its_circle(cast: Cast) -> None:
    a = post(cast.designer, "大家好 👋")
    b = post(cast.collector, "欢迎！")
    c = post(cast.designer, "hello everyone")
    assert a.prev_id is None and b.prev_id == a.pk and c.prev_id == b.pk
    assert a.pk < b.pk < c.pk
    assert cast.elsewhere.prev_id is None  # another circle has its own stream
    page = selectors.messages_page(viewer=cast.collector)
    assert [m["id"] for m in page] == [a.pk, b.pk, c.pk]
    assert page[0]["author"] == {"member_id": cast.designer.pk, "display_name": "小美"}
    assert page[0]["text"] == "大家好 👋" and page[0]["kind"] == "chat"


@pytest.mark.parametrize(
    ("text", "reply", "words"),
    [
        ("", False, "Message is required"),
        ("   \n ", False, "Message is required"),
        ("x" * (MESSAGE_MAX_LENGTH + 1), False, "too long"),
        ("好" * 10_001, False, "too long"),
        ("a\x00b", False, "not allowed"),
        ("@不存在的人 你好", False, "不存在的人"),
        ("回复", True, "reply"),
    ],
)
def test_bad_input_is_refused_in_the_users_language_and_nothing_is_stored(
    cast: Cast, text: str, reply: bool, words: str
) -> None:
    before = stored()
    kw = {"reply_to_id": cast.elsewhere.pk} if reply else {}
    with translation.override("en"), pytest.raises(ServiceError) as exc:
        post(cast.collector, text, **kw)
    assert exc.value.status_code == 400
    assert words in str(exc.value.message)
    assert stored() == before
    with translation.override("zh-hans"), pytest.raises(ServiceError) as zh:
        post(cast.collector, text, **kw)
    assert str(zh.value.message) != str(exc.value.message) or words in str(zh.value.message)


def test_a_mention_of_a_removed_member_is_refused(cast: Cast) -> None:
    membership_remove(membership=cast.distributor, actor=cast.origin, reason="离开")
    with pytest.raises(ServiceError, match="发行老李"):
        post(cast.collector, "@发行老李 在吗")


def test_mentions_are_stored_and_the_mentioned_are_told(cast: Cast) -> None:
    message = post(cast.collector, "@小美 和 @发行老李 帮我看看，邮件 me@example.com，还有@小美")
    assert set(Mention.objects.filter(message=message).values_list("member_id", flat=True)) == {
        cast.designer.pk,
        cast.distributor.pk,
    }
    told = Notification.objects.filter(kind="conversation.mentioned")
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted(
        [cast.designer.pk, cast.distributor.pk]
    )
    shaped = selectors.message_get(viewer=cast.designer, message_id=message.pk)
    assert [m["display_name"] for m in shaped["mentions"]] == ["小美", "发行老李"]


def test_a_reply_quotes_its_parent(cast: Cast) -> None:
    parent = post(cast.designer, "下周三北京有人约饭吗？" * 10)
    reply = post(cast.collector, "我在", reply_to_id=parent.pk)
    shaped = selectors.message_get(viewer=cast.origin, message_id=reply.pk)
    assert shaped["reply_to"]["id"] == parent.pk
    assert shaped["reply_to"]["author"]["member_id"] == cast.designer.pk
    assert shaped["reply_to"]["quote"].startswith("下周三北京") and shaped["reply_to"]["quote"].endswith("…")


def test_the_same_client_id_returns_the_first_message(cast: Cast) -> None:
    first = services.message_post(author=cast.collector, text="第一次", client_id="c-1")
    again = services.message_post(author=cast.collector, text="重发", client_id="c-1")
    assert first.created and not again.created
    assert again.message.pk == first.message.pk and again.message.text == "第一次"
    other = services.message_post(author=cast.designer, text="别人的同一个 id", client_id="c-1")
    assert other.created  # the key is per author
    assert Message.objects.filter(client_id="c-1").count() == 2


def test_edit_within_the_window_only_and_by_the_author_only(cast: Cast) -> None:
    message = post(cast.collector, "原文")
    with pytest.raises(PermissionDenied):
        services.message_edit(message_id=message.pk, member=cast.origin, text="别人改")
    edited = services.message_edit(message_id=message.pk, member=cast.collector, text="改过 @小美")
    assert edited.text == "改过 @小美" and edited.edited_at is not None
    assert Notification.objects.filter(kind="conversation.mentioned", recipient=cast.designer).count() == 1
    late = message.created_at + EDIT_WINDOW + timedelta(seconds=1)
    with pytest.raises(PermissionDenied, match="10"):
        services.message_edit(message_id=message.pk, member=cast.collector, text="太晚了", at=late)
    assert Message.objects.get(pk=message.pk).text == "改过 @小美"
    with pytest.raises(ServiceError):
        services.message_edit(message_id=message.pk, member=cast.collector, text="\x00")


def test_delete_leaves_a_tombstone_in_place(cast: Cast) -> None:
    message = post(cast.collector, "说错了")
    with pytest.raises(PermissionDenied):
        services.message_delete(message_id=message.pk, member=cast.origin)
    services.message_delete(message_id=message.pk, member=cast.collector)
    for viewer in (cast.collector, cast.origin):
        shaped = selectors.message_get(viewer=viewer, message_id=message.pk)
        assert shaped["deleted"] and shaped["text"] == "" and shaped["id"] == message.pk
    assert AuditEvent.objects.filter(action="conversation.message_deleted", target_id=message.pk).exists()


def test_hide_needs_a_moderator_and_a_reason_and_tells_the_author(cast: Cast) -> None:
    message = post(cast.collector, "广告：低价代购")
    with pytest.raises(PermissionDenied):
        services.message_hide(message_id=message.pk, moderator=cast.designer, reason="广告")
    with pytest.raises(ServiceError, match=r"Reason|原因"):
        services.message_hide(message_id=message.pk, moderator=cast.admin, reason="  ")
    services.message_hide(message_id=message.pk, moderator=cast.admin, reason="广告")
    audit = AuditEvent.objects.get(action="conversation.message_hidden")
    assert audit.data["reason"] == "广告" and audit.actor_id == cast.admin.user_id
    told = Notification.objects.get(kind="conversation.message_hidden")
    assert told.recipient_id == cast.collector.pk and told.params["reason"] == "广告"
    member_view = selectors.message_get(viewer=cast.designer, message_id=message.pk)
    assert member_view["hidden"] and member_view["text"] == "" and member_view["hidden_reason"] is None
    moderator_view = selectors.message_get(viewer=cast.origin, message_id=message.pk)
    assert moderator_view["text"] == "广告：低价代购" and moderator_view["hidden_reason"] == "广告"
    with pytest.raises(Conflict):
        services.message_hide(message_id=message.pk, moderator=cast.origin, reason="再藏")


def test_an_ask_is_routed_to_the_ppt_designer_first_and_they_are_told(cast: Cast) -> None:
    ask = post(cast.collector, "谁能帮我做一份好的PPT？", kind="ask")
    routes = list(AskRoute.objects.filter(ask__message=ask).order_by("rank"))
    assert routes and routes[0].member_id == cast.designer.pk
    assert "ppt" in routes[0].reason["terms"]
    assert cast.collector.pk not in [r.member_id for r in routes]
    assert cast.distributor.pk not in [r.member_id for r in routes]  # nothing of theirs matches
    shaped = selectors.message_get(viewer=cast.collector, message_id=ask.pk)
    assert shaped["ask"]["status"] == "open" and shaped["ask"]["routed_to"][0] == cast.designer.pk
    told = Notification.objects.get(kind="conversation.ask_routed")
    assert told.recipient_id == cast.designer.pk and told.actor_id == cast.collector.pk


def test_the_history_of_caught_asks_routes_a_new_ask(cast: Cast) -> None:
    """The distributor caught asks about 剧本杀 before; their card says nothing of it."""
    for n in range(3):
        old = post(cast.origin, f"有人懂剧本杀店的选址吗？第{n}次", kind="ask")
        reply = post(cast.distributor, "我做过剧本杀门店", reply_to_id=old.pk)
        services.ask_mark_caught(message_id=old.pk, member=cast.origin, reply_id=reply.pk)
    ask = post(cast.collector, "剧本杀 剧本 哪里采购？", kind="ask")
    assert selectors.message_get(viewer=cast.collector, message_id=ask.pk)["ask"]["routed_to"][0] == (
        cast.distributor.pk
    )


def test_the_routers_weights_are_learned_after_commit_in_the_background(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core.cache import cache

    cache.clear()
    history = selectors.routing_inputs(circle_id=cast.collector.circle_id).history
    assert selectors.route_model(circle_id=cast.collector.circle_id, history=history)[1] is False
    with django_capture_on_commit_callbacks(execute=True):
        post(cast.collector, "谁能帮我做PPT？", kind="ask")  # routed with the defaults; learning queued
    history = selectors.routing_inputs(circle_id=cast.collector.circle_id).history
    model, fresh = selectors.route_model(circle_id=cast.collector.circle_id, history=history)
    assert fresh and model.training_asks == 0  # a young circle keeps the engine's default weights
    assert cache.get(selectors.route_learning_key(cast.collector.circle_id)) is None


def test_caught_by_a_reply_or_a_member_by_the_asker_only(cast: Cast) -> None:
    ask = post(cast.collector, "找人做PPT", kind="ask")
    reply = post(cast.designer, "我来", reply_to_id=ask.pk)
    unrelated = post(cast.distributor, "随便说说")
    with pytest.raises(PermissionDenied):
        services.ask_mark_caught(message_id=ask.pk, member=cast.designer, reply_id=reply.pk)
    with pytest.raises(ServiceError):
        services.ask_mark_caught(message_id=ask.pk, member=cast.collector, reply_id=unrelated.pk)
    with pytest.raises(ServiceError):
        services.ask_mark_caught(message_id=ask.pk, member=cast.collector, catcher_id=cast.collector.pk)
    with pytest.raises(ServiceError):  # not a member of this circle
        services.ask_mark_caught(
            message_id=ask.pk, member=cast.collector, catcher_id=cast.elsewhere.author_id
        )
    with pytest.raises(ServiceError):
        services.ask_mark_caught(message_id=reply.pk, member=cast.designer, catcher_id=cast.origin.pk)
    services.ask_mark_caught(message_id=ask.pk, member=cast.collector, reply_id=reply.pk)
    row = Ask.objects.get(message=ask)
    assert row.status == "caught" and row.caught_by_id == cast.designer.pk and row.caught_reply_id == reply.pk
    with pytest.raises(Conflict):
        services.ask_mark_caught(message_id=ask.pk, member=cast.collector, catcher_id=cast.origin.pk)
    other = post(cast.collector, "找人做视频", kind="ask")
    removed = cast.distributor
    membership_remove(membership=removed, actor=cast.origin, reason="离开")
    with pytest.raises(ServiceError) as refused:
        services.ask_mark_caught(message_id=other.pk, member=cast.collector, catcher_id=removed.pk)
    assert refused.value.code == "bad_catcher"
    services.ask_mark_caught(message_id=other.pk, member=cast.collector, catcher_id=cast.admin.pk)
    assert Ask.objects.get(message=other).caught_by_id == cast.admin.pk


def test_close_by_the_asker_or_a_moderator_and_the_catch_rate(cast: Cast) -> None:
    a1 = post(cast.collector, "找人A", kind="ask")
    a2 = post(cast.collector, "找人B", kind="ask")
    a3 = post(cast.collector, "找人C", kind="ask")
    with pytest.raises(PermissionDenied):
        services.ask_close(message_id=a1.pk, member=cast.designer)
    services.ask_close(message_id=a1.pk, member=cast.admin)
    services.ask_mark_caught(message_id=a2.pk, member=cast.collector, catcher_id=cast.designer.pk)
    asks = selectors.open_asks(viewer=cast.designer)
    assert [m["id"] for m in asks.items] == [a3.pk]
    assert (asks.total, asks.open, asks.caught, asks.closed) == (3, 1, 1, 1)
    assert asks.catch_rate == pytest.approx(1 / 3, abs=1e-3)
    with pytest.raises(Conflict):
        services.ask_close(message_id=a1.pk, member=cast.collector)


def test_read_marker_moves_forward_only_and_counts_others_messages(cast: Cast) -> None:
    m1 = post(cast.designer, "一")
    post(cast.collector, "我自己的")
    m3 = post(cast.designer, "三")
    u = selectors.unread(member=cast.collector)
    assert (u.last_read_id, u.count, u.first_unread_id) == (0, 2, m1.pk)
    services.read_marker_set(member=cast.collector, last_read_id=m1.pk)
    u = selectors.unread(member=cast.collector)
    assert (u.count, u.first_unread_id) == (1, m3.pk)
    services.read_marker_set(member=cast.collector, last_read_id=m3.pk)
    services.read_marker_set(member=cast.collector, last_read_id=m1.pk)  # never back
    assert selectors.unread(member=cast.collector).last_read_id == m3.pk
    with pytest.raises(NotFound):
        services.read_marker_set(member=cast.collector, last_read_id=cast.elsewhere.pk)


def test_search_in_chinese_and_english_with_neighbours(cast: Cast) -> None:
    before = post(cast.origin, "周五聚餐")
    hit = post(cast.designer, "我们做短视频发行，也做 Brand Design")
    after = post(cast.collector, "好的")
    gone = post(cast.collector, "短视频 被删了")
    services.message_delete(message_id=gone.pk, member=cast.collector)
    for q in ("短视频", "brand design", "视频 发行"):
        results = selectors.search(viewer=cast.origin, q=q)
        assert [r["message"]["id"] for r in results] == [hit.pk], q
    r = selectors.search(viewer=cast.origin, q="短视频")[0]
    assert r["before"]["id"] == before.pk and r["after"]["id"] == after.pk
    assert selectors.search(viewer=cast.origin, q="没有这个词") == []
    with pytest.raises(ServiceError):
        selectors.search(viewer=cast.origin, q=" !! ")


def test_the_live_hook_runs_after_commit_only(
    cast: Cast, frames: list[tuple[int, dict[str, Any]]], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = post(cast.collector, "实时 @小美")
    assert frames == []  # nothing before the commit
    for cb in callbacks:
        cb()
    assert frames[-1][0] == cast.collector.circle_id
    frame = frames[-1][1]
    assert frame["type"] == "message" and frame["message"]["id"] == message.pk
    assert frame["message"]["mentions"][0]["member_id"] == cast.designer.pk
    assert isinstance(frame["message"]["created_at"], str)  # JSON-ready
    with django_capture_on_commit_callbacks(execute=True):
        services.message_hide(message_id=message.pk, moderator=cast.origin, reason="测试")
    hidden = frames[-1][1]["message"]
    assert hidden["hidden"] and hidden["text"] == "" and hidden["hidden_reason"] is None
    with django_capture_on_commit_callbacks(execute=True):
        services.read_marker_set(member=cast.designer, last_read_id=message.pk)
    assert frames[-1][1] == {"type": "read", "member_id": cast.designer.pk, "last_read_id": message.pk}


def test_a_removed_member_cannot_post(cast: Cast) -> None:
    membership_remove(membership=cast.distributor, actor=cast.origin, reason="离开")
    with pytest.raises(PermissionDenied):
        post(cast.distributor, "还在吗")
    assert not Message.objects.filter(author=cast.distributor).exists()


def test_a_back_dated_post_tells_nobody(cast: Cast) -> None:
    at = timezone.now() - timedelta(days=200)
    message = post(cast.collector, "@小美 很久以前", at=at)
    assert message.created_at == at
    assert not Notification.objects.exists()
