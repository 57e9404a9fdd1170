"""The directory: search in Chinese and English, filters, pagination, mutual ties, invite paths, visibility,
and a query count that does not grow with the circle."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from kindred.circles import selectors, services
from kindred.circles.models import DIRECTORY_PAGE_SIZE, Circle, Membership
from kindred.core.services import NotFound, ServiceError
from kindred.ties.models import Tie
from kindred.ties.services import tie_record_sponsor

pytestmark = pytest.mark.django_db


def tie(a: Membership, b: Membership) -> None:
    """A confirmed tie between two members (recorded the way an accepted invitation records one)."""
    tie_record_sponsor(sponsor=a, invitee=b)


def names(page: selectors.DirectoryPage) -> list[str]:
    return [v.card.display_name for v in page.items]


def test_search_finds_chinese_words_inside_card_text(
    origin: Membership, make_member: Callable[..., Membership]
) -> None:
    a = make_member(display_name="小王")
    services.card_update(membership=a, fields={"offers": "做短视频发行"})
    b = make_member(display_name="老李", company="Star Music")
    make_member(display_name="张三", offers="电影制片")
    assert names(selectors.directory_page(viewer=origin, q="短视频")) == ["小王"]
    assert names(selectors.directory_page(viewer=origin, q="短视频 发行")) == ["小王"]
    assert names(selectors.directory_page(viewer=origin, q="STAR music")) == [b.card.display_name]
    assert names(selectors.directory_page(viewer=origin, q="老李")) == ["老李"]
    assert names(selectors.directory_page(viewer=origin, q="短视频 电影")) == []
    # The industry's names and synonyms are searchable: 抖音 is a synonym of short video.
    services.card_update(membership=b, fields={}, industry_codes=["short-video"])
    assert "老李" in names(selectors.directory_page(viewer=origin, q="抖音"))


def test_filters_city_industry_with_children_and_tag(
    origin: Membership, make_member: Callable[..., Membership]
) -> None:
    a = make_member(display_name="甲", city="上海")
    b = make_member(display_name="乙", city="北京")
    c = make_member(display_name="丙", city="上海")
    services.card_update(membership=a, fields={}, industry_codes=["short-video"], offer_tags=["宣发"])
    services.card_update(membership=b, fields={}, industry_codes=["film-tv"], need_tags=["宣发"])
    services.card_update(membership=c, fields={}, industry_codes=["distribution"])
    assert names(selectors.directory_page(viewer=origin, city="上海")) == ["甲", "丙"]
    assert names(selectors.directory_page(viewer=origin, industry="short-video")) == ["甲"]
    # "distribution" is the parent of short-video: its members and its children's.
    assert names(selectors.directory_page(viewer=origin, industry="distribution")) == ["甲", "丙"]
    assert names(selectors.directory_page(viewer=origin, tag="宣发")) == ["甲", "乙"]
    assert names(selectors.directory_page(viewer=origin, tag="宣发", city="北京")) == ["乙"]
    with pytest.raises(ServiceError):
        selectors.directory_page(viewer=origin, industry="no-such")


def test_circle_industry_filter_and_other_circles_are_separate(
    circle: Circle, origin: Membership, make_member: Callable[..., Membership], make_user: Callable
) -> None:
    own = services.industry_add(circle=circle, actor=origin, name_zh="非遗", parent_code="culture-tourism")
    a = make_member(display_name="甲")
    services.card_update(membership=a, fields={}, industry_codes=[own.code])
    assert names(selectors.directory_page(viewer=origin, industry=own.code)) == ["甲"]
    assert names(selectors.directory_page(viewer=origin, industry="services")) == ["甲"]
    other = services.circle_create(creator=make_user(), name="别处", slug="elsewhere", display_name="外人")
    other_origin = Membership.objects.get(circle=other)
    assert names(selectors.directory_page(viewer=other_origin)) == ["外人"]
    with pytest.raises(ServiceError):
        selectors.directory_page(viewer=other_origin, industry=own.code)


def test_removed_members_are_not_listed_and_their_card_is_for_reviewers(
    origin: Membership, make_member: Callable[..., Membership]
) -> None:
    a = make_member(display_name="甲")
    viewer = make_member(display_name="乙")
    services.membership_remove(membership=a, actor=origin, reason="离开")
    assert "甲" not in names(selectors.directory_page(viewer=origin))
    with pytest.raises(NotFound):
        selectors.member_card(viewer=viewer, member_id=a.pk)
    assert selectors.member_card(viewer=origin, member_id=a.pk).card.display_name == "甲"


def test_pagination(origin: Membership, make_member: Callable[..., Membership]) -> None:
    for i in range(DIRECTORY_PAGE_SIZE + 3):
        make_member(display_name=f"m{i:02d}")
    first = selectors.directory_page(viewer=origin)
    second = selectors.directory_page(viewer=origin, page=2)
    assert first.count == DIRECTORY_PAGE_SIZE + 4 and first.num_pages == 2
    assert len(first.items) == DIRECTORY_PAGE_SIZE and len(second.items) == 4
    assert first.has_next and not second.has_next and second.has_previous
    assert not {v.member_id for v in first.items} & {v.member_id for v in second.items}
    assert selectors.directory_page(viewer=origin, page=9).items == []
    with pytest.raises(ServiceError):
        selectors.directory_page(viewer=origin, page=0)


def test_mutual_ties_and_invite_path(origin: Membership, make_member: Callable[..., Membership]) -> None:
    a = make_member(display_name="甲")
    b = make_member(display_name="乙", sponsor=a)
    make_member(display_name="丙", sponsor=b)
    viewer = make_member(display_name="我")
    tie(viewer, a)
    tie(viewer, b)  # viewer knows a and b; c knows b (sponsor tie), so viewer and c share b
    page = selectors.directory_page(viewer=viewer)
    by_name = {v.card.display_name: v for v in page.items}
    assert [n for _, n in by_name["丙"].mutual] == ["乙"]
    # b knows a (sponsor tie) and c; viewer knows a: mutual is a (origin knows a too, but viewer not origin)
    assert [n for _, n in by_name["乙"].mutual] == ["甲"]
    assert [n for _, n in by_name["丙"].path] == ["老周", "甲", "乙", "丙"]
    assert [n for _, n in by_name["老周"].path] == ["老周"]
    assert by_name["甲"].is_tie and not by_name["丙"].is_tie
    # A pending tie is no tie.
    d = make_member(display_name="丁")
    low, high = sorted((viewer.pk, d.pk))
    Tie.objects.create(circle=viewer.circle, member_low_id=low, member_high_id=high, declared_by=viewer)
    assert not selectors.member_card(viewer=viewer, member_id=d.pk).is_tie


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"page": 2},
        {"q": "成员"},
        {"city": "上海"},
        {"industry": "music", "tag": "发行"},
        {"q": "成员", "page": 3},
    ],
)
def test_the_api_page_and_the_html_page_list_the_same_cards(
    origin: Membership, make_member: Callable[..., Membership], query: dict
) -> None:
    """One reader: the API's page is the HTML page's listing with its cards, and each card (mutual ties and
    invite path from the roster) is the card member_card reads (ties and names from their tables)."""
    viewer = _grow(origin, make_member, 50)
    page = selectors.directory_page(viewer=viewer, page_size=10, **query)
    listing = selectors.directory_listing(viewer=viewer, page_size=10, **query)
    assert [v.member_id for v in page.items] == listing.ids
    assert (page.count, page.num_pages, page.filters) == (listing.count, listing.num_pages, listing.filters)
    assert page.items and all(
        v == selectors.member_card(viewer=viewer, member_id=v.member_id) for v in page.items
    )
    assert any(v.mutual for v in page.items) or query


def test_contact_visibility_is_decided_by_ties(
    origin: Membership, make_member: Callable[..., Membership]
) -> None:
    owner = make_member(display_name="主人", sponsor=origin)
    services.card_update(
        membership=owner,
        fields={
            "wechat": "wx-circle",
            "wechat_visibility": "circle",
            "email": "tie@example.com",
            "email_visibility": "ties",
            "phone": "13800000000",
            "phone_visibility": "nobody",
        },
    )
    stranger = make_member()  # a member with no tie to the owner
    friend = make_member()
    tie(owner, friend)
    see = {m: selectors.member_card(viewer=m, member_id=owner.pk).contacts for m in (stranger, friend, owner)}
    assert see[stranger] == {"wechat": "wx-circle"}
    assert see[friend] == {"wechat": "wx-circle", "email": "tie@example.com"}
    assert see[owner] == {"wechat": "wx-circle", "email": "tie@example.com", "phone": "13800000000"}
    # The origin sponsored the owner, so the origin has a tie; the phone is still nobody's.
    assert "phone" not in selectors.member_card(viewer=origin, member_id=owner.pk).contacts


def test_organizer_note_only_for_organizer_and_admins(
    origin: Membership, make_member: Callable[..., Membership]
) -> None:
    m = make_member()
    admin = make_member(role=Membership.Role.ADMIN)
    plain = make_member()
    services.membership_note_set(membership=m, actor=origin, note="很靠谱")
    assert selectors.member_card(viewer=origin, member_id=m.pk).note == "很靠谱"
    assert selectors.member_card(viewer=admin, member_id=m.pk).note == "很靠谱"
    assert selectors.member_card(viewer=plain, member_id=m.pk).note is None
    assert all(v.note is None for v in selectors.directory_page(viewer=plain).items)


def test_membership_get(circle: Circle, origin: Membership, make_member: Callable[..., Membership]) -> None:
    m = make_member()
    assert selectors.membership_get(circle=circle, member_id=m.pk) == m
    services.membership_remove(membership=m, actor=origin, reason="r")
    assert selectors.membership_get(circle=circle, member_id=m.pk).status == "removed"
    with pytest.raises(NotFound):
        selectors.membership_get(circle=circle, member_id=m.pk + 1000)


def _grow(origin: Membership, make_member: Callable[..., Membership], n: int) -> Membership:
    """n members in a chain of sponsors three deep, with tags, industries and ties; returns a viewer."""
    members = [origin]
    for i in range(n - 1):
        sponsor = members[i // 3]
        m = make_member(display_name=f"成员{i}", sponsor=sponsor, city="上海" if i % 2 else "北京")
        services.card_update(membership=m, fields={}, industry_codes=["music"], offer_tags=["发行"])
        members.append(m)
    viewer = members[-1]
    for other in members[1:-1:7]:
        if other.pk != viewer.sponsor_id:
            tie(other, viewer)
    return viewer


# directory_page is directory_listing (the roster, the ids a search or a filter matches) with the page's cards:
# mutual ties and invite paths come from the roster.
QUERIES_SELECTOR = 6  # roster (3: members, tie graph, industries); the page's cards, their tags, industries
QUERIES_SELECTOR_WARM = 3  # the roster kept: the page's cards, their tags, their industries


@pytest.mark.parametrize("size", [10, 200])
def test_directory_selector_query_count_is_constant(
    origin: Membership,
    make_member: Callable[..., Membership],
    django_assert_num_queries: Callable,
    size: int,
) -> None:
    viewer = _grow(origin, make_member, size)
    with django_assert_num_queries(QUERIES_SELECTOR):
        page = selectors.directory_page(viewer=viewer)
    assert len(page.items) == min(size, DIRECTORY_PAGE_SIZE)
    with django_assert_num_queries(QUERIES_SELECTOR_WARM):
        again = selectors.directory_page(viewer=viewer)
    with django_assert_num_queries(QUERIES_SELECTOR_WARM + 1):  # a filter: its ids
        selectors.directory_page(viewer=viewer, city="上海", tag="发行")
    assert again == page
    assert any(v.mutual for v in page.items) and any(len(v.path) > 2 for v in page.items)


# The page reads the circle's roster (members, ties, industries), the ids a search or filter matches, and
# renders the cards not cached yet (cards, tags, industries); the page's body is kept per viewer, search,
# filters and page under the circle's members_version, so a second view needs only the viewer.
QUERIES_PAGE_COLD = 9  # user, membership; roster (3); the filter's ids; cards not cached yet (3)
QUERIES_PAGE_WARM = 2  # user, membership
QUERIES_API = 5  # session auth (the session is read through the cache; user), membership; the selector (warm)


@pytest.mark.parametrize("size", [10, 200])
def test_directory_page_and_api_query_counts_are_constant(
    origin: Membership,
    make_member: Callable[..., Membership],
    django_assert_num_queries: Callable,
    size: int,
) -> None:
    viewer = _grow(origin, make_member, size)
    client = Client()
    client.force_login(viewer.user)
    url = reverse("circles:directory", args=[viewer.circle.slug])
    with django_assert_num_queries(QUERIES_PAGE_COLD):
        response = client.get(url, {"city": "上海"})
    assert response.status_code == 200
    with django_assert_num_queries(QUERIES_PAGE_WARM):
        again = client.get(url, {"city": "上海"})
    assert again.content.count(b"<article") == response.content.count(b"<article") > 0
    with django_assert_num_queries(QUERIES_PAGE_WARM + 4):  # an HTMX refresh: the ids, new cards (3)
        response = client.get(url, {"q": "成员"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    client.get(url)
    with django_assert_num_queries(QUERIES_PAGE_WARM):
        response = client.get(url)
    assert response.content.decode().count("<article") == min(size, DIRECTORY_PAGE_SIZE)
    with django_assert_num_queries(QUERIES_API):
        response = client.get(f"/api/v1/circles/{viewer.circle.slug}/members")
    assert response.status_code == 200
    assert len(response.json()["items"]) == min(size, DIRECTORY_PAGE_SIZE)


def test_search_ranks_by_relevance_and_leaves_the_searcher_out(
    origin: Membership, make_member: Callable[..., Membership]
) -> None:
    bio = make_member(display_name="只在简介", bio="以前做过一次PPT")
    needs = make_member(display_name="需要的人", needs="找人做PPT")
    tagged = make_member(display_name="有标签")
    services.card_update(membership=tagged, fields={}, offer_tags=["ppt"])
    designer = make_member(display_name="设计师", title="PPT设计师", offers="发布会PPT")
    services.card_update(membership=designer, fields={}, offer_tags=["PPT"])
    ranked = names(selectors.directory_page(viewer=origin, q="ppt"))
    assert ranked == ["设计师", "有标签", "需要的人", "只在简介"]
    # The searcher is not in her own results; browsing (no query) still shows her card.
    assert "需要的人" not in names(selectors.directory_page(viewer=needs, q="PPT"))
    assert "需要的人" in names(selectors.directory_page(viewer=needs))
    # More tokens found rank higher.
    services.card_update(membership=bio, fields={"bio": "以前做过一次PPT，也做短视频"})
    assert names(selectors.directory_page(viewer=origin, q="PPT 短视频")) == ["只在简介"]
    # LIKE's wildcards in a query are plain characters.
    services.card_update(membership=designer, fields={"company": "ppt_studio"})
    assert names(selectors.directory_page(viewer=origin, q="ppt_studio")) == ["设计师"]
    assert names(selectors.directory_page(viewer=origin, q="100% ppt")) == []


def test_demo_circle_search_for_ppt_puts_the_designer_first() -> None:
    from kindred.demo.loader import DEMO_SLUG, demo_load

    demo_load()
    by_username = {
        m.user.username: m
        for m in Membership.objects.filter(circle__slug=DEMO_SLUG).select_related("user", "card")
    }
    collector = by_username["shenyanqiu"]  # needs a PPT
    client = Client()
    client.force_login(collector.user)
    page = client.get(reverse("circles:directory", args=[DEMO_SLUG]), {"q": "PPT"}).content.decode()
    designer = by_username["fangxiaoyu"]
    assert f'id="member-{designer.pk}"' in page and f'id="member-{collector.pk}"' not in page
    hits = selectors.directory_page(viewer=collector, q="PPT").items
    assert hits[0].membership.pk == designer.pk
    assert collector.pk not in {v.membership.pk for v in hits}
    # Anyone else finds the designer first and the collector (who needs one) before those who mention it once.
    order = [
        v.membership.user.username
        for v in selectors.directory_page(viewer=by_username["laozhou"], q="PPT").items
    ]
    assert order[:2] == ["fangxiaoyu", "shenyanqiu"]
