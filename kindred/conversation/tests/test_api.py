"""The conversation API as the issue gives it: shapes, 201 then 200 for the same client_id, paging, edit,
delete, hide, caught, close, search, open asks, the read marker; bad input is a 4xx that changes nothing;
a non-member gets 404."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from kindred.circles.models import Membership
from kindred.conversation.models import Message

from .conftest import Cast

pytestmark = pytest.mark.django_db
API = "/api/v1"


def client_for(member: Membership | User) -> Client:
    c = Client()
    c.force_login(member.user if isinstance(member, Membership) else member)
    return c


def call(c: Client, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return c.generic(
        method, API + path, data=json.dumps(body) if body is not None else "", content_type="application/json"
    )


def test_post_then_the_same_client_id_and_read_back(cast: Cast) -> None:
    c = client_for(cast.collector)
    r = call(
        c, "POST", "/circles/xinwenyu/messages", {"text": "你好 @小美 😀", "kind": "chat", "client_id": "k1"}
    )
    assert r.status_code == 201, r.content
    first = r.json()
    assert set(first) >= {"id", "kind", "text", "author", "reply_to", "created_at", "ask", "mentions"}
    assert first["author"] == {"member_id": cast.collector.pk, "display_name": "收藏家"}
    assert first["mentions"] == [{"member_id": cast.designer.pk, "display_name": "小美"}]
    again = call(c, "POST", "/circles/xinwenyu/messages", {"text": "又一次", "client_id": "k1"})
    assert (
        again.status_code == 200
        and again.json()["id"] == first["id"]
        and again.json()["text"] == "你好 @小美 😀"
    )
    reply = call(
        c, "POST", "/circles/xinwenyu/messages", {"text": "补充", "reply_to": first["id"], "client_id": None}
    )
    assert reply.status_code == 201 and reply.json()["reply_to"]["quote"] == "你好 @小美 😀"
    page = call(client_for(cast.designer), "GET", "/circles/xinwenyu/messages").json()["items"]
    assert [m["id"] for m in page] == [first["id"], reply.json()["id"]]
    after = call(c, "GET", f"/circles/xinwenyu/messages?after={first['id']}").json()["items"]
    assert [m["id"] for m in after] == [reply.json()["id"]]
    before = call(c, "GET", f"/circles/xinwenyu/messages?before={reply.json()['id']}&limit=1").json()["items"]
    assert [m["id"] for m in before] == [first["id"]]
    assert call(c, "GET", "/circles/xinwenyu/messages?limit=1000").status_code == 422


def test_an_ask_comes_back_routed_and_is_caught_and_counted(cast: Cast) -> None:
    asker = client_for(cast.collector)
    r = call(asker, "POST", "/circles/xinwenyu/messages", {"text": "谁能帮我做一份好的PPT？", "kind": "ask"})
    assert r.status_code == 201
    ask = r.json()["ask"]
    assert ask["status"] == "open" and ask["routed_to"][0] == cast.designer.pk and ask["caught_by"] is None
    mid = r.json()["id"]
    asks = call(asker, "GET", "/circles/xinwenyu/asks").json()
    assert [m["id"] for m in asks["items"]] == [mid] and asks["catch_rate"] == 0.0
    assert (
        call(
            client_for(cast.designer), "POST", f"/messages/{mid}/caught", {"member_id": cast.designer.pk}
        ).status_code
        == 403
    )
    assert call(asker, "POST", f"/messages/{mid}/caught", {}).status_code == 422
    done = call(asker, "POST", f"/messages/{mid}/caught", {"member_id": cast.designer.pk})
    assert done.status_code == 200 and done.json()["ask"]["status"] == "caught"
    assert done.json()["ask"]["caught_by"] == cast.designer.pk
    asks = call(asker, "GET", "/circles/xinwenyu/asks").json()
    assert asks["items"] == [] and asks["catch_rate"] == 1.0
    assert call(asker, "POST", f"/messages/{mid}/close").status_code == 409


def test_edit_delete_hide(cast: Cast) -> None:
    author = client_for(cast.collector)
    mid = call(author, "POST", "/circles/xinwenyu/messages", {"text": "原文"}).json()["id"]
    assert call(client_for(cast.designer), "PATCH", f"/messages/{mid}", {"text": "别人改"}).status_code == 403
    edited = call(author, "PATCH", f"/messages/{mid}", {"text": "改过"})
    assert edited.status_code == 200 and edited.json()["text"] == "改过" and edited.json()["edited_at"]
    assert (
        call(client_for(cast.designer), "POST", f"/messages/{mid}/hide", {"reason": "广告"}).status_code
        == 403
    )
    assert call(client_for(cast.admin), "POST", f"/messages/{mid}/hide", {"reason": ""}).status_code == 422
    hidden = call(client_for(cast.admin), "POST", f"/messages/{mid}/hide", {"reason": "广告"}).json()
    assert hidden["hidden"] and hidden["text"] == "改过" and hidden["hidden_reason"] == "广告"
    seen = call(client_for(cast.designer), "GET", f"/messages/{mid}").json()
    assert seen["hidden"] and seen["text"] == "" and seen["hidden_reason"] is None
    gone = call(author, "DELETE", f"/messages/{mid}")
    assert gone.status_code == 200 and gone.json()["deleted"] and gone.json()["text"] == ""


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "好" * 10_001},
        {"text": "a\u0000b"},
        {"text": "@查无此人 你好"},
        {"text": "hi", "kind": "envelope_sent"},
        {"text": "hi", "extra": 1},
        {"text": "hi", "client_id": "a\u0000"},
    ],
)
def test_bad_input_is_a_4xx_and_changes_nothing(cast: Cast, body: dict[str, Any]) -> None:
    before = Message.objects.count()
    r = call(client_for(cast.collector), "POST", "/circles/xinwenyu/messages", body)
    assert r.status_code in (400, 422), r.content
    assert Message.objects.count() == before


def test_a_reply_to_another_circles_message_is_refused_in_chinese(cast: Cast) -> None:
    r = call(
        client_for(cast.collector),
        "POST",
        "/circles/xinwenyu/messages",
        {"text": "回复", "reply_to": cast.elsewhere.pk},
    )
    assert r.status_code == 400 and r.json()["code"] == "bad_reply_to"
    assert "回复" in r.json()["detail"]


def test_a_mention_of_a_non_member_names_it(cast: Cast) -> None:
    r = call(client_for(cast.collector), "POST", "/circles/xinwenyu/messages", {"text": "@外人 在吗"})
    assert r.status_code == 400 and "外人" in r.json()["detail"]


def test_outsiders_get_404_for_the_stream_and_its_messages(cast: Cast) -> None:
    stranger = client_for(Membership.objects.get(circle__slug="other"))
    mid = call(client_for(cast.collector), "POST", "/circles/xinwenyu/messages", {"text": "内部"}).json()[
        "id"
    ]
    assert call(stranger, "GET", "/circles/xinwenyu/messages").status_code == 404
    assert call(stranger, "GET", f"/messages/{mid}").status_code == 404
    assert call(stranger, "DELETE", f"/messages/{mid}").status_code == 404
    assert call(stranger, "GET", "/messages/999999999").status_code == 404
    assert call(Client(), "GET", "/circles/xinwenyu/messages").status_code == 401


def test_search_and_read_marker(cast: Cast) -> None:
    c = client_for(cast.designer)
    other = client_for(cast.collector)
    ids = [
        call(other, "POST", "/circles/xinwenyu/messages", {"text": t}).json()["id"]
        for t in ("开场", "短视频发行找我", "收到")
    ]
    hits = call(c, "GET", "/circles/xinwenyu/messages/search?q=短视频").json()["items"]
    assert len(hits) == 1 and hits[0]["message"]["id"] == ids[1]
    assert hits[0]["before"]["id"] == ids[0] and hits[0]["after"]["id"] == ids[2]
    assert call(c, "GET", "/circles/xinwenyu/messages/search?q=%21%21").status_code == 400
    assert call(c, "GET", "/circles/xinwenyu/read-marker").json() == {
        "last_read_id": 0,
        "unread": 3,
        "first_unread_id": ids[0],
    }
    r = call(c, "POST", "/circles/xinwenyu/read-marker", {"last_read_id": ids[1]})
    assert r.json() == {"last_read_id": ids[1], "unread": 1, "first_unread_id": ids[2]}
    assert (
        call(c, "POST", "/circles/xinwenyu/read-marker", {"last_read_id": cast.elsewhere.pk}).status_code
        == 404
    )
