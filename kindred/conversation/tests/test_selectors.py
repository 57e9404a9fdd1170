"""Every read of the conversation runs a constant number of queries: the same for 10 and 100 messages (with
mentions, replies, asks with routes, hidden and deleted messages and an event card among them)."""

from __future__ import annotations

from typing import Any

import pytest

from kindred.conversation import selectors, services
from kindred.conversation.models import Kind

from .conftest import Cast

pytestmark = pytest.mark.django_db

# messages page: messages (with authors, parents and their authors), mentions, asks, routes
PAGE_QUERIES = 4
# open asks: counts, the asks' messages, mentions, asks, routes
OPEN_ASKS_QUERIES = 5
# search: hits, neighbours, mentions, asks, routes
SEARCH_QUERIES = 5
UNREAD_QUERIES = 2


def fill(cast: Cast, n: int) -> None:
    """n messages of every sort: chat with mentions, replies, asks (routed), a hidden and a deleted one."""
    previous: int | None = None
    for i in range(n):
        if i % 5 == 0:
            m = services.message_post(
                author=cast.collector, text=f"谁能帮我做PPT 第{i}次", kind=Kind.ASK
            ).message
        elif i % 5 == 1:
            m = services.message_post(
                author=cast.designer, text=f"@收藏家 我来做PPT {i}", reply_to_id=previous
            ).message
        else:
            m = services.message_post(author=cast.distributor, text=f"短视频发行 {i}").message
        previous = m.pk
    assert previous is not None
    services.message_hide(message_id=previous, moderator=cast.origin, reason="测试")
    services.message_delete(message_id=previous - 1, member=cast.distributor)
    services.event_post(
        circle_id=cast.origin.circle_id, kind=Kind.TRIP_ANNOUNCED, key=f"trip:{n}", payload={"city": "上海"}
    )


@pytest.mark.parametrize("n", [10, 100])
def test_reads_run_constant_queries(cast: Cast, n: int, django_assert_num_queries: Any) -> None:
    fill(cast, n)
    viewer = cast.origin  # a moderator: sees hidden text too
    with django_assert_num_queries(PAGE_QUERIES):
        page = selectors.messages_page(viewer=viewer, limit=200)
    assert len(page) == n + 1 and any(m["ask"] and m["ask"]["routed_to"] for m in page)
    assert any(m["mentions"] for m in page) and any(m["reply_to"] for m in page)
    with django_assert_num_queries(OPEN_ASKS_QUERIES):
        asks = selectors.open_asks(viewer=viewer)
    assert asks.open == n // 5
    with django_assert_num_queries(SEARCH_QUERIES):
        hits = selectors.search(viewer=viewer, q="PPT")
    assert hits and sum(h["before"] is None for h in hits) <= 1  # only the first message has none
    with django_assert_num_queries(UNREAD_QUERIES):
        unread = selectors.unread(member=cast.designer)
    assert unread.count > 0
