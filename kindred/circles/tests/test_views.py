"""The circle pages: who may see them, what they change, and what they never show."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from kindred.circles import services
from kindred.circles.models import Circle, Industry, MemberCard, Membership
from kindred.circles.tests.conftest import NOBODY_PHONE, NOTE, OPEN_EMAIL, TIES_WECHAT, SecretCard
from kindred.ties.services import tie_record_sponsor
from tests.forms import form_body

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def circle_urls(circle: Circle, member_id: int) -> list[str]:
    slug = circle.slug
    return [
        reverse("circles:about", args=[slug]),
        reverse("circles:directory", args=[slug]),
        reverse("circles:member", args=[slug, member_id]),
        reverse("circles:card_edit", args=[slug]),
        reverse("circles:settings", args=[slug]),
    ]


def test_home_redirects_anonymous_to_sign_in_and_lists_my_circles(circle: Circle, origin: Membership) -> None:
    r = Client().get(reverse("circles:home"))
    assert r.status_code == 302 and reverse("accounts:login") in r["Location"]
    r = client_for(origin.user).get(reverse("circles:home"))
    body = r.content.decode()
    assert r.status_code == 200 and "新文娱产业群" in body
    assert reverse("circles:create") in body


def test_outsiders_get_404_on_every_circle_page(
    circle: Circle, origin: Membership, make_member: Callable[..., Membership], make_user: Callable[..., User]
) -> None:
    removed = make_member()
    services.membership_remove(membership=removed, actor=origin, reason="r")
    for user in (make_user(), removed.user):
        c = client_for(user)
        for url in circle_urls(circle, origin.pk):
            r = c.get(url)
            assert r.status_code == 404, url
            assert "老周" not in r.content.decode()
        for name in ("member_note", "member_role", "member_remove"):
            assert c.post(reverse(f"circles:{name}", args=[circle.slug, origin.pk])).status_code == 404
    for url in circle_urls(circle, origin.pk):
        assert Client().get(url).status_code == 302  # anonymous: sign in first


def test_member_sees_pages_but_not_settings(
    circle: Circle, origin: Membership, make_member: Callable[..., Membership]
) -> None:
    m = make_member(display_name="小王")
    c = client_for(m.user)
    for url in circle_urls(circle, origin.pk)[:4]:
        assert c.get(url).status_code == 200, url
    assert c.get(reverse("circles:settings", args=[circle.slug])).status_code == 403
    assert (
        c.post(reverse("circles:member_note", args=[circle.slug, origin.pk]), {"note": "x"}).status_code
        == 404
    )


def test_create_circle_page(make_user: Callable[..., User]) -> None:
    user = make_user()
    c = client_for(user)
    assert c.get(reverse("circles:create")).status_code == 200
    r = c.post(
        reverse("circles:create"),
        {
            "name": "潮玩圈",
            "slug": "chaowan",
            "theme": Industry.objects.get(code="merchandise").pk,
            "values_statement": "好东西一起做",
            "nomination_policy": "organizer_only",
            "nominate_after_days": 0,
            "max_pending_nominations": 3,
            "invitation_ttl_hours": 72,
            "notify_sponsor_on_removal": "on",
        },
    )
    assert r.status_code == 302 and r["Location"] == reverse("conversation:home", args=["chaowan"])
    page = c.get(r["Location"]).content.decode()
    assert "好东西一起做" in page and "banner" in page
    bad = c.post(reverse("circles:create"), {"name": "", "slug": "Bad Slug"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
    assert Circle.objects.count() == 1


def test_directory_page_search_filters_and_htmx(
    circle: Circle, origin: Membership, make_member: Callable[..., Membership]
) -> None:
    a = make_member(display_name="小王", city="上海")
    services.card_update(membership=a, fields={"offers": "做短视频发行"}, offer_tags=["发行"])
    make_member(display_name="老李", city="北京")
    c = client_for(origin.user)
    url = reverse("circles:directory", args=[circle.slug])
    body = c.get(url, {"q": "短视频"}).content.decode()
    assert "小王" in body and "老李" not in body
    assert "<html" in body and "上海" in body  # the full page with the city filter
    partial = c.get(url, {"city": "北京"}, headers={"HX-Request": "true"}).content.decode()
    assert "老李" in partial and "小王" not in partial and "<html" not in partial
    assert "小王" in c.get(url, {"tag": "发行"}).content.decode()
    assert c.get(url, {"industry": "no-such"}).status_code == 400
    assert c.get(url, {"page": "0"}).status_code == 400
    assert c.get(url, {"page": "abc"}).status_code == 400
    assert c.get(url, {"page": "99"}).status_code == 200


def test_directory_shows_mutual_ties_and_invite_path(
    circle: Circle, origin: Membership, make_member: Callable[..., Membership]
) -> None:
    a = make_member(display_name="阿甲")
    b = make_member(display_name="阿乙", sponsor=a)
    viewer = make_member(display_name="阿丙")
    tie_record_sponsor(sponsor=viewer, invitee=a)
    body = client_for(viewer.user).get(reverse("circles:directory", args=[circle.slug])).content.decode()
    card_b = body[body.index(f'id="member-{b.pk}"') :]
    card_b = card_b[: card_b.index("</article>")]
    assert "阿甲" in card_b  # the mutual tie (both know a) and the path 老周 → 阿甲 → 阿乙
    assert "老周 → 阿甲 → 阿乙" in card_b


def test_member_page_hides_private_contacts_and_note(circle: Circle, secret_card: SecretCard) -> None:
    sc = secret_card
    url = reverse("circles:member", args=[circle.slug, sc.owner.pk])
    directory = reverse("circles:directory", args=[circle.slug])

    def seen(user: User) -> str:
        c = client_for(user)
        return c.get(url).content.decode() + c.get(directory).content.decode()

    s = seen(sc.stranger.user)
    assert OPEN_EMAIL in s
    assert TIES_WECHAT not in s and NOBODY_PHONE not in s and NOTE not in s
    f = seen(sc.friend.user)
    assert TIES_WECHAT in f and NOBODY_PHONE not in f and NOTE not in f
    o = seen(sc.origin.user)
    assert NOTE in o and NOBODY_PHONE not in o
    a = seen(sc.admin.user)
    assert NOTE in a and NOBODY_PHONE not in a
    mine = seen(sc.owner.user)
    assert NOBODY_PHONE in mine and NOTE not in mine


def test_organizer_sets_note_role_and_removes(
    circle: Circle, origin: Membership, make_member: Callable[..., Membership]
) -> None:
    m = make_member(display_name="小王")
    c = client_for(origin.user)
    args = [circle.slug, m.pk]
    r = c.post(reverse("circles:member_note", args=args), {"note": "可靠"})
    assert r.status_code == 302
    c.post(reverse("circles:member_role", args=args), {"role": "admin"})
    m.refresh_from_db()
    assert m.organizer_note == "可靠" and m.role == "admin"
    c.post(reverse("circles:member_remove", args=args), {"reason": ""})
    m.refresh_from_db()
    assert m.is_active
    # The first post asks for confirmation and removes nobody; the confirmed one (as rendered) removes.
    first = c.post(reverse("circles:member_remove", args=args), {"reason": "离群\n第二行"})
    m.refresh_from_db()
    assert first.status_code == 200 and m.is_active
    assert "小王" in first.content.decode()
    confirmed = c.post(
        reverse("circles:member_remove", args=args),
        form_body(first.content.decode(), "remove-confirm"),
        content_type="application/x-www-form-urlencoded",
    )
    assert confirmed.status_code == 302
    m.refresh_from_db()
    assert m.status == "removed" and m.removed_reason == "离群\n第二行"
    # An admin may not remove (no confirmation page either).
    target = make_member()
    admin_remove = reverse("circles:member_remove", args=[circle.slug, target.pk])
    assert client_for(make_member(role="admin").user).post(admin_remove, {"reason": "x"}).status_code == 404
    # An admin may keep notes but not change roles.
    admin = make_member(role=Membership.Role.ADMIN)
    other = make_member()
    ca = client_for(admin.user)
    ca.post(reverse("circles:member_note", args=[circle.slug, other.pk]), {"note": "ok"})
    ca.post(reverse("circles:member_role", args=[circle.slug, other.pk]), {"role": "admin"})
    other.refresh_from_db()
    assert other.organizer_note == "ok" and other.role == "member"


def test_edit_my_card(circle: Circle, origin: Membership, make_member: Callable[..., Membership]) -> None:
    own = services.industry_add(circle=circle, actor=origin, name_zh="非遗")
    m = make_member(display_name="小王")
    c = client_for(m.user)
    url = reverse("circles:card_edit", args=[circle.slug])
    page = c.get(url).content.decode()
    assert "非遗" in page and "短视频" in page
    data = {
        "display_name": "王小二",
        "company": "星河",
        "city": "杭州",
        "offers": "做短视频发行",
        "industries": [Industry.objects.get(code="short-video").pk, own.pk],
        "offer_tags": "发行，宣发、 投放",
        "need_tags": "资金",
        "wechat": "wx1",
        "wechat_visibility": "circle",
        "phone": "",
        "phone_visibility": "nobody",
        "email": "w@example.com",
        "email_visibility": "ties",
    }
    r = c.post(url, data)
    assert r.status_code == 302, r.content.decode()[:2000]
    card = MemberCard.objects.get(membership=m)
    assert card.display_name == "王小二" and card.wechat_visibility == "circle"
    assert set(card.industries.values_list("code", flat=True)) == {"short-video", own.code}
    assert set(card.tags.filter(kind="offer").values_list("name", flat=True)) == {"宣发", "发行", "投放"}
    bad = c.post(url, {**data, "display_name": "", "email_visibility": "everyone"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
    card.refresh_from_db()
    assert card.display_name == "王小二" and card.email_visibility == "ties"


def test_settings_page(circle: Circle, origin: Membership) -> None:
    c = client_for(origin.user)
    url = reverse("circles:settings", args=[circle.slug])
    assert c.get(url).status_code == 200
    r = c.post(
        url,
        {
            "name": "新文娱产业群",
            "description": "d",
            "values_statement": "v",
            "nomination_policy": "organizer_only",
            "nominate_after_days": 7,
            "max_pending_nominations": 2,
            "invitation_ttl_hours": 48,
        },
    )
    assert r.status_code == 302
    circle.refresh_from_db()
    assert circle.nomination_policy == "organizer_only" and circle.invitation_ttl_hours == 48
    assert circle.notify_sponsor_on_removal is False
    bad = c.post(
        url,
        {
            "name": "x",
            "nomination_policy": "organizer_only",
            "nominate_after_days": 1,
            "max_pending_nominations": 99,
            "invitation_ttl_hours": 48,
        },
    )
    assert bad.status_code == 200
    circle.refresh_from_db()
    assert circle.max_pending_nominations == 2 and circle.name == "新文娱产业群"
    r = c.post(url, {"add_industry": "1", "name_zh": "非遗", "name_en": "Heritage crafts"})
    assert r.status_code == 302
    assert Industry.objects.filter(circle=circle, name_zh="非遗").exists()
    assert "Heritage crafts" in c.get(url).content.decode()


def test_pages_in_english(circle: Circle, origin: Membership) -> None:
    c = client_for(origin.user)
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = c.get(reverse("circles:directory", args=[circle.slug])).content.decode()
    assert "Directory" in body and "All cities" in body


def test_pages_are_in_chinese_by_default(circle: Circle, origin: Membership) -> None:
    c = client_for(origin.user)
    body = c.get(reverse("circles:directory", args=[circle.slug])).content.decode()
    assert "成员名录" in body and "全部城市" in body and "共同认识" not in body
    body = c.get(reverse("circles:card_edit", args=[circle.slug])).content.decode()
    assert "谁能看到我的微信号" in body and "仅我认识的人" in body
