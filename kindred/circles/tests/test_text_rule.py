"""One text rule (kindred.core.text) at every edge of circles and invitations: control characters are refused
with a 4xx in the reader's language and nothing changes; one-line fields fold whitespace; and the words
pages show are in the reader's language (industry names, the nominee's name, tie kinds)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kindred.circles import services
from kindred.circles.models import MemberCard, Membership
from kindred.core.models import AuditEvent
from kindred.core.services import ServiceError
from kindred.ties.models import Tie

pytestmark = pytest.mark.django_db
API = "/api/v1"
CONTROL = ["\x00", "\x07", "\x1b[31m", "\x7f", "\x85"]


def _client(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def _card(membership: Membership) -> tuple[str, ...]:
    card = MemberCard.objects.get(membership=membership)
    return (card.display_name, card.title, card.offers, *card.tags.values_list("name", flat=True))


@pytest.mark.parametrize("bad", CONTROL)
@pytest.mark.parametrize(
    "payload",
    [
        lambda b: {"title": f"制片{b}人"},
        lambda b: {"offers": f"发行{b}"},
        lambda b: {"offer_tags": [f"标签{b}"]},
        lambda b: {"industries": [f"music{b}"]},
    ],
)
def test_api_refuses_control_characters_and_changes_nothing(
    make_member: Callable[..., Membership], bad: str, payload: Callable[[str], dict]
) -> None:
    member = make_member(display_name="小王")
    before, audits = _card(member), AuditEvent.objects.count()
    response = _client(member).put(
        f"{API}/circles/xinwenyu/me/card",
        data=json.dumps(payload(bad)),
        content_type="application/json",
        headers={"Accept-Language": "zh-hans"},
    )
    assert response.status_code == 422, response.content
    assert "控制字符" in response.content.decode() or "控制字符" in json.dumps(
        response.json(), ensure_ascii=False
    )
    assert _card(member) == before and AuditEvent.objects.count() == audits


def test_api_directory_query_refuses_control_characters(origin: Membership) -> None:
    response = _client(origin).get(f"{API}/circles/xinwenyu/members", {"q": "发行\x07"})
    assert response.status_code == 422


def test_api_folds_one_line_fields_and_keeps_line_breaks_in_text(
    make_member: Callable[..., Membership],
) -> None:
    member = make_member()
    response = _client(member).put(
        f"{API}/circles/xinwenyu/me/card",
        data=json.dumps({"title": "  制片\n 人 ", "offers": "第一行\r\n第二行 ", "offer_tags": [" 短  剧 "]}),
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (
        body["title"] == "制片 人" and body["offers"] == "第一行\n第二行" and body["offer_tags"] == ["短 剧"]
    )


@pytest.mark.parametrize("bad", CONTROL[1:])  # Django's own forms refused NUL already
def test_card_form_refuses_control_characters(make_member: Callable[..., Membership], bad: str) -> None:
    member = make_member(display_name="小王")
    before = _card(member)
    url = reverse("circles:card_edit", args=["xinwenyu"])
    response = _client(member).post(
        url,
        {
            "display_name": "小王",
            "title": f"制片{bad}人",
            "wechat_visibility": "ties",
            "phone_visibility": "nobody",
            "email_visibility": "ties",
        },
    )
    assert response.status_code == 200 and "控制字符" in response.content.decode()
    assert _card(member) == before


@pytest.mark.parametrize("bad", CONTROL)
def test_services_refuse_control_characters(
    origin: Membership, make_member: Callable[..., Membership], bad: str
) -> None:
    member = make_member()
    audits = AuditEvent.objects.count()
    for change in (
        lambda: services.card_update(membership=member, fields={"bio": f"简介{bad}"}),
        lambda: services.card_update(membership=member, fields={}, offer_tags=[f"标签{bad}"]),
        lambda: services.membership_note_set(membership=member, actor=origin, note=f"备注{bad}"),
        lambda: services.membership_remove(membership=member, actor=origin, reason=f"原因{bad}"),
        lambda: services.industry_add(circle=origin.circle, actor=origin, name_zh=f"非遗{bad}"),
        lambda: services.circle_update(circle=origin.circle, actor=origin.user, name=f"圈{bad}"),
    ):
        with pytest.raises(ServiceError) as refused:
            change()
        assert refused.value.status_code == 400 and refused.value.code == "control_character"
    assert AuditEvent.objects.count() == audits
    member.refresh_from_db()
    assert member.is_active


def test_industry_names_in_the_readers_language(make_member: Callable[..., Membership]) -> None:
    member = make_member(display_name="小王")
    services.card_update(membership=member, fields={}, industry_codes=["music"])
    client = _client(member)
    for url in (
        reverse("circles:member", args=["xinwenyu", member.pk]),
        reverse("circles:directory", args=["xinwenyu"]),
    ):
        english = client.get(url, headers={"Accept-Language": "en"}).content.decode()
        assert '<li class="tag">Music</li>' in english and '<li class="tag">音乐</li>' not in english
        chinese = client.get(url, headers={"Accept-Language": "zh-hans"}).content.decode()
        assert '<li class="tag">音乐</li>' in chinese
    edit = client.get(reverse("circles:card_edit", args=["xinwenyu"]), headers={"Accept-Language": "en"})
    assert "Music" in edit.content.decode()


def test_words_on_chinese_pages(make_member: Callable[..., Membership]) -> None:
    member = make_member()
    page = _client(member).get(reverse("invitations:nominate", args=["xinwenyu"])).content.decode()
    assert '<label for="id_name">姓名</label>' in page and "名称" not in page
    with translation.override("zh-hans"):
        assert str(Tie.Kind.INTRODUCED.label) != "Introduced in the circle"
