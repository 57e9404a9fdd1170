"""The fixes of issue 8 that an outside client can see, each checked over HTTP against `kindred serve`."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .flows import MIXED_LINES, invited, my_card, my_nomination, nominate, unique
from .harness import PASSWORD, Server
from .html import text_of

# --- 1. The anonymous accept needs no CSRF token; a browser session still does ---------------------------


def test_cookieless_client_accepts_an_invitation_without_csrf(server: Server) -> None:
    nomination, issued = invited(server)
    response = server.api().post(
        f"/api/v1/invitations/{issued['code']}/accept",
        json={"username": unique("anon"), "password": PASSWORD, "display_name": nomination["name"]},
    )
    assert response.status_code == 201, response.text
    assert my_nomination(server, "alice", nomination["id"])["invitation"]["state"] == "accepted"


def test_browser_session_without_csrf_token_is_refused(server: Server) -> None:
    nomination, issued = invited(server)
    browser = server.browser("xavier")
    path = f"/api/v1/invitations/{issued['code']}/accept"
    refused = browser.api("POST", path, {"display_name": "Xavier"}, csrf=False)
    assert refused.status_code == 403, refused.text
    assert my_nomination(server, "alice", nomination["id"])["invitation"]["state"] == "open"
    assert server.api("xavier").ok("GET", "/api/v1/me")["circles"] == []

    accepted = browser.api("POST", path, {"display_name": "Xavier"})
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["username"] == "xavier" and accepted.json()["token"] is None


# --- 2. The card form keeps what it shows -------------------------------------------------------------


def test_card_form_submitted_unchanged_keeps_the_card(server: Server) -> None:
    server.api("carol").ok(
        "PUT",
        f"/api/v1/circles/{server.slug}/me/card",
        json={
            "industries": ["film-tv", "animation"],
            "offer_tags": ["发行", "PPT"],
            "need_tags": ["海外版权"],
            "bio": MIXED_LINES,
            "title": "制片人",
            "wechat": "carol_wx",
            "wechat_visibility": "circle",
        },
    )
    before = my_card(server, "carol")
    assert sorted(i["code"] for i in before["industries"]) == ["animation", "film-tv"]

    carol = server.browser("carol")
    carol.get(f"/c/{server.slug}/me/card/")
    form = carol.form(field="industries")
    assert len(form.values("industries")) == 2, "the card's industries load unticked"
    carol.submit(form, status=200)
    assert my_card(server, "carol") == before


# --- 3. openapi.json is a valid document: no key twice --------------------------------------------------


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    assert not duplicates, f"duplicate keys in openapi.json: {duplicates}"
    return dict(pairs)


def test_openapi_document_has_no_duplicate_keys(server: Server) -> None:
    response = server.api().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.text, object_pairs_hook=_refuse_duplicates)
    assert document["paths"]
    docs = server.browser().get("/api/v1/docs")
    assert "openapi.json" in docs.text


# --- 5. NUL never reaches the database: a 4xx, also on PostgreSQL ------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"username": "ali\x00ce", "password": PASSWORD},
        {"username": "alice", "password": "correct\x00horse"},
        {"username": "alice", "password": PASSWORD, "name": "my\x00token"},
        {"username": "\x00", "password": "\x00"},
    ],
    ids=["username", "password", "name", "both"],
)
def test_nul_in_token_request_is_a_4xx(server: Server, body: dict[str, str]) -> None:
    api = server.api("alice")
    tokens = api.ok("GET", "/api/v1/me/tokens")
    response = server.api().post("/api/v1/auth/token", json=body)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert api.ok("GET", "/api/v1/me/tokens") == tokens


def test_nul_in_the_web_sign_in_is_refused(server: Server) -> None:
    browser = server.browser()
    browser.get("/accounts/login/")
    response = browser.submit(
        browser.form("/accounts/login/"), {"username": "ali\x00ce", "password": PASSWORD}
    )
    assert response.status_code < 500
    assert "sessionid" not in browser.client.cookies


# --- 8. Nobody reviews their own nominee ------------------------------------------------------------------


def test_admin_cannot_approve_her_own_nominee(server: Server) -> None:
    nomination = nominate(server, "admin1", unique("管理员提名"))
    path = f"/api/v1/circles/{server.slug}/nominations/{nomination['id']}/approve"
    refused = server.api("admin1").post(path)
    assert 400 <= refused.status_code < 500, refused.text
    assert my_nomination(server, "admin1", nomination["id"])["status"] == "pending"

    admin = server.browser("admin1")
    admin.get(f"/c/{server.slug}/review/")
    approve = f"/review/{nomination['id']}/approve/"
    forms = [f for f in admin.forms() if approve in f.action]
    # The page may leave out her approve button; the POST it would make is refused all the same.
    token = admin.form("/review/invite/").values("csrfmiddlewaretoken")
    response = admin.client.post(
        f"/c/{server.slug}{approve}",
        data={"csrfmiddlewaretoken": token[0]},
        headers={"Origin": server.base_url, "Referer": server.url(f"/c/{server.slug}/review/")},
    )
    assert 400 <= response.status_code < 500, (
        f"POST {approve}: {response.status_code} (form shown: {bool(forms)})"
    )
    assert my_nomination(server, "admin1", nomination["id"])["status"] == "pending"

    issued = server.api("laozhou").ok("POST", path)
    assert issued["code"]
    direct = server.api("laozhou").ok(
        "POST",
        f"/api/v1/circles/{server.slug}/invitations",
        201,
        json={"name": unique("直邀"), "email": f"{unique('d')}@example.com"},
    )
    assert direct["code"]


# --- 9. A signed-in visitor on someone else's invitation chooses; nothing is used before ----------------


def _open_as(server: Server, username: str) -> tuple[Any, dict[str, Any], dict[str, Any], str]:
    nomination, issued = invited(server)
    browser = server.browser(username)
    path = issued["url"].removeprefix(server.base_url)
    browser.get(path)
    browser.get(path)  # twice: opening it again changes nothing either
    assert nomination["name"] in text_of(browser.html), "the page does not say whose invitation it is"
    assert my_nomination(server, "alice", nomination["id"])["invitation"]["state"] == "open"
    assert server.api(username).ok("GET", "/api/v1/me")["circles"] == []
    return browser, nomination, issued, path


def test_signed_in_visitor_signs_out_and_creates_the_invitees_account(server: Server) -> None:
    browser, nomination, _issued, path = _open_as(server, "zoe")
    posts = [f for f in browser.forms() if f.method == "post" and path in f.action]
    join = [f for f in posts if "display_name" in f.names()]
    sign_out = [f for f in posts if "display_name" not in f.names()]
    assert join and sign_out, "no explicit choice between signing out and joining as oneself"
    assert all(f.values("display_name") != [nomination["name"]] for f in join), (
        "joins as self under the nominee's name"
    )

    browser.submit(sign_out[0], status=200)
    server.forget_session("zoe")
    signup = browser.form(path, field="username")
    assert signup.values("display_name") == [nomination["name"]]
    assert my_nomination(server, "alice", nomination["id"])["invitation"]["state"] == "open"
    username = unique("invitee")
    browser.submit(signup, {"username": username, "password1": PASSWORD, "password2": PASSWORD}, status=200)
    assert my_nomination(server, "alice", nomination["id"])["invitation"]["state"] == "accepted"
    assert server.api("zoe").ok("GET", "/api/v1/me")["circles"] == []


def test_signed_in_visitor_joins_as_themselves(server: Server) -> None:
    browser, nomination, _issued, path = _open_as(server, "yuki")
    join = browser.form(path, field="display_name", method="post")
    browser.submit(join, {"display_name": "Yuki 由纪"}, status=200)
    assert my_nomination(server, "alice", nomination["id"])["invitation"]["state"] == "accepted"
    circles = server.api("yuki").ok("GET", "/api/v1/me")["circles"]
    assert [c["slug"] for c in circles] == [server.slug]
