"""The ties page and its buttons, with and without HTMX, and the card page's tie box."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kindred.circles.models import Membership
from kindred.circles.services import membership_remove
from kindred.ties.models import Tie
from kindred.ties.services import tie_declare
from kindred.ties.tests.conftest import tie_snapshot

pytestmark = pytest.mark.django_db
LIST = reverse("ties:list", args=["xinwenyu"])
DECLARE = reverse("ties:declare", args=["xinwenyu"])
HTMX = {"HX-Request": "true"}


def _client(m: Membership | User) -> Client:
    client = Client(headers={"Accept-Language": "zh-hans"})
    client.force_login(m.user if isinstance(m, Membership) else m)
    return client


def test_the_page_shows_requests_ties_outgoing_and_suggestions(
    origin: Membership,
    alice: Membership,
    bob: Membership,
    carol: Membership,
    make_member: Callable[..., Membership],
) -> None:
    make_member("sc", display_name="同事甲", company="星河影业")
    tie_declare(declarer=bob, other=alice, kind="classmate", since_year=2003)
    tie_declare(declarer=alice, other=carol, kind="friend")
    response = _client(alice).get(LIST)
    assert response.status_code == 200
    body = response.content.decode()
    for text in ("等待你回应", "Bob 李", "2003 年相识", "我的人脉", "老周", "已发出，等待确认", "Carol 陈"):
        assert text in body, text
    assert "你可能认识的人" in body and "同事甲" in body and "同一家公司" in body
    assert reverse("ties:confirm", args=["xinwenyu", Tie.objects.get(declared_by=bob).pk]) in body
    assert reverse("circles:member", args=["xinwenyu", bob.pk]) in body
    assert response.context["circle"].slug == "xinwenyu" and response.context["membership"].pk == alice.pk


def test_outsiders_get_404_and_anonymous_is_sent_to_sign_in(
    alice: Membership, outsider: Membership, make_user: Callable[..., User]
) -> None:
    for who in (outsider, make_user("nobody")):
        client = _client(who)
        assert client.get(LIST).status_code == 404
        assert client.post(DECLARE, {"member_id": alice.pk, "kind": "friend"}).status_code == 404
    response = Client().get(LIST)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_declare_without_javascript_redirects_back(alice: Membership, bob: Membership) -> None:
    client = _client(alice)
    response = client.post(DECLARE, {"member_id": bob.pk, "kind": "colleague", "since_year": "2018"})
    assert response.status_code == 302 and response["Location"] == LIST
    tie = Tie.objects.get(declared_by=alice)
    assert (tie.kind, tie.since_year, tie.status) == ("colleague", 2018, "pending")
    page = client.get(LIST).content.decode()
    assert "请求已发出，将请 Bob 李 确认。" in page


def test_declare_goes_back_to_a_safe_next_only(alice: Membership, bob: Membership, carol: Membership) -> None:
    card = reverse("circles:member", args=["xinwenyu", bob.pk])
    client = _client(alice)
    response = client.post(DECLARE, {"member_id": bob.pk, "kind": "friend", "next": card})
    assert response["Location"] == card
    response = client.post(
        DECLARE, {"member_id": carol.pk, "kind": "friend", "next": "https://evil.example/"}
    )
    assert response["Location"] == LIST


def test_declare_with_htmx_answers_a_fragment(alice: Membership, bob: Membership) -> None:
    tie_declare(declarer=bob, other=alice, kind="friend")
    response = _client(alice).post(DECLARE, {"member_id": bob.pk, "kind": "friend"}, headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and "你和 Bob 李 已互相确认认识。" in body
    assert Tie.objects.get(declared_by=bob).status == Tie.Status.CONFIRMED


@pytest.mark.parametrize(
    "data",
    [
        {"member_id": "BOB", "kind": "friend", "since_year": "1900"},
        {"member_id": "BOB", "kind": "friend", "since_year": "NEXT"},
        {"member_id": "BOB", "kind": "sponsor"},
        {"member_id": "abc", "kind": "friend"},
        {"member_id": "ALICE", "kind": "friend"},
        {"member_id": "OUTSIDER", "kind": "friend"},
        {"member_id": "999999", "kind": "friend"},
    ],
)
def test_bad_declarations_are_400_in_chinese_and_change_nothing(
    alice: Membership, bob: Membership, outsider: Membership, data: dict[str, str]
) -> None:
    names = {"BOB": str(bob.pk), "ALICE": str(alice.pk), "OUTSIDER": str(outsider.pk)}
    posted = {k: names.get(v, v) for k, v in data.items()}
    if posted.get("since_year") == "NEXT":
        posted["since_year"] = str(timezone.localdate().year + 1)
    before = tie_snapshot()
    response = _client(alice).post(DECLARE, posted)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'class="error"' in body
    assert any(word in body for word in ("年份", "选择", "不能", "未找到", "有效", "小于", "大于", "整数"))
    assert tie_snapshot() == before
    # With HTMX the refusal is a fragment in the button's slot.
    response = _client(alice).post(DECLARE, posted, headers=HTMX)
    assert 'class="tie-answer error"' in response.content.decode()
    assert tie_snapshot() == before


def test_confirm_and_ignore_buttons(alice: Membership, bob: Membership, carol: Membership) -> None:
    to_confirm = tie_declare(declarer=bob, other=alice, kind="friend")
    to_ignore = tie_declare(declarer=carol, other=alice, kind="friend")
    client = _client(alice)
    response = client.post(reverse("ties:confirm", args=["xinwenyu", to_confirm.pk]))
    assert response.status_code == 302
    response = client.post(reverse("ties:ignore", args=["xinwenyu", to_ignore.pk]), headers=HTMX)
    assert response.status_code == 200 and "已忽略 Carol 陈 的请求。" in response.content.decode()
    to_confirm.refresh_from_db()
    to_ignore.refresh_from_db()
    assert (to_confirm.status, to_ignore.status) == ("confirmed", "ignored")


def test_answering_a_request_wrongly(alice: Membership, bob: Membership, carol: Membership) -> None:
    tie = tie_declare(declarer=alice, other=bob, kind="friend")
    before = tie_snapshot()
    # The declarer: refused with a message; a third member: 404; GET: not allowed.
    response = _client(alice).post(reverse("ties:confirm", args=["xinwenyu", tie.pk]))
    assert response.status_code == 400 and "只有被邀请的一方才能回应这个请求。" in response.content.decode()
    assert _client(carol).post(reverse("ties:confirm", args=["xinwenyu", tie.pk])).status_code == 404
    assert _client(bob).get(reverse("ties:confirm", args=["xinwenyu", tie.pk])).status_code == 405
    assert tie_snapshot() == before


def _page_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(LIST).status_code == 200
    return len(ctx.captured_queries)


def test_the_page_keeps_a_constant_query_count(
    alice: Membership, make_member: Callable[..., Membership]
) -> None:
    client = _client(alice)
    counts = []
    for size in (10, 200):
        for i in range(size - Tie.objects.filter(declared_by__user__username__startswith="q").count()):
            m = make_member(f"q{size}_{i}", company="星河影业", city="北京")
            tie_declare(declarer=m, other=alice, kind="friend")
        counts.append(_page_queries(client))
    assert counts[0] == counts[1]


def test_tie_box_for_the_member_card_page(
    origin: Membership,
    alice: Membership,
    bob: Membership,
    carol: Membership,
    make_member: Callable[..., Membership],
) -> None:
    tie_declare(declarer=carol, other=alice, kind="friend")
    template = Template("{% load ties %}{% tie_box circle membership member %}")
    request = RequestFactory().get(reverse("circles:member", args=["xinwenyu", bob.pk]))

    def render(member: Membership) -> str:
        return template.render(
            Context({"circle": alice.circle, "membership": alice, "member": member, "request": request})
        )

    fresh = render(bob)
    assert DECLARE in fresh and f'value="{bob.pk}"' in fresh
    assert f'name="next" value="{request.get_full_path()}"' in fresh
    assert reverse("ties:confirm", args=["xinwenyu", Tie.objects.get(declared_by=carol).pk]) in render(carol)
    assert "已互相认识" in render(origin)
    tie_declare(declarer=alice, other=bob, kind="friend")
    assert "请求已发出，等待对方确认" in render(bob)
    assert render(alice).strip() == ""
    gone = make_member("gone")
    membership_remove(membership=gone, actor=origin, reason="退圈")
    assert render(Membership.objects.get(pk=gone.pk)).strip() == ""


QUERIES_PAGE_KEPT = 2  # user, membership: the body is kept per member under the circle's members_version


def test_the_page_is_kept_and_never_stale(
    alice: Membership,
    bob: Membership,
    carol: Membership,
    django_assert_num_queries: Callable,
) -> None:
    client = _client(alice)
    first = client.get(LIST).content.decode()
    assert "等待你回应" not in first  # no request waiting yet
    with django_assert_num_queries(QUERIES_PAGE_KEPT):
        kept = client.get(LIST).content.decode()
    token = 'name="csrfmiddlewaretoken" value="'
    assert kept.count(token) == first.count(token) > 0 and "csrf_slot" not in kept
    tie = tie_declare(declarer=bob, other=alice, kind="classmate", since_year=2003)
    waiting = client.get(LIST).content.decode()
    assert "等待你回应" in waiting and "2003 年相识" in waiting
    assert reverse("ties:confirm", args=["xinwenyu", tie.pk]) in waiting
    client.post(reverse("ties:confirm", args=["xinwenyu", tie.pk]))
    confirmed = client.get(LIST).content.decode()
    assert "等待你回应" not in confirmed and "Bob 李" in confirmed
    english = Client(headers={"Accept-Language": "en"})
    english.force_login(alice.user)
    assert "My ties" in english.get(LIST).content.decode()
    assert "我的人脉" in client.get(LIST).content.decode()
