"""Nothing the directory, a member card page or the ties page keeps in the cache is ever shown stale: every
change (a card through its service or its form, a tie, a role, a removal, the reader's language) shows on
the very next page. And every service that changes what those pages show moves the circle's members_version
in its transaction (what other processes key their cached views on)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from kindred.circles import services
from kindred.circles.models import Circle, Membership
from kindred.ties.models import Tie
from kindred.ties.services import (
    tie_confirm,
    tie_declare,
    tie_ignore,
    tie_record_deal,
    tie_record_introduced,
    tie_record_met,
)


def _client(user: User, language: str = "zh-hans") -> Client:
    c = Client()
    c.force_login(user)
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return c


def _directory(c: Client, circle: Circle, **query: str) -> str:
    response = c.get(reverse("circles:directory", args=[circle.slug]), query)
    assert response.status_code == 200
    return response.content.decode()


def _card_in(page: str, member: Membership) -> str:
    start = page.index(f'id="member-{member.pk}"')
    return page[start : page.index("</article>", start)]


def _member_page(c: Client, circle: Circle, member: Membership) -> str:
    response = c.get(reverse("circles:member", args=[circle.slug, member.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_card_changed_through_its_service_shows_at_once(
    circle: Circle, origin: Membership, make_member: Callable[..., Membership]
) -> None:
    a = make_member(display_name="阿甲", company="旧公司")
    b = make_member(display_name="阿乙", sponsor=a)
    c = _client(origin.user)
    for _ in range(2):  # the second view comes from the cache
        assert "旧公司" in _card_in(_directory(c, circle), a)
        assert "旧公司" in _member_page(c, circle, a)
    services.card_update(
        membership=a,
        fields={"display_name": "阿甲新", "company": "新公司", "offers": "新的服务"},
        industry_codes=["music"],
        offer_tags=["新标签"],
    )
    card = _card_in(_directory(c, circle), a)
    assert "新公司" in card and "旧公司" not in card and "新的服务" in card and "新标签" in card
    assert "音乐" in card  # the industry
    assert "老周 → 阿甲新 → 阿乙" in _card_in(_directory(c, circle), b)  # the invite path of another card
    page = _member_page(c, circle, a)
    assert "阿甲新" in page and "新公司" in page and "新标签" in page and "旧公司" not in page
    # The filters: the new city at once, and the search finds the new words.
    services.card_update(membership=a, fields={"city": "杭州"})
    assert '<option value="杭州">' in _directory(c, circle)
    assert "阿甲新" in _directory(c, circle, city="杭州")
    assert "阿甲新" in _directory(c, circle, q="新的服务")


def test_a_card_changed_through_the_edit_form_shows_at_once(
    circle: Circle, origin: Membership, make_member: Callable[..., Membership]
) -> None:
    a = make_member(display_name="阿甲", company="旧公司")
    mine = _client(a.user)
    other = _client(origin.user)
    assert "旧公司" in _card_in(_directory(other, circle), a)
    assert "旧公司" in _member_page(mine, circle, a)
    form = {
        "display_name": "阿甲",
        "company": "表单公司",
        "title": "制片人",
        "city": "上海",
        "offers": "",
        "needs": "",
        "bio": "",
        "values": "",
        "wechat": "wx-new",
        "wechat_visibility": "circle",
        "phone": "",
        "phone_visibility": "nobody",
        "email": "",
        "email_visibility": "ties",
        "offer_tags": "",
        "need_tags": "",
    }
    response = mine.post(reverse("circles:card_edit", args=[circle.slug]), form)
    assert response.status_code == 302
    card = _card_in(_directory(other, circle), a)
    assert "表单公司" in card and "制片人" in card and "旧公司" not in card
    page = _member_page(other, circle, a)
    assert "表单公司" in page and "wx-new" in page  # the contact now shared with the circle


def test_a_tie_shows_at_once(circle: Circle, make_member: Callable[..., Membership]) -> None:
    a = make_member(display_name="阿甲")
    b = make_member(display_name="阿乙")
    x = make_member(display_name="阿丙")
    c = _client(a.user)
    assert "你们彼此认识" not in _card_in(_directory(c, circle), b)
    before = _member_page(c, circle, b)
    assert "我认识 TA" in before
    tie = tie_declare(declarer=a, other=b, kind="friend")
    assert "请求已发出，等待对方确认" in _member_page(c, circle, b)
    tie_confirm(tie=tie, member=b)
    assert "你们彼此认识" in _card_in(_directory(c, circle), b)
    assert "你们彼此认识" in _member_page(c, circle, b)
    # A tie of others: a member both know (b knows x, and a knows b; now a knows x too).
    tie_record_met(a=b, b=x)
    tie_record_met(a=a, b=x)
    assert "阿丙" in _card_in(_directory(c, circle), b)  # the mutual tie shows on b's card
    ties_page = c.get(reverse("ties:list", args=[circle.slug])).content.decode()
    assert "阿乙" in ties_page and "阿丙" in ties_page


def test_the_api_directory_follows_ties_names_and_removals_at_once(
    circle: Circle, origin: Membership, make_member: Callable[..., Membership]
) -> None:
    """The API's directory reads mutual ties and invite paths from the kept roster: each change shows at once."""
    a = make_member(display_name="阿甲")
    x = make_member(display_name="阿丙")
    b = make_member(display_name="阿乙", sponsor=a)
    c = _client(a.user)

    def card(member: Membership) -> dict:
        items = c.get(f"/api/v1/circles/{circle.slug}/members").json()["items"]
        return next(i for i in items if i["id"] == member.pk)

    def names(people: list[dict]) -> list[str]:
        return [p["display_name"] for p in people]

    for _ in range(2):  # the second read finds the roster kept
        assert names(card(b)["mutual_ties"]) == [] and not card(x)["is_tie"]
        assert names(card(b)["invite_path"]) == ["老周", "阿甲", "阿乙"]
    tie_record_met(a=b, b=x)
    tie_record_met(a=a, b=x)
    assert names(card(b)["mutual_ties"]) == ["阿丙"] and card(x)["is_tie"]
    services.card_update(membership=a, fields={"display_name": "阿甲新"})
    assert names(card(b)["invite_path"]) == ["老周", "阿甲新", "阿乙"]
    services.membership_remove(membership=x, actor=origin, reason="离开")
    assert names(card(b)["mutual_ties"]) == []


def test_a_role_and_a_removal_show_at_once(
    circle: Circle, origin: Membership, make_member: Callable[..., Membership]
) -> None:
    a = make_member(display_name="阿甲")
    c = _client(origin.user)
    assert "管理员" not in _card_in(_directory(c, circle), a)
    services.membership_role_set(membership=a, actor=origin, role=Membership.Role.ADMIN)
    assert "管理员" in _card_in(_directory(c, circle), a)
    assert "管理员" in _member_page(c, circle, a)
    services.membership_role_set(membership=a, actor=origin, role=Membership.Role.MEMBER)
    assert "管理员" not in _card_in(_directory(c, circle), a)
    services.membership_remove(membership=a, actor=origin, reason="离开")
    assert f'id="member-{a.pk}"' not in _directory(c, circle)
    assert "已移出" in _member_page(c, circle, a)  # the organizer still sees the card, marked


def test_the_language_switches_at_once(
    circle: Circle, origin: Membership, make_member: Callable[..., Membership]
) -> None:
    a = make_member(display_name="阿甲", offers="做发行")
    services.card_update(membership=a, fields={}, industry_codes=["music"])
    zh = _client(origin.user)
    en = _client(origin.user, "en")
    for _ in range(2):
        card = _card_in(_directory(zh, circle), a)
        assert "提供" in card and "音乐" in card and "Offers" not in card
        card = _card_in(_directory(en, circle), a)
        assert "Offers" in card and "Music" in card and "提供" not in card
    assert "Organizer" in _member_page(en, circle, origin) and "群主" in _member_page(zh, circle, origin)
    # Switching in the page itself (the language form) answers the next page in the new language.
    zh.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Offers" in _card_in(_directory(zh, circle), a)


def test_a_membership_held_across_a_change_reads_the_change(
    circle: Circle, origin: Membership, make_member: Callable[..., Membership]
) -> None:
    """Selectors given a membership read before a change (in this process) do not find what was kept
    before it."""
    from kindred.circles import selectors

    a = make_member(display_name="阿甲")
    held = Membership.objects.select_related("circle").get(pk=origin.pk)
    assert selectors.circle_roster(circle=held.circle).members[a.pk].name == "阿甲"
    services.card_update(membership=a, fields={"display_name": "阿甲新"})
    assert selectors.circle_roster(circle=held.circle).members[a.pk].name == "阿甲新"


def _version(circle: Circle) -> int:
    return Circle.objects.get(pk=circle.pk).members_version


@pytest.mark.parametrize(
    "change",
    [
        "card_update",
        "membership_create",
        "membership_remove",
        "membership_role_set",
        "membership_leave",
        "industry_add",
        "card_erase",
        "tie_declare",
        "tie_confirm",
        "tie_ignore",
        "tie_record_met",
        "tie_record_deal",
        "tie_record_introduced",
    ],
)
def test_every_change_moves_the_members_version(
    circle: Circle,
    origin: Membership,
    make_member: Callable[..., Membership],
    make_user: Callable[..., User],
    change: str,
) -> None:
    a = make_member()
    b = make_member()
    x = make_member()
    pending = tie_declare(declarer=a, other=b, kind="friend")
    before = _version(circle)
    match change:
        case "card_update":
            services.card_update(membership=a, fields={"title": "导演"})
        case "membership_create":
            services.membership_create(circle=circle, user=make_user(), sponsor=a)
        case "membership_remove":
            services.membership_remove(membership=a, actor=origin, reason="离开")
        case "membership_role_set":
            services.membership_role_set(membership=a, actor=origin, role=Membership.Role.ADMIN)
        case "membership_leave":
            services.membership_leave(membership=a)
        case "industry_add":
            services.industry_add(circle=circle, actor=origin, name_zh="剧本杀")
        case "card_erase":
            services.card_erase(membership=a)
        case "tie_declare":
            tie_declare(declarer=x, other=b, kind="friend")
        case "tie_confirm":
            tie_confirm(tie=pending, member=b)
        case "tie_ignore":
            tie_ignore(tie=pending, member=b)
        case "tie_record_met":
            tie_record_met(a=a, b=b)
        case "tie_record_deal":
            tie_record_deal(a=a, b=b)
        case "tie_record_introduced":
            tie_record_introduced(member=a, other=b, introducer=origin)
    assert _version(circle) > before
    assert Tie.objects.filter(circle=circle).exists()


# What moves members_version: the boxes on a member's page kept under it may read only these tables.
MEMBERS_VERSION_TABLES = {
    "ties_tie",
    "circles_membership",
    "circles_membercard",
    "auth_user",
    "circles_circle",
}


def test_the_kept_boxes_of_a_member_page_read_only_what_moves_the_version(
    circle: Circle, origin: Membership, make_member: Callable[..., Membership]
) -> None:
    """The ties part of a member's page (the tie box, the introduction box) is kept under the circle's
    members_version: if a box ever reads another table, a change there would not show. This test says so."""
    import re

    from django.db import connection
    from django.template import Context, Template
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    a = make_member(display_name="阿甲")
    b = make_member(display_name="阿乙", sponsor=a)
    viewer = make_member(display_name="阿丙")
    tie_record_met(a=viewer, b=a)
    template = Template(
        "{% load ties intros %}{% tie_box circle membership member %}{% intro_box circle membership member %}"
    )
    request = RequestFactory().get("/")
    held = Membership.objects.select_related("circle").get(pk=viewer.pk)
    with CaptureQueriesContext(connection) as ctx:
        html = template.render(
            Context({"circle": circle, "membership": held, "member": b, "request": request})
        )
    assert "阿甲" in html  # the introduction box offers the member both know
    tables = {t for q in ctx.captured_queries for t in re.findall(r'(?:FROM|JOIN) "?(\w+)"?', q["sql"])}
    assert tables and tables <= MEMBERS_VERSION_TABLES, tables


def test_the_member_page_ties_part_follows_a_tie(
    circle: Circle, make_member: Callable[..., Membership]
) -> None:
    a = make_member(display_name="阿甲")
    b = make_member(display_name="阿乙", sponsor=a)
    viewer = make_member(display_name="阿丙")
    c = _client(viewer.user)
    link = f'<a href="/c/xinwenyu/members/{a.pk}/">阿甲</a>'
    for _ in range(2):  # the second from the cache
        page = _member_page(c, circle, b)
        assert "你们还没有共同认识的人" in page and 'class="intro-box"' in page
    tie_record_met(a=viewer, b=a)
    page = _member_page(c, circle, b)
    assert "你们还没有共同认识的人" not in page and link in page  # now a member both know
    assert f'<option value="{a.pk}" selected>阿甲</option>' in page  # who introduces them
    token = 'name="csrfmiddlewaretoken" value="'
    assert token in page and "csrf_slot" not in page
