"""Every circle form that edits an existing object, submitted exactly as the page renders it (what a browser
sends without JavaScript), changes nothing: it keeps what it shows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from kindred.circles import services
from kindred.circles.models import CardTag, Circle, MemberCard, Membership
from tests.forms import form_body, form_fields

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"


def _card_state(membership: Membership) -> dict[str, Any]:
    card = MemberCard.objects.get(membership=membership)
    fields = {f: getattr(card, f) for f in services.CARD_TEXT_FIELDS + services.CARD_CONTACT_FIELDS}
    fields["industries"] = sorted(card.industries.values_list("code", flat=True))
    fields["tags"] = sorted(CardTag.objects.filter(card=card).values_list("kind", "name"))
    return fields


def _client(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_card_form_saved_as_rendered_keeps_the_card(
    make_member: Callable[..., Membership], lang: str
) -> None:
    member = make_member(display_name="方小雨")
    services.card_update(
        membership=member,
        fields={
            "company": "小雨设计",
            "title": "创始人、PPT设计师",
            "city": "上海",
            "offers": "路演BP和发布会PPT\n品牌手册",
            "needs": "长期客户 & <大项目>",
            "bio": "第一行\n\n第三行",
            "wechat": "wx_fang",
            "wechat_visibility": "circle",
            "phone": "13800001111",
            "phone_visibility": "ties",
            "email": "fang@example.com",
            "email_visibility": "nobody",
        },
        industry_codes=["short-video", "film-tv"],
        offer_tags=["PPT", "BP设计"],
        need_tags=["长期客户"],
    )
    before = _card_state(member)
    client = _client(member)
    url = reverse("circles:card_edit", args=[member.circle.slug])
    page = client.get(url, headers={"Accept-Language": lang})
    assert page.status_code == 200
    fields = form_fields(page.content.decode(), "card-form")
    # The industries are ticked as the card has them (they were not: saving wiped them).
    assert sorted(v for k, v in fields if k == "industries") == sorted(
        str(pk) for pk in member.card.industries.values_list("pk", flat=True)
    )
    response = client.post(url, form_body(page.content.decode(), "card-form"), content_type=FORM)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert _card_state(member) == before


def test_card_form_changes_only_what_was_changed(make_member: Callable[..., Membership]) -> None:
    member = make_member(display_name="甲")
    services.card_update(membership=member, fields={}, industry_codes=["music"], offer_tags=["发行"])
    client = _client(member)
    url = reverse("circles:card_edit", args=[member.circle.slug])
    fields = form_fields(client.get(url).content.decode(), "card-form")
    fields = [(k, "上海" if k == "city" else v) for k, v in fields]
    assert client.post(url, urlencode(fields), content_type=FORM).status_code == 302
    after = _card_state(member)
    assert (
        after["city"] == "上海" and after["industries"] == ["music"] and after["tags"] == [("offer", "发行")]
    )


def test_circle_settings_saved_as_rendered_keep_the_circle(circle: Circle, origin: Membership) -> None:
    services.circle_update(
        circle=circle,
        actor=origin.user,
        description="做文娱的人\n互相帮忙",
        values_statement="真诚 & 互助",
        nomination_policy="organizer_only",
        nominate_after_days=45,
        max_pending_nominations=2,
        invitation_ttl_hours=48,
        notify_sponsor_on_removal=False,
    )
    fields = ("name", *services.CIRCLE_EDITABLE_FIELDS)
    before = {f: getattr(Circle.objects.get(pk=circle.pk), f) for f in fields}
    client = _client(origin)
    url = reverse("circles:settings", args=[circle.slug])
    page = client.get(url).content.decode()
    response = client.post(url, form_body(page, "settings-form"), content_type=FORM)
    assert response.status_code == 302
    assert {f: getattr(Circle.objects.get(pk=circle.pk), f) for f in fields} == before


def test_note_and_role_forms_saved_as_rendered_keep_them(
    origin: Membership, make_member: Callable[..., Membership]
) -> None:
    member = make_member(role=Membership.Role.ADMIN)
    services.membership_note_set(membership=member, actor=origin, note="靠谱\n介绍过两单")
    client = _client(origin)
    page = client.get(reverse("circles:member", args=[origin.circle.slug, member.pk])).content.decode()
    for name in ("member_note", "member_role"):
        action = reverse(f"circles:{name}", args=[origin.circle.slug, member.pk])
        assert client.post(action, form_body(page, action), content_type=FORM).status_code == 302
    member.refresh_from_db()
    assert member.organizer_note == "靠谱\n介绍过两单"
    assert member.role == Membership.Role.ADMIN
