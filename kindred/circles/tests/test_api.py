"""The circles API: status codes, shapes, 404 for non-members, 4xx (never 500) on bad input, and no private
field in any body that should not carry it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from kindred.circles import services
from kindred.circles.models import Circle, MemberCard, Membership
from kindred.circles.tests.conftest import NOBODY_PHONE, NOTE, OPEN_EMAIL, TIES_WECHAT, SecretCard

pytestmark = pytest.mark.django_db
API = "/api/v1"


def client_for(user: User) -> Client:
    c = Client(enforce_csrf_checks=False)
    c.force_login(user)
    return c


def text(response: Any) -> str:
    """The body as text, with JSON's \\u escapes undone, so a search for Chinese words means something."""
    body = response.content.decode()
    try:
        return json.dumps(json.loads(body), ensure_ascii=False)
    except ValueError:
        return body


def put_json(client: Client, url: str, data: object) -> Any:
    return client.put(url, data=json.dumps(data), content_type="application/json")


def test_create_list_and_get_circles(make_user: Callable[..., User]) -> None:
    user = make_user(first_name="阿明")
    c = client_for(user)
    r = c.post(
        f"{API}/circles",
        data={"name": "音乐人圈", "slug": "music-people", "theme": "music", "values_statement": "互相成就"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["slug"] == "music-people" and body["my_role"] == "organizer" and body["member_count"] == 1
    assert body["theme"]["code"] == "music"
    assert [x["slug"] for x in c.get(f"{API}/circles").json()] == ["music-people"]
    assert c.get(f"{API}/circles/music-people").json()["values_statement"] == "互相成就"
    assert (
        c.post(
            f"{API}/circles", data={"name": "x", "slug": "music-people"}, content_type="application/json"
        ).status_code
        == 409
    )


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "x" * 81, "slug": "ok"},
        {"name": "圈", "slug": "Bad Slug"},
        {"name": "圈", "slug": "ok", "invitation_ttl_hours": 0},
        {"name": "圈", "slug": "ok", "nomination_policy": "anyone"},
        {"name": "圈", "slug": "ok", "description": "x" * 2001},
        {"name": "圈", "slug": "ok", "theme": "no-such"},
        {"name": "圈"},
    ],
)
def test_create_circle_bad_input_is_4xx_and_changes_nothing(
    make_user: Callable[..., User], payload: dict[str, object]
) -> None:
    r = client_for(make_user()).post(f"{API}/circles", data=payload, content_type="application/json")
    assert r.status_code in (400, 422), r.content
    assert "detail" in r.json()
    assert not Circle.objects.exists()


def test_anonymous_gets_401(circle: Circle) -> None:
    for url in (f"{API}/circles", f"{API}/circles/{circle.slug}", f"{API}/circles/{circle.slug}/members"):
        r = Client().get(url)
        assert r.status_code == 401 and "detail" in r.json()


def test_non_members_and_removed_members_get_404_everywhere(
    circle: Circle, origin: Membership, make_member: Callable[..., Membership], make_user: Callable[..., User]
) -> None:
    removed = make_member()
    services.membership_remove(membership=removed, actor=origin, reason="r")
    for user in (make_user(), removed.user):
        c = client_for(user)
        for url in (
            f"{API}/circles/{circle.slug}",
            f"{API}/circles/{circle.slug}/members",
            f"{API}/circles/{circle.slug}/members/{origin.pk}",
            f"{API}/industries?circle={circle.slug}",
        ):
            r = c.get(url)
            assert r.status_code == 404, url
            assert "新文娱" not in text(r) and "老周" not in text(r)
        r = put_json(c, f"{API}/circles/{circle.slug}/me/card", {"company": "x"})
        assert r.status_code == 404
        assert c.get(f"{API}/circles/no-such-circle").status_code == 404
        assert [x["slug"] for x in c.get(f"{API}/circles").json()] == []


def test_members_list_search_and_shape(origin: Membership, make_member: Callable[..., Membership]) -> None:
    a = make_member(display_name="小王")
    services.card_update(membership=a, fields={"offers": "做短视频发行"}, industry_codes=["short-video"])
    viewer = make_member(display_name="我", sponsor=a)
    c = client_for(viewer.user)
    body = c.get(f"{API}/circles/xinwenyu/members", {"q": "短视频"}).json()
    assert body["count"] == 1 and body["page"] == 1 and body["num_pages"] == 1
    item = body["items"][0]
    assert item["display_name"] == "小王" and item["industries"][0]["parent"] == "distribution"
    assert [p["display_name"] for p in item["invite_path"]] == ["老周", "小王"]
    assert [p["display_name"] for p in item["mutual_ties"]] == []  # viewer knows only a
    assert item["is_tie"] is True
    me = next(i for i in c.get(f"{API}/circles/xinwenyu/members").json()["items"] if i["id"] == viewer.pk)
    assert [p["display_name"] for p in me["invite_path"]] == ["老周", "小王", "我"]
    assert c.get(f"{API}/circles/xinwenyu/members", {"industry": "distribution"}).json()["count"] == 1
    detail = c.get(f"{API}/circles/xinwenyu/members/{a.pk}").json()
    assert detail["offers"] == "做短视频发行"


@pytest.mark.parametrize(
    "params",
    [
        {"page": 0},
        {"page": -1},
        {"page": "abc"},
        {"page": 10**9},
        {"industry": "no-such"},
        {"q": "x" * 101},
        {"tag": "t" * 33},
    ],
)
def test_members_list_bad_input_is_4xx(origin: Membership, params: dict[str, Any]) -> None:
    r = client_for(origin.user).get(f"{API}/circles/xinwenyu/members", params)
    assert r.status_code in (400, 422), r.content
    assert "detail" in r.json()


def test_member_get_unknown_or_foreign_ids_are_404(
    origin: Membership, make_user: Callable[..., User]
) -> None:
    other = services.circle_create(creator=make_user(), name="别处", slug="elsewhere")
    foreign = Membership.objects.get(circle=other)
    c = client_for(origin.user)
    for member_id in (foreign.pk, 999999, 2**63, 10**30):
        assert c.get(f"{API}/circles/xinwenyu/members/{member_id}").status_code in (404, 422), member_id
    assert c.get(f"{API}/circles/xinwenyu/members/abc").status_code in (404, 422)


def test_put_my_card(origin: Membership, make_member: Callable[..., Membership]) -> None:
    m = make_member(display_name="小王")
    c = client_for(m.user)
    r = put_json(
        c,
        f"{API}/circles/xinwenyu/me/card",
        {
            "company": "星河",
            "city": "杭州",
            "phone": "13900000000",
            "phone_visibility": "ties",
            "industries": ["games", "music"],
            "offer_tags": ["发行", "版权"],
            "need_tags": ["资金"],
        },
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["company"] == "星河" and body["phone"] == "13900000000"
    assert body["visibility"]["phone_visibility"] == "ties"
    assert sorted(i["code"] for i in body["industries"]) == ["games", "music"]
    assert body["offer_tags"] == ["发行", "版权"] and body["need_tags"] == ["资金"]
    # Only what is sent changes.
    r = put_json(c, f"{API}/circles/xinwenyu/me/card", {"title": "制片人"})
    assert r.json()["company"] == "星河" and r.json()["offer_tags"] == ["发行", "版权"]


@pytest.mark.parametrize(
    "payload",
    [
        {"display_name": ""},
        {"display_name": "名" * 65},
        {"company": "x" * 129},
        {"bio": "x" * 2001},
        {"email": "not-an-email"},
        {"wechat_visibility": "everyone"},
        {"phone_visibility": None, "phone": 12},
        {"industries": ["no-such"]},
        {"industries": "music"},
        {"offer_tags": ["x" * 33]},
        {"need_tags": [f"t{i}" for i in range(21)]},
        {"organizer_note": "我自己写"},
        [],
    ],
)
def test_put_my_card_bad_input_is_4xx_and_changes_nothing(
    origin: Membership, make_member: Callable[..., Membership], payload: object
) -> None:
    m = make_member(display_name="小王", company="旧")
    r = put_json(client_for(m.user), f"{API}/circles/xinwenyu/me/card", payload)
    assert r.status_code in (400, 422), r.content
    assert "detail" in r.json()
    card = MemberCard.objects.get(membership=m)
    assert (card.display_name, card.company, card.bio) == ("小王", "旧", "")
    assert not card.industries.exists() and not card.tags.exists()
    m.refresh_from_db()
    assert m.organizer_note == ""


def test_put_my_card_with_malformed_json_is_4xx(origin: Membership) -> None:
    r = client_for(origin.user).put(
        f"{API}/circles/xinwenyu/me/card", data="{not json", content_type="application/json"
    )
    assert 400 <= r.status_code < 500


def test_private_fields_do_not_leak(secret_card: SecretCard) -> None:
    sc = secret_card

    def bodies(user: User) -> str:
        c = client_for(user)
        return text(c.get(f"{API}/circles/xinwenyu/members")) + text(
            c.get(f"{API}/circles/xinwenyu/members/{sc.owner.pk}")
        )

    for m in (sc.stranger, sc.friend, sc.admin, sc.origin):
        seen = bodies(m.user)
        assert NOBODY_PHONE not in seen
        assert OPEN_EMAIL in seen
    assert TIES_WECHAT not in bodies(sc.stranger.user)
    assert TIES_WECHAT in bodies(sc.friend.user)
    assert NOTE not in bodies(sc.stranger.user) and NOTE not in bodies(sc.friend.user)
    assert NOTE in bodies(sc.admin.user) and NOTE in bodies(sc.origin.user)
    # The owner sees all of their own card, but not the organizer's note about them.
    mine = bodies(sc.owner.user)
    assert NOBODY_PHONE in mine and NOTE not in mine


def test_industries(circle: Circle, origin: Membership, make_user: Callable[..., User]) -> None:
    own = services.industry_add(circle=circle, actor=origin, name_zh="非遗")
    c = client_for(origin.user)
    curated = c.get(f"{API}/industries").json()
    assert {"short-video", "film-tv", "investment"} <= {i["code"] for i in curated}
    assert own.code not in {i["code"] for i in curated}
    mine = c.get(f"{API}/industries", {"circle": "xinwenyu"}).json()
    assert own.code in {i["code"] for i in mine}
    sv = next(i for i in curated if i["code"] == "short-video")
    assert sv["parent"] == "distribution" and sv["name_zh"] == "短视频"
    assert client_for(make_user()).get(f"{API}/industries", {"circle": "xinwenyu"}).status_code == 404


def test_nul_characters_and_unknown_query_fields_are_refused(origin: Membership) -> None:
    c = client_for(origin.user)
    assert put_json(c, f"{API}/circles/xinwenyu/me/card", {"company": "a\x00b"}).status_code == 422
    assert put_json(c, f"{API}/circles/xinwenyu/me/card", {"offer_tags": ["a\x00"]}).status_code == 422
    assert c.get(f"{API}/circles/xinwenyu/members", {"q": "a\x00"}).status_code == 422
    assert c.get(f"{API}/circles/xinwenyu/members", {"_": "cache-buster"}).status_code == 200
    assert c.get(f"{API}/circles/xin%00wenyu").status_code == 404
    r = c.post(f"{API}/circles", data={"name": "a\x00", "slug": "nul"}, content_type="application/json")
    assert r.status_code == 422
    assert MemberCard.objects.get(membership=origin).company == ""
