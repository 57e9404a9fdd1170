"""The conversation's pages: forms posted as rendered (no JavaScript), bad input refused with nothing stored,
the event cards with their live state (grab and RSVP in place), the asker's routes worded in Chinese, and
the home page's constant query count."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kindred.circles.models import Membership
from kindred.conversation import services
from kindred.conversation.models import Ask, Kind, Message
from kindred.conversation.receivers import on_envelope_sent, on_meetup_called
from kindred.core.fragments import forget_all
from kindred.meetups.services import meetup_create, trip_create
from kindred.ties.services import tie_confirm, tie_declare
from kindred.wallet.models import Envelope
from kindred.wallet.services import envelope_grab, envelope_send, topup_create
from tests.forms import form_fields

from .conftest import Cast

pytestmark = pytest.mark.django_db


def client_of(m: Membership) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(m.user)
    return c


def home(cast: Cast) -> str:
    return reverse("conversation:home", args=[cast.origin.circle.slug])


def composer(c: Client, cast: Cast, text: str, *, ask: bool = False, query: str = "") -> str:
    """The composer's fields as the page renders them, with `text` typed (and the ask box ticked)."""
    page = c.get(home(cast) + query).content.decode()
    fields = [(k, text if k == "text" else v) for k, v in form_fields(page, "composer")]
    if ask:
        fields.append(("is_ask", "on"))
    return urlencode(fields)


FORM = "application/x-www-form-urlencoded"


def test_post_through_the_form_as_rendered_once_per_form(cast: Cast) -> None:
    c = client_of(cast.designer)
    body = composer(c, cast, "大家好 👋 第一次发言")
    post = reverse("conversation:post", args=[cast.origin.circle.slug])
    r = c.post(post, body, content_type=FORM)
    message = Message.objects.get(author=cast.designer)
    assert r.status_code == 302 and r["Location"] == home(cast) + f"#m{message.pk}"
    assert c.post(post, body, content_type=FORM).status_code == 302  # the same form again (a double click)
    assert Message.objects.filter(author=cast.designer).count() == 1
    page = c.get(home(cast)).content.decode()
    assert "大家好 👋 第一次发言" in page and f'id="m{message.pk}"' in page


def test_a_reply_through_the_reply_link(cast: Cast) -> None:
    parent = services.message_post(author=cast.collector, text="周末谁在杭州？").message
    c = client_of(cast.designer)
    body = composer(c, cast, "我在！", query=f"?reply={parent.pk}")
    assert ("reply_to", str(parent.pk)) in parse_qsl(body)
    c.post(reverse("conversation:post", args=[cast.origin.circle.slug]), body, content_type=FORM)
    reply = Message.objects.get(author=cast.designer)
    assert reply.reply_to_id == parent.pk
    assert "：周末谁在杭州？</blockquote>" in c.get(home(cast)).content.decode()


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("   ", "blank"),
        ("长" * 10_001, "too long"),
        ("你好\x00", "NUL"),
        ("@不存在的人 你好", "unknown mention"),
    ],
)
def test_bad_input_is_refused_with_nothing_stored(cast: Cast, text: str, why: str) -> None:
    c = client_of(cast.designer)
    body = composer(c, cast, text)
    before = Message.objects.count()
    r = c.post(reverse("conversation:post", args=[cast.origin.circle.slug]), body, content_type=FORM)
    assert 400 <= r.status_code < 500, why
    assert Message.objects.count() == before
    assert 'class="errorlist' in r.content.decode()


def test_a_reply_to_another_circles_message_is_refused(cast: Cast) -> None:
    c = client_of(cast.designer)
    body = composer(c, cast, "回复别的群", query=f"?reply={cast.elsewhere.pk}")
    before = Message.objects.count()
    r = c.post(reverse("conversation:post", args=[cast.origin.circle.slug]), body, content_type=FORM)
    assert r.status_code == 400 and Message.objects.count() == before


def test_the_asker_sees_whom_the_ask_reached_and_why_in_chinese(cast: Cast) -> None:
    c = client_of(cast.collector)
    body = composer(c, cast, "谁能帮我做一个PPT？", ask=True)
    c.post(reverse("conversation:post", args=[cast.origin.circle.slug]), body, content_type=FORM)
    ask = Ask.objects.get(message__author=cast.collector)
    assert ask.routes.first().member == cast.designer  # type: ignore[union-attr]
    page = c.get(home(cast)).content.decode()
    assert "同类帮你问了" in page and "小美" in page and "名片或过往回答里有“" in page
    # Others see the ask, not whom it was routed to.
    other = client_of(cast.distributor).get(home(cast)).content.decode()
    assert "谁能帮我做一个PPT？" in other and "同类帮你问了" not in other


def test_the_asker_marks_a_reply_caught_through_the_message_page(cast: Cast) -> None:
    ask = services.message_post(author=cast.collector, text="谁能帮我做PPT？", kind=Kind.ASK).message
    reply = services.message_post(author=cast.designer, text="我可以", reply_to_id=ask.pk).message
    c = client_of(cast.collector)
    url = reverse("conversation:message", args=[cast.origin.circle.slug, ask.pk])
    page = c.get(url).content.decode()
    action = reverse("conversation:caught", args=[cast.origin.circle.slug, ask.pk])
    fields = dict(form_fields(page, action))
    assert str(reply.pk) in page
    fields["reply_id"] = str(reply.pk)
    r = c.post(action, urlencode(fields), content_type=FORM)
    assert r.status_code == 302
    a = Ask.objects.get(message=ask)
    assert a.status == Ask.Status.CAUGHT and a.caught_by == cast.designer and a.caught_reply == reply
    assert "已被 小美 接住" in c.get(home(cast)).content.decode()


def test_someone_else_cannot_mark_caught_and_nothing_changes(cast: Cast) -> None:
    ask = services.message_post(author=cast.collector, text="谁能帮我做PPT？", kind=Kind.ASK).message
    c = client_of(cast.distributor)
    action = reverse("conversation:caught", args=[cast.origin.circle.slug, ask.pk])
    r = c.post(action, {"member_id": cast.designer.pk})
    assert r.status_code == 403
    assert Ask.objects.get(message=ask).status == Ask.Status.OPEN


def test_edit_delete_and_hide_through_the_message_page(cast: Cast) -> None:
    m = services.message_post(author=cast.designer, text="原来的话").message
    slug = cast.origin.circle.slug
    author = client_of(cast.designer)
    page = author.get(reverse("conversation:message", args=[slug, m.pk])).content.decode()
    edit = reverse("conversation:edit", args=[slug, m.pk])
    fields = [(k, "改过的话" if k == "text" else v) for k, v in form_fields(page, edit)]
    assert author.post(edit, urlencode(fields), content_type=FORM).status_code == 302
    assert Message.objects.get(pk=m.pk).text == "改过的话"
    # Past the edit window the author can no longer edit.
    Message.objects.filter(pk=m.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    assert author.post(edit, {"text": "再改"}).status_code == 403
    assert Message.objects.get(pk=m.pk).text == "改过的话"
    # A moderator hides it with a reason (an empty reason is refused, nothing changes).
    mod = client_of(cast.origin)
    hide = reverse("conversation:hide", args=[slug, m.pk])
    assert mod.post(hide, {"reason": ""}).status_code == 400
    assert Message.objects.get(pk=m.pk).hidden_at is None
    assert mod.post(hide, {"reason": "离题"}).status_code == 302
    assert "改过的话" not in client_of(cast.distributor).get(home(cast)).content.decode()
    assert author.post(reverse("conversation:delete", args=[slug, m.pk])).status_code == 302
    assert Message.objects.get(pk=m.pk).deleted_at is not None


def _envelope_card(cast: Cast, sender: Membership) -> Message:
    topup_create(user=sender.user, amount_fen=10_000)
    env = envelope_send(sender=sender, total_fen=888, shares=3, mode="lucky", greeting="恭喜发财")
    return on_envelope_sent(
        circle_id=sender.circle_id,
        envelope_id=env.pk,
        sender_id=sender.pk,
        total_fen=888,
        shares=3,
        mode="lucky",
        greeting="恭喜发财",
    )


def test_grab_a_red_envelope_in_the_stream(cast: Cast) -> None:
    card = _envelope_card(cast, cast.distributor)
    envelope = Envelope.objects.get(pk=card.payload["envelope_id"])
    envelope_grab(envelope=envelope, member=cast.collector)
    envelope_grab(envelope=envelope, member=cast.admin)
    c = client_of(cast.designer)
    page = c.get(home(cast)).content.decode()
    grab = reverse("conversation:grab", args=[cast.origin.circle.slug, card.pk])
    assert "抢红包" in page and grab in page
    # The page's script posts the form as rendered and swaps in the card the server answers with.
    r = c.post(grab, urlencode(form_fields(page, grab)), content_type=FORM, HTTP_X_KINDRED_FRAGMENT="1")
    assert r.status_code == 200
    html = r.content.decode()
    assert html.lstrip().startswith("<li") and "你抢到了 ¥" in html and "手气最佳" in html
    # A second grab is refused (409) and changes nothing.
    again = c.post(grab, urlencode(form_fields(page, grab)), content_type=FORM)
    assert again.status_code == 409


def test_rsvp_to_a_meetup_in_the_stream(cast: Cast) -> None:
    starts = timezone.now() + timedelta(days=2)
    meetup = meetup_create(
        circle=cast.origin.circle,
        host=cast.origin,
        title="北京饭局",
        city="北京",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
    )
    card = on_meetup_called(
        circle_id=meetup.circle_id,
        meetup_id=meetup.pk,
        host_id=cast.origin.pk,
        title=meetup.title,
        city=meetup.city,
        starts_at=meetup.starts_at,
    )
    c = client_of(cast.designer)
    page = c.get(home(cast)).content.decode()
    rsvp = reverse("conversation:rsvp", args=[cast.origin.circle.slug, card.pk])
    r = c.post(rsvp, urlencode(form_fields(page, rsvp)), content_type=FORM)
    assert r.status_code == 302 and r["Location"].endswith(f"#m{card.pk}")
    assert "你的回复：参加" in c.get(home(cast)).content.decode()
    assert c.post(rsvp, {"answer": "sometimes"}).status_code == 400


def test_the_newcomer_card_names_whom_the_viewer_knows(cast: Cast, make_member: object) -> None:
    # The distributor knows the designer; the collector joins under the designer and knows the distributor.
    tie = tie_declare(declarer=cast.distributor, other=cast.designer, kind="colleague")
    tie_confirm(tie=tie, member=cast.designer)
    tie = tie_declare(declarer=cast.collector, other=cast.distributor, kind="friend")
    tie_confirm(tie=tie, member=cast.distributor)
    from kindred.conversation.receivers import on_member_joined

    on_member_joined(membership=cast.collector)
    page = client_of(cast.designer).get(home(cast)).content.decode()
    assert "收藏家 加入了群" in page and "你们都认识 老周、发行老李" in page


def test_live_changes_post_their_cards_back_dated_ones_do_not(
    cast: Cast, django_capture_on_commit_callbacks: object
) -> None:
    capture = django_capture_on_commit_callbacks
    starts = timezone.now() + timedelta(days=2)
    with capture(execute=True):  # type: ignore[operator]
        topup_create(user=cast.designer.user, amount_fen=10_000)
        envelope_send(sender=cast.designer, total_fen=600, shares=2, mode="equal")
        meetup_create(
            circle=cast.origin.circle,
            host=cast.origin,
            title="开放饭局",
            city="北京",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
        )
        meetup_create(
            circle=cast.origin.circle,
            host=cast.origin,
            title="私密饭局",
            city="北京",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            access="invitation",
        )
        trip_create(traveller=cast.collector, city="杭州", starts_on=starts.date(), ends_on=starts.date())
        envelope_send(sender=cast.designer, total_fen=600, shares=2, mode="equal", at=timezone.now())
    kinds = list(
        Message.objects.filter(
            circle_id=cast.origin.circle_id,
            kind__in=[Kind.ENVELOPE_SENT, Kind.MEETUP_CALLED, Kind.TRIP_ANNOUNCED],
        )
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == [Kind.ENVELOPE_SENT, Kind.MEETUP_CALLED, Kind.TRIP_ANNOUNCED]
    page = client_of(cast.distributor).get(home(cast)).content.decode()
    assert "开放饭局" in page and "私密饭局" not in page and "要去杭州" in page


def _fill(cast: Cast, n: int) -> None:
    previous = None
    for i in range(n):
        if i % 10 == 0:
            m = services.message_post(author=cast.collector, text=f"谁能帮我做PPT {i}", kind=Kind.ASK).message
        elif i % 10 == 1:
            m = services.message_post(
                author=cast.designer, text=f"@收藏家 我来 {i}", reply_to_id=previous
            ).message
        elif i % 10 == 2:
            m = _envelope_card(cast, cast.distributor)
        elif i % 10 == 3:
            m = services.event_post(
                circle_id=cast.origin.circle_id,
                kind=Kind.MEMBER_JOINED,
                key=f"x{i}",
                payload={"member_id": cast.admin.pk, "display_name": "管理员", "sponsor_id": cast.origin.pk},
            )
        elif i % 10 == 4:
            starts = timezone.now() + timedelta(days=2 + i)
            mt = meetup_create(
                circle=cast.origin.circle,
                host=cast.origin,
                title=f"饭局{i}",
                city="北京",
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
            )
            m = on_meetup_called(
                circle_id=mt.circle_id,
                meetup_id=mt.pk,
                host_id=cast.origin.pk,
                title=mt.title,
                city=mt.city,
                starts_at=mt.starts_at,
            )
        else:
            m = services.message_post(
                author=cast.distributor, text=f"短视频发行 https://example.com/{i}"
            ).message
        previous = m.pk


def _queries(c: Client, url: str) -> int:
    # Django's own per-process caches (content types, ...) warm, as after any earlier test in this process;
    # then nothing of ours kept (this process's copies too): every message rendered, the roster read.
    assert c.get(url).status_code == 200
    forget_all()
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_home_page_runs_the_same_queries_for_10_and_100_messages(cast: Cast) -> None:
    c = client_of(cast.collector)  # the asker: her asks' routes are read too
    _fill(cast, 10)
    services.read_marker_set(member=cast.collector, last_read_id=Message.objects.latest("id").pk)
    at_10 = _queries(c, home(cast))
    _fill(cast, 90)
    services.read_marker_set(member=cast.collector, last_read_id=Message.objects.latest("id").pk)
    at_100 = _queries(c, home(cast))
    assert at_10 == at_100, (at_10, at_100)
    assert len(re.findall(r'<li class="msg ', c.get(home(cast)).content.decode())) == 50


def test_search_shows_results_in_context(cast: Cast) -> None:
    services.message_post(author=cast.distributor, text="之前一句")
    services.message_post(author=cast.collector, text="有人做院线排片吗")
    services.message_post(author=cast.designer, text="之后一句")
    r = client_of(cast.designer).get(
        reverse("conversation:search", args=[cast.origin.circle.slug]), {"q": "院线"}
    )
    html = r.content.decode()
    assert r.status_code == 200 and "有人做院线排片吗" in html and "之前一句" in html and "之后一句" in html
    bad = client_of(cast.designer).get(
        reverse("conversation:search", args=[cast.origin.circle.slug]), {"q": "x\x00"}
    )
    assert bad.status_code == 400


def test_mentions_suggest_members_by_name(cast: Cast) -> None:
    r = client_of(cast.collector).get(
        reverse("conversation:mentions", args=[cast.origin.circle.slug]), {"q": "小"}
    )
    assert r.json()["items"] == [{"member_id": cast.designer.pk, "display_name": "小美"}]
