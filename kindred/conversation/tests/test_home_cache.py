"""The circle home keeps each message's markup (core.fragments) and is never stale: after a first view has
filled the cache, every change of what a message or card shows is on the very next page: an edit, a deletion,
hiding, an ask caught, a reply's parent edited, a renamed author, a red envelope grabbed, a meetup answered,
a tie confirmed, another language. And a kept card's form carries each session's own CSRF token."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kindred.circles.models import Membership
from kindred.circles.services import card_update, circle_update, membership_role_set
from kindred.conversation import services
from kindred.conversation.models import Kind
from kindred.conversation.receivers import on_meetup_called, on_member_joined
from kindred.meetups.models import Meetup
from kindred.meetups.services import meetup_create, rsvp_set
from kindred.ties.services import tie_confirm, tie_declare
from kindred.wallet.models import Envelope
from kindred.wallet.services import envelope_grab
from tests.forms import form_fields

from .conftest import Cast
from .test_views import _envelope_card, client_of, home

pytestmark = pytest.mark.django_db


def say(author: object, text: str, **kw: object) -> int:
    return services.message_post(author=author, text=text, confirm_off_topic=True, **kw).message.pk  # type: ignore[arg-type]


def page(c: Client, cast: Cast) -> str:
    r = c.get(home(cast))
    assert r.status_code == 200
    return r.content.decode()


def item(html: str, message_id: int) -> str:
    """The markup of one message of the stream."""
    found = re.search(rf'<li class="msg [^"]*" id="m{message_id}".*?</li>\n', html, re.S)
    assert found, message_id
    return found.group(0)


def test_an_edit_a_deletion_and_hiding_show_at_once(cast: Cast) -> None:
    first = say(cast.designer, "原来的话")
    second = say(cast.designer, "第二句")
    reader, mod = client_of(cast.distributor), client_of(cast.origin)
    assert "原来的话" in page(reader, cast) and "第二句" in page(mod, cast)

    services.message_edit(message_id=first, member=cast.designer, text="改过的话")
    shown = item(page(reader, cast), first)
    assert "改过的话" in shown and "原来的话" not in shown and "已编辑" in shown

    services.message_delete(message_id=first, member=cast.designer)
    shown = item(page(reader, cast), first)
    assert "这条消息已被删除。" in shown and "改过的话" not in shown

    services.message_hide(message_id=second, moderator=cast.origin, reason="离题")
    assert "第二句" not in item(page(reader, cast), second)
    # The moderator, who had the message kept too, now sees it hidden, with its text and the reason.
    shown = item(page(mod, cast), second)
    assert "已被群主或管理员隐藏。" in shown and "第二句" in shown and "离题" in shown


def test_erased_messages_and_the_read_marker_show_at_once(cast: Cast) -> None:
    first = say(cast.designer, "要被抹去的话")
    second = say(cast.collector, "另一句")
    reader = client_of(cast.distributor)
    html = page(reader, cast)
    assert "要被抹去的话" in html and "2 条未读消息" in html
    services.messages_erase(member=cast.designer)  # the account deletion's choice
    html = page(reader, cast)
    assert "这条消息已被删除。" in item(html, first) and "要被抹去的话" not in html and "1 条未读消息" in html
    services.read_marker_set(member=cast.distributor, last_read_id=second)
    assert "条未读消息" not in page(reader, cast)


def test_a_reply_quotes_its_parent_as_it_is_now_and_names_follow_the_cards(cast: Cast) -> None:
    parent = say(cast.designer, "谁认识做发行的")
    reply = say(cast.distributor, "我就是", reply_to_id=parent)
    reader = client_of(cast.collector)
    assert "谁认识做发行的" in item(page(reader, cast), reply)
    services.message_edit(message_id=parent, member=cast.designer, text="谁认识做院线的")
    assert "谁认识做院线的" in item(page(reader, cast), reply)
    services.message_delete(message_id=parent, member=cast.designer)
    assert "谁认识做院线的" not in item(page(reader, cast), reply)
    # The author renames their card: their messages and the replies quoting them say the new name.
    card_update(membership=cast.distributor, fields={"display_name": "老李发行"})
    html = page(reader, cast)
    assert "老李发行" in item(html, reply) and "发行老李" not in item(html, reply)


def test_an_ask_caught_or_closed_shows_at_once(cast: Cast) -> None:
    ask = say(cast.collector, "求一位PPT设计师", kind=Kind.ASK)
    other = say(cast.collector, "再求一位摄影师", kind=Kind.ASK)
    reader = client_of(cast.distributor)
    html = page(reader, cast)
    assert 'data-ask-status="open"' in item(html, ask) and 'data-ask-status="open"' in item(html, other)
    services.ask_mark_caught(message_id=ask, member=cast.collector, catcher_id=cast.designer.pk)
    services.ask_close(message_id=other, member=cast.collector)
    html = page(reader, cast)
    assert "已被 小美 接住" in item(html, ask)
    assert 'data-ask-status="closed"' in item(html, other) and "ask ask-closed" in item(html, other)
    # The catcher renames their card: "caught by" follows.
    card_update(membership=cast.designer, fields={"display_name": "设计小美"})
    assert "已被 设计小美 接住" in item(page(reader, cast), ask)


def test_the_askers_own_ask_names_whom_it_reached_as_their_cards_say_now(cast: Cast) -> None:
    ask = say(cast.collector, "谁能帮我做一个PPT？", kind=Kind.ASK)
    asker, other = client_of(cast.collector), client_of(cast.distributor)
    assert "同类帮你问了" in item(page(asker, cast), ask) and "小美" in item(page(asker, cast), ask)
    assert "同类帮你问了" not in item(page(other, cast), ask)  # whom it reached is the asker's
    card_update(membership=cast.designer, fields={"display_name": "设计小美"})
    assert "设计小美" in item(page(asker, cast), ask)
    services.ask_close(message_id=ask, member=cast.collector)
    assert 'data-ask-status="closed"' in item(page(asker, cast), ask)


def test_a_red_envelope_card_follows_its_grabs(cast: Cast) -> None:
    card = _envelope_card(cast, cast.distributor)
    envelope = Envelope.objects.get(pk=card.payload["envelope_id"])
    viewer = client_of(cast.designer)
    assert "已领取 0/3 个" in item(page(viewer, cast), card.pk)
    envelope_grab(envelope=envelope, member=cast.collector)
    assert "已领取 1/3 个" in item(page(viewer, cast), card.pk)
    envelope_grab(envelope=envelope, member=cast.designer)
    shown = item(page(viewer, cast), card.pk)
    assert "已领取 2/3 个" in shown and "你抢到了 ¥" in shown and "抢红包" not in shown
    # Another viewer's card is theirs: they can still grab.
    assert "抢红包" in item(page(client_of(cast.admin), cast), card.pk)


def _meetup(cast: Cast, title: str = "北京饭局", **kw: Any) -> Meetup:
    starts = timezone.now() + timedelta(days=2)
    return meetup_create(
        circle=cast.origin.circle,
        host=cast.origin,
        title=title,
        city="北京",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        **kw,
    )


def _meetup_card(cast: Cast) -> tuple[Meetup, int]:
    meetup = _meetup(cast)
    card = on_meetup_called(
        circle_id=meetup.circle_id,
        meetup_id=meetup.pk,
        host_id=cast.origin.pk,
        title=meetup.title,
        city=meetup.city,
        starts_at=meetup.starts_at,
    )
    return meetup, card.pk


def test_a_meetup_card_follows_the_answers(cast: Cast) -> None:
    meetup, card = _meetup_card(cast)
    viewer = client_of(cast.designer)
    assert "1 人参加" in item(page(viewer, cast), card)  # the host
    rsvp_set(meetup=meetup, member=cast.collector, answer="yes")
    assert "2 人参加" in item(page(viewer, cast), card)
    rsvp_set(meetup=meetup, member=cast.designer, answer="yes")
    shown = item(page(viewer, cast), card)
    assert "3 人参加" in shown and "你的回复：参加" in shown
    rsvp_set(meetup=meetup, member=cast.designer, answer="no")
    shown = item(page(viewer, cast), card)
    assert "2 人参加" in shown and "你的回复：不参加" in shown


def test_a_newcomer_card_follows_the_viewers_ties(cast: Cast) -> None:
    tie = tie_declare(declarer=cast.collector, other=cast.distributor, kind="friend")
    tie_confirm(tie=tie, member=cast.distributor)
    card = on_member_joined(membership=cast.collector)
    viewer = client_of(cast.designer)
    assert "发行老李" not in item(page(viewer, cast), card.pk)
    tie = tie_declare(declarer=cast.designer, other=cast.distributor, kind="colleague")
    tie_confirm(tie=tie, member=cast.distributor)
    assert "、发行老李" in item(page(viewer, cast), card.pk)


def test_each_language_gets_its_own_markup(cast: Cast) -> None:
    first = say(cast.designer, "你好")
    services.message_delete(message_id=first, member=cast.designer)
    _meetup, card = _meetup_card(cast)
    zh = client_of(cast.distributor)
    en = Client(HTTP_ACCEPT_LANGUAGE="en")
    en.force_login(cast.distributor.user)
    for _ in range(2):  # filled, then kept: neither language answers for the other
        assert "这条消息已被删除。" in item(page(zh, cast), first)
        assert "This message was deleted." in item(page(en, cast), first)
        assert "1 going" in item(page(en, cast), card) and "1 人参加" in item(page(zh, cast), card)


def test_a_kept_card_form_carries_each_sessions_own_csrf_token(cast: Cast) -> None:
    card = _envelope_card(cast, cast.distributor)
    _meetup, meetup_card = _meetup_card(cast)
    grab = reverse("conversation:grab", args=[cast.origin.circle.slug, card.pk])
    rsvp = reverse("conversation:rsvp", args=[cast.origin.circle.slug, meetup_card])
    tokens = set()
    for _ in range(2):  # the same member in two browsers: two sessions, the card kept once
        c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans", enforce_csrf_checks=True)
        c.force_login(cast.designer.user)
        html = page(c, cast)
        fields = dict(form_fields(html, rsvp))
        tokens.add(fields["csrfmiddlewaretoken"])
        assert c.post(rsvp, {**fields, "answer": "maybe"}).status_code == 302
    assert len(tokens) == 2
    html = page(c, cast)
    assert c.post(grab, dict(form_fields(html, grab))).status_code == 302
    assert "你抢到了 ¥" in item(page(c, cast), card.pk)


def _queries(c: Client, cast: Cast) -> int:
    with CaptureQueriesContext(connection) as ctx:
        page(c, cast)
    return len(ctx.captured_queries)


def test_a_kept_page_reads_less_and_the_same_for_any_number_of_messages(cast: Cast) -> None:
    for i in range(60):
        say(cast.designer if i % 2 else cast.distributor, f"第{i}句")
    c = client_of(cast.collector)
    filled = _queries(c, cast)
    kept = _queries(c, cast)
    assert kept < filled, (kept, filled)
    # Kept: the session, the user, the membership, the stream's version with the reader's marker (one
    # query), the meetups panel and the to-do counts of introductions and deals (the tie requests are kept
    # under the circle's members_version); no message, unread count or open ask is read.
    assert kept == 6, kept
    for i in range(30):
        say(cast.designer, f"又一句{i}")
    assert _queries(c, cast) > kept  # a new version: read again, then kept
    assert _queries(c, cast) == kept


def test_the_to_do_counts_are_those_of_the_pages_they_link_to() -> None:
    """Counted without building the ties, introductions and deals: the same numbers as the full reads, for
    every member of the demo circle (requests, introductions and deals in every state)."""
    from kindred.circles.models import Membership
    from kindred.conversation.views import _todos
    from kindred.deals.selectors import deal_feed
    from kindred.demo.loader import DEMO_SLUG, demo_load
    from kindred.matching.selectors import intros_for
    from kindred.ties.selectors import tie_overview

    demo_load()
    members = Membership.objects.filter(circle__slug=DEMO_SLUG, status=Membership.Status.ACTIVE)
    seen = [0, 0, 0]
    for me in members.select_related("circle"):
        expected = [
            len(tie_overview(membership=me).incoming),
            sum(1 for v in intros_for(membership=me) if v.can_accept or v.can_approve),
            sum(
                1
                for v in deal_feed(member=me).waiting
                if v.my_party is not None and v.my_party.confirmed_at is None
            ),
        ]
        assert [n for _label, n, _url in _todos(me)] == expected, me
        seen = [a + bool(b) for a, b in zip(seen, expected, strict=True)]
    assert all(seen), seen  # each count is somebody's non-zero


def test_the_page_starts_at_the_first_unread_when_more_than_a_page_waits(cast: Cast) -> None:
    first = say(cast.designer, "第0句")
    ids = [first] + [say(cast.designer, f"第{i}句") for i in range(1, 60)]
    c = client_of(cast.distributor)
    html = page(c, cast)  # 60 unread: from the first one, a page of 50, a link to the newer ones
    shown = [int(x) for x in re.findall(r'<li class="msg [^"]*" id="m(\d+)"', html)]
    assert shown == ids[:50] and html.index('id="unread"') < html.index(f'id="m{first}"')
    assert f"?after={ids[49]}" in html
    services.read_marker_set(member=cast.distributor, last_read_id=ids[29])  # 30 unread: the latest page
    html = page(c, cast)
    shown = [int(x) for x in re.findall(r'<li class="msg [^"]*" id="m(\d+)"', html)]
    assert shown == ids[10:] and html.index('id="unread"') < html.index(f'id="m{ids[30]}"')
    # Only the reader's own messages after the marker: nothing unread, the latest page.
    services.read_marker_set(member=cast.designer, last_read_id=ids[0])
    html = page(client_of(cast.designer), cast)
    assert [int(x) for x in re.findall(r'<li class="msg [^"]*" id="m(\d+)"', html)] == ids[10:]
    assert 'id="unread"' not in html


def test_the_stream_cards_meetups_read_as_the_orm_does(cast: Cast) -> None:
    from kindred.meetups.selectors import meetup_page_many, meetups_for_member

    open_one, _card = _meetup_card(cast)
    private = _meetup(cast, "私密饭局", access="invitation", capacity=4)
    rsvp_set(meetup=open_one, member=cast.designer, answer="maybe")
    rsvp_set(meetup=open_one, member=cast.collector, answer="yes")
    ids = [open_one.pk, private.pk, private.pk + 1000]
    fields = ("pk", "title", "city", "starts_at", "capacity", "host_id", "going_count", "my_status")
    for member in (cast.origin, cast.designer, cast.collector):
        orm = meetups_for_member(member=member, meetup_ids=ids)
        raw = meetup_page_many(member=member, meetup_ids=ids)
        shown = {pk: tuple(getattr(m, f) for f in fields) for pk, m in raw.items()}
        assert shown == {pk: tuple(getattr(m, f) for f in fields) for pk, m in orm.items()}
    assert private.pk not in meetup_page_many(member=cast.designer, meetup_ids=ids)
    assert meetup_page_many(member=cast.designer, meetup_ids=[]) == {}


def test_the_side_panel_reads_its_meetups_as_the_orm_does(cast: Cast) -> None:
    from kindred.meetups.selectors import upcoming_brief, visible_meetups
    from kindred.meetups.services import meetup_invite

    _meetup(cast, "公开饭局")
    private = _meetup(cast, "私密饭局", access="invitation")
    meetup_invite(meetup=private, actor=cast.origin, member_ids=[cast.designer.pk])
    past_start = timezone.now() - timedelta(days=3)
    Meetup.objects.filter(pk=_meetup(cast, "已结束").pk).update(
        starts_at=past_start, ends_at=past_start + timedelta(hours=2)
    )
    for member in (cast.origin, cast.designer, cast.collector):
        now = timezone.now()
        orm = visible_meetups(member).filter(ends_at__gte=now).order_by("starts_at", "id")
        expected = list(orm.values("pk", "title", "city", "starts_at")[:2])
        assert upcoming_brief(member=member, limit=2, now=now) == expected, member
    titles = [m["title"] for m in upcoming_brief(member=cast.collector, limit=5)]
    assert titles == ["公开饭局"]  # neither the invitation-only dinner nor the one that ended


def test_the_side_panel_and_the_composer_are_never_stale(cast: Cast) -> None:
    c = client_of(cast.designer)
    html = page(c, cast)
    assert "新的饭局" not in html
    side = re.search(r'<aside class="convo-side">.*?</aside>', html, re.S)
    assert side and "待确认的关系" in side.group(0)
    _meetup(cast, "新的饭局")
    html = page(c, cast)
    assert "新的饭局" in html  # a new meetup, at once
    todos = re.search(r'<ul class="plain todos">.*?</ul>', html, re.S)
    assert todos is not None
    before = todos.group(0)
    tie_declare(
        declarer=cast.collector, other=cast.designer, kind="friend"
    )  # a tie request waits for the designer
    todos = re.search(r'<ul class="plain todos">.*?</ul>', page(c, cast), re.S)
    assert todos is not None and todos.group(0) != before
    # Each page's composer carries its own client id and the session's CSRF token.
    ids = [re.search(r'name="client_id" value="([0-9a-f]{32})"', page(c, cast)) for _ in range(2)]
    assert ids[0] and ids[1] and ids[0].group(1) != ids[1].group(1)
    other = client_of(cast.collector)
    tokens = [dict(form_fields(page(x, cast), "composer"))["csrfmiddlewaretoken"] for x in (c, other)]
    assert tokens[0] != tokens[1]


def test_the_stream_head_is_the_version_and_the_marker(cast: Cast) -> None:
    from kindred.conversation.models import ReadMarker, Stream
    from kindred.conversation.selectors import stream_head

    head = stream_head(member=cast.collector)
    assert head.last_read_id == 0  # no marker yet
    assert (
        head.version
        == Stream.objects.filter(circle_id=cast.collector.circle_id).values_list("version", flat=True).first()
    )
    first = say(cast.designer, "一句")
    services.read_marker_set(member=cast.collector, last_read_id=first)
    moved = stream_head(member=cast.collector)
    assert moved.last_read_id == ReadMarker.objects.get(member=cast.collector).last_read_id == first
    assert moved.version == Stream.objects.get(circle_id=cast.collector.circle_id).version != head.version


def test_mark_all_read_through_the_form_as_rendered(cast: Cast) -> None:
    say(cast.designer, "第一句")
    last = say(cast.designer, "第二句")
    c = client_of(cast.collector)
    html = page(c, cast)
    assert "2 条未读消息" in html
    action = reverse("conversation:read", args=[cast.collector.circle.slug])
    fields = dict(form_fields(html, action))
    assert fields["last_read_id"] == str(last)
    assert c.post(action, fields).status_code == 302
    assert "条未读消息" not in page(c, cast)


def test_the_kept_page_body_follows_the_circle_the_reader_and_the_language(cast: Cast) -> None:
    """The page's content is kept whole (views._body) under what it shows: a renamed circle, a new values
    statement, a new message (unread count, the last id the mark-read form carries), a read marker and another
    language show at once, and a message's slot text typed by a member stays text."""
    slot = "<!--slot:side-->"
    first = say(cast.designer, f"第一句 {slot}")
    reader = client_of(cast.distributor)
    html = page(reader, cast)
    assert "1 条未读消息" in html and html.count('<aside class="convo-side">') == 1
    assert "第一句 &lt;!--slot:side--&gt;" in item(html, first)  # escaped: never a slot
    circle_update(circle=cast.origin.circle, actor=cast.origin.user, name="新名字 <群>")
    assert "<h1>新名字 &lt;群&gt;</h1>" in page(reader, cast)
    circle_update(circle=cast.origin.circle, actor=cast.origin.user, values_statement="守信")
    assert "守信" in page(reader, cast)
    second = say(cast.designer, "第二句")
    html = page(reader, cast)
    assert "2 条未读消息" in html
    read = reverse("conversation:read", args=[cast.origin.circle.slug])
    assert dict(form_fields(html, read))["last_read_id"] == str(second)
    services.read_marker_set(member=cast.distributor, last_read_id=second)
    html = page(reader, cast)
    assert "条未读消息" not in html and read not in html
    reader.post(reverse("set_language"), {"language": "en", "next": home(cast)})
    html = page(reader, cast)
    assert "Mark all as read" not in html and 'aria-label="Conversation"' in html and "第二句" in html
    assert "Search the conversation" in html and "My circles" in html and "对话" not in html


def test_a_kept_page_shares_its_stream_only_with_what_is_the_same(cast: Cast) -> None:
    """The stream is kept under its page's version and the viewer's side: each member's own messages are
    marked theirs on their page only, the organizer sees what is hidden, and a new message is on every page."""
    mine = say(cast.designer, "设计师的话")
    theirs = say(cast.distributor, "发行的话")
    designer, distributor, mod = client_of(cast.designer), client_of(cast.distributor), client_of(cast.origin)
    for member in (
        cast.designer,
        cast.distributor,
    ):  # both read up to the end: their pages differ by author only
        services.read_marker_set(member=member, last_read_id=theirs)
    for _ in range(2):  # filled, then kept
        d, o = page(designer, cast), page(distributor, cast)
        assert "msg-mine" in item(d, mine) and "msg-mine" not in item(d, theirs)
        assert "msg-mine" in item(o, theirs) and "msg-mine" not in item(o, mine)
    services.message_hide(message_id=theirs, moderator=cast.origin, reason="离题")
    assert "发行的话" not in item(page(designer, cast), theirs)
    assert "发行的话" in item(page(mod, cast), theirs)
    third = say(cast.collector, "第三句")
    assert all(f'id="m{third}"' in page(c, cast) for c in (designer, distributor, mod))


def test_one_csrf_token_a_page_and_it_is_the_sessions(cast: Cast) -> None:
    """Every form of a page (the shell's sign-out and language forms, the composer, the mark-read form, a
    card's form) and the page's HTMX header carry the same token, made once for the page, and it is good."""
    _meetup, card = _meetup_card(cast)
    say(cast.designer, "一句")
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans", enforce_csrf_checks=True)
    c.force_login(cast.distributor.user)
    html = page(c, cast)
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
    tokens |= set(re.findall(r'"X-CSRFToken": "([^"]+)"', html))
    assert len(tokens) == 1, tokens
    assert html.count("csrfmiddlewaretoken") >= 5  # sign-out (twice), language, composer, mark read, the card
    read = reverse("conversation:read", args=[cast.origin.circle.slug])
    assert c.post(read, dict(form_fields(html, read))).status_code == 302
    assert tokens != set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page(c, cast)))
    assert card


def test_the_kept_page_follows_the_shell_the_role_the_path_and_shows_flash_messages_once(cast: Cast) -> None:
    """The page is kept whole with its shell: a new role's links, another page of the stream and the
    language show at once, and a flash message is shown (once) on a page that is then not kept."""
    slug = cast.origin.circle.slug
    ids = [say(cast.designer, f"第{i}句") for i in range(3)]
    c = client_of(cast.collector)
    review = reverse("invitations:review", args=[slug])
    assert review not in page(c, cast) and review not in page(c, cast)  # filled, then kept
    membership_role_set(membership=cast.collector, actor=cast.origin, role=Membership.Role.ADMIN)
    assert review in page(c, cast)
    older = c.get(home(cast) + f"?before={ids[2]}").content.decode()
    assert f'id="m{ids[1]}"' in older and f'id="m{ids[2]}"' not in older
    c.post(reverse("conversation:read", args=[slug]), {})  # nothing to mark: a flash message
    assert "没有可标为已读的消息。" in page(c, cast)
    assert "没有可标为已读的消息。" not in page(c, cast)


def test_a_message_naming_a_slot_shows_as_written(cast: Cast) -> None:
    """Whatever a member writes shows as written on a kept page: the CSRF token's slot (derived from the
    secret key) is not a text anyone can write, and the stream's slots are HTML comments, escaped in text."""
    from kindred.core.fragments import CSRF_SLOT

    texts = ["__kindred_csrf_slot__ 谁在北京", "<!--stream--> <!--composer--> 一句"]
    ids = [say(cast.designer, text) for text in texts]
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(cast.distributor.user)
    for html in (page(c, cast), page(c, cast)):  # rendered, then kept
        token = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[0]
        assert token not in item(html, ids[0]) and "__kindred_csrf_slot__ 谁在北京" in item(html, ids[0])
        assert "&lt;!--stream--&gt; &lt;!--composer--&gt; 一句" in item(html, ids[1])
        assert CSRF_SLOT not in html
