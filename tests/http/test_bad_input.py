"""Bad input on every text field of the journeys' API bodies and web forms, against `kindred serve`.

Empty (where required), 100 000 characters and NUL get a 4xx and change nothing (checked through the API
afterwards); a form re-rendered with its error (200, no redirect) counts as the form's refusal. Emoji and mixed
scripts are valid text: they are kept exactly, as the API then shows them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from .flows import MIXED, MIXED_LINES, balance, invited, my_nomination, top_up, unique
from .harness import PASSWORD, Server
from .html import text_of

EMPTY = ""
HUGE = "长" * 100_000
NUL = "ab\x00cd"
LONG_QUERY = 5_000  # the longest search we send in a URL (httpx refuses a query over 64 KiB)
CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Text:
    name: str  # the JSON field (dotted when nested) or the form field
    required: bool = False
    free: bool = True  # free text: emoji and mixed scripts are kept exactly
    lines: bool = False
    api: str = ""  # where the API shows a form field, when not under the same name

    def bad(self) -> list[str]:
        return [EMPTY, HUGE, NUL] if self.required else [HUGE, NUL]

    def good(self) -> str:
        return MIXED_LINES if self.lines else MIXED


def _meetup_times() -> tuple[datetime, datetime]:
    starts = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=20)).replace(
        hour=19, minute=0, second=0, microsecond=0
    )
    return starts, starts + timedelta(hours=2)


def _dig(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def _put(body: dict[str, Any], dotted: str, value: str) -> dict[str, Any]:
    parts = dotted.split(".")
    target = body
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    if len(parts) > 1 and parts[-1].isdigit():  # a list field: offer_tags.0
        body[parts[0]] = [value]
    else:
        target[parts[-1]] = value
    return body


# --- the API -------------------------------------------------------------------------------------------


@dataclass
class ApiTarget:
    user: str | None
    method: str
    path: Callable[[Server], str]
    body: Callable[[Server], dict[str, Any]]
    fields: list[Text]
    snapshot: Callable[[Server], Any]
    readback: Callable[[Server, httpx.Response], Any]
    prepare: Callable[[Server], None] = field(default=lambda server: None)


def _ids(rows: list[dict[str, Any]]) -> list[int]:
    return sorted(r["id"] for r in rows)


def _card_path(server: Server) -> str:
    return f"/api/v1/circles/{server.slug}/me/card"


API: dict[str, ApiTarget] = {
    "token": ApiTarget(
        user=None,
        method="POST",
        path=lambda s: "/api/v1/auth/token",
        body=lambda s: {"username": "erin", "password": PASSWORD, "name": "bad input"},
        fields=[Text("username", True, free=False), Text("password", True, free=False), Text("name", True)],
        snapshot=lambda s: _ids(s.api("erin").ok("GET", "/api/v1/me/tokens")),
        readback=lambda s, r: next(
            t for t in s.api("erin").ok("GET", "/api/v1/me/tokens") if t["id"] == r.json()["id"]
        ),
    ),
    "nomination": ApiTarget(
        user="alice",
        method="POST",
        path=lambda s: f"/api/v1/circles/{s.slug}/nominations",
        body=lambda s: {
            "name": unique("提名"),
            "email": f"{unique('b')}@example.com",
            "relationship": "friend",
            "years_known": 3,
            "closeness": 3,
            "reason": "值得信赖",
        },
        fields=[
            Text("name", True),
            Text("email", free=False),
            Text("phone", free=False),
            Text("reason", True, lines=True),
            *(Text(f"draft_card.{f}") for f in ("company", "title", "city")),
            *(Text(f"draft_card.{f}", lines=True) for f in ("offers", "needs", "bio")),
        ],
        snapshot=lambda s: _ids(s.api("alice").ok("GET", f"/api/v1/circles/{s.slug}/nominations")),
        readback=lambda s, r: my_nomination(s, "alice", r.json()["id"]),
    ),
    "accept": ApiTarget(
        user=None,
        method="POST",
        path=lambda s: "",  # set by prepare: a fresh invitation
        body=lambda s: {"username": unique("acc"), "password": PASSWORD},
        fields=[
            Text("username", True, free=False),
            Text("password", True, free=False),
            Text("display_name"),
            Text("email", free=False),
        ],
        snapshot=lambda s: None,  # set by prepare: the invitation stays open
        readback=lambda s, r: s.api("bob").ok(
            "GET", f"/api/v1/circles/{s.slug}/members/{r.json()['member_id']}"
        ),
    ),
    "card": ApiTarget(
        user="erin",
        method="PUT",
        path=_card_path,
        body=lambda s: {},
        fields=[
            Text("display_name", True),
            *(Text(f) for f in ("company", "title", "city", "wechat")),
            *(Text(f, lines=True) for f in ("offers", "needs", "bio", "values")),
            Text("phone", free=False),
            Text("email", free=False),
            Text("offer_tags.0"),
            Text("need_tags.0"),
        ],
        snapshot=lambda s: s.api("erin").ok("PUT", _card_path(s), json={}),
        readback=lambda s, r: s.api("erin").ok("PUT", _card_path(s), json={}),
    ),
    "envelope": ApiTarget(
        user="bob",
        method="POST",
        path=lambda s: f"/api/v1/circles/{s.slug}/envelopes",
        body=lambda s: {"total_fen": 300, "shares": 3, "mode": "equal"},
        fields=[Text("greeting")],
        snapshot=lambda s: (
            balance(s, "bob"),
            _ids(s.api("bob").ok("GET", f"/api/v1/circles/{s.slug}/envelopes")["envelopes"]),
        ),
        readback=lambda s, r: s.api("bob").ok("GET", f"/api/v1/envelopes/{r.json()['id']}"),
        prepare=lambda s: top_up(s, "bob", 1_000),
    ),
    "meetup": ApiTarget(
        user="alice",
        method="POST",
        path=lambda s: f"/api/v1/circles/{s.slug}/meetups",
        body=lambda s: {
            "title": unique("聚会"),
            "city": "北京",
            "starts_at": _meetup_times()[0].isoformat(),
            "ends_at": _meetup_times()[1].isoformat(),
        },
        fields=[Text("title", True), Text("city", True), Text("venue"), Text("description", lines=True)],
        snapshot=lambda s: _ids(s.api("alice").ok("GET", f"/api/v1/circles/{s.slug}/meetups")["upcoming"]),
        readback=lambda s, r: s.api("alice").ok("GET", f"/api/v1/meetups/{r.json()['id']}"),
    ),
    "deal": ApiTarget(
        user="alice",
        method="POST",
        path=lambda s: f"/api/v1/circles/{s.slug}/deals",
        body=lambda s: {
            "kind": "cooperation",
            "title": unique("合作"),
            "party_ids": [s.member_id("bob")],
            "origin": "knew_before",
        },
        fields=[
            Text("title", True),
            Text("origin_note"),
            Text("outside_party"),
            Text("description", lines=True),
        ],
        snapshot=lambda s: _ids(
            [*(f := s.api("alice").ok("GET", f"/api/v1/circles/{s.slug}/deals"))["waiting"], *f["counted"]]
        ),
        readback=lambda s, r: s.api("alice").ok("GET", f"/api/v1/deals/{r.json()['id']}"),
    ),
}

API_CASES = [
    pytest.param(name, text, id=f"{name}-{text.name}") for name, t in API.items() for text in t.fields
]


def _api_setup(server: Server, target: ApiTarget) -> tuple[str, Callable[[], Any]]:
    target.prepare(server)
    if target.path(server):
        return target.path(server), lambda: target.snapshot(server)
    nomination, issued = invited(server)  # accept: a fresh invitation, which must stay open
    return (
        f"/api/v1/invitations/{issued['code']}/accept",
        lambda: my_nomination(server, "alice", nomination["id"])["invitation"]["state"],
    )


@pytest.mark.parametrize(("target_name", "text"), API_CASES)
def test_api_refuses_bad_text_and_changes_nothing(server: Server, target_name: str, text: Text) -> None:
    target = API[target_name]
    path, snapshot = _api_setup(server, target)
    before = snapshot()
    client = server.api(target.user)
    for value in text.bad():
        response = client.request(target.method, path, json=_put(target.body(server), text.name, value))
        assert 400 <= response.status_code < 500, (
            repr(value[:20]),
            len(value),
            response.status_code,
            response.text[:500],
        )
    assert snapshot() == before


@pytest.mark.parametrize(("target_name", "text"), [c for c in API_CASES if c.values[1].free])  # type: ignore[union-attr]
def test_api_keeps_emoji_and_mixed_scripts_exactly(server: Server, target_name: str, text: Text) -> None:
    target = API[target_name]
    path, _snapshot = _api_setup(server, target)
    response = server.api(target.user).request(
        target.method, path, json=_put(target.body(server), text.name, text.good())
    )
    assert response.status_code in (200, 201), response.text[:500]
    shown = target.readback(server, response)
    key = {"display_name": "display_name"}.get(text.name, text.name)
    assert _dig(shown, key) == text.good()


# --- the web forms -------------------------------------------------------------------------------------


@dataclass
class WebTarget:
    user: str | None
    page: Callable[[Server], str]
    form_field: str  # a field only the form under test has
    valid: Callable[[Server], dict[str, Any]]
    fields: list[Text]
    snapshot: Callable[[Server], Any]
    find: Callable[[Server, dict[str, Any]], Any]  # the object a valid submission made, from the API


def _nominations(s: Server) -> list[dict[str, Any]]:
    return s.api("alice").ok("GET", f"/api/v1/circles/{s.slug}/nominations")


def _web_meetup(s: Server) -> dict[str, Any]:
    starts, ends = _meetup_times()
    return {
        "title": unique("沙龙"),
        "city": "上海",
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": ends.strftime("%Y-%m-%dT%H:%M"),
    }


def _deals(s: Server, user: str) -> list[dict[str, Any]]:
    feed = s.api(user).ok("GET", f"/api/v1/circles/{s.slug}/deals")
    return [*feed["waiting"], *feed["counted"]]


WEB: dict[str, WebTarget] = {
    "sign-in": WebTarget(
        user=None,
        page=lambda s: "/accounts/login/",
        form_field="password",
        valid=lambda s: {"username": "erin", "password": PASSWORD},
        fields=[Text("username", True, free=False), Text("password", True, free=False)],
        snapshot=lambda s: None,
        find=lambda s, sent: None,
    ),
    "nominate": WebTarget(
        user="alice",
        page=lambda s: f"/c/{s.slug}/nominate/",
        form_field="closeness",
        valid=lambda s: {
            "name": unique("提名"),
            "email": f"{unique('w')}@example.com",
            "relationship": "friend",
            "years_known": "2",
            "closeness": "3",
            "reason": "值得信赖",
        },
        fields=[
            Text("name", True),
            Text("email", free=False),
            Text("phone", free=False),
            Text("reason", True, lines=True),
            *(Text(f, api=f"draft_card.{f}") for f in ("company", "title", "city")),
            *(Text(f, lines=True, api=f"draft_card.{f}") for f in ("offers", "needs", "bio")),
        ],
        snapshot=lambda s: _ids(_nominations(s)),
        find=lambda s, sent: next(n for n in _nominations(s) if n["email"] == sent["email"]),
    ),
    "card": WebTarget(
        user="erin",
        page=lambda s: f"/c/{s.slug}/me/card/",
        form_field="offers",
        valid=lambda s: {},
        fields=[
            Text("display_name", True),
            *(Text(f) for f in ("company", "title", "city")),
            *(Text(f, lines=True) for f in ("offers", "needs", "bio", "values")),
            Text("wechat", api="wechat"),
            Text("phone", free=False),
            Text("email", free=False),
            Text("offer_tags", free=False),
            Text("need_tags", free=False),
        ],
        snapshot=lambda s: s.api("erin").ok("PUT", _card_path(s), json={}),
        find=lambda s, sent: s.api("erin").ok("PUT", _card_path(s), json={}),
    ),
    "envelope": WebTarget(
        user="dave",
        page=lambda s: f"/c/{s.slug}/envelopes/send/",
        form_field="greeting",
        valid=lambda s: {"total": "3", "shares": "3", "mode": "equal"},
        fields=[Text("greeting")],
        snapshot=lambda s: (
            balance(s, "dave"),
            _ids(s.api("dave").ok("GET", f"/api/v1/circles/{s.slug}/envelopes")["envelopes"]),
        ),
        find=lambda s, sent: s.api("dave").ok("GET", f"/api/v1/circles/{s.slug}/envelopes")["envelopes"][0],
    ),
    "meetup": WebTarget(
        user="carol",
        page=lambda s: f"/c/{s.slug}/meetups/new/",
        form_field="venue",
        valid=_web_meetup,
        fields=[Text("title", True), Text("city", True), Text("venue"), Text("description", lines=True)],
        snapshot=lambda s: _ids(s.api("carol").ok("GET", f"/api/v1/circles/{s.slug}/meetups")["upcoming"]),
        find=lambda s, sent: max(
            s.api("carol").ok("GET", f"/api/v1/circles/{s.slug}/meetups")["upcoming"], key=lambda m: m["id"]
        ),
    ),
    "deal": WebTarget(
        user="carol",
        page=lambda s: f"/c/{s.slug}/deals/new/",
        form_field="outside_party",
        valid=lambda s: {
            "title": unique("合作"),
            "parties": [str(s.member_id("dave"))],
            "origin": "knew_before",
        },
        fields=[
            Text("title", True),
            Text("outside_party"),
            Text("origin_note"),
            Text("description", lines=True),
        ],
        snapshot=lambda s: _ids(_deals(s, "carol")),
        find=lambda s, sent: max(_deals(s, "carol"), key=lambda d: d["id"]),
    ),
    "search": WebTarget(
        user="bob",
        page=lambda s: f"/c/{s.slug}/members/",
        form_field="q",
        valid=lambda s: {},
        fields=[Text("q", free=False), Text("tag", free=False)],
        snapshot=lambda s: None,
        find=lambda s, sent: None,
    ),
}

WEB_CASES = [
    pytest.param(name, text, id=f"{name}-{text.name}") for name, t in WEB.items() for text in t.fields
]


def assert_refused(response: httpx.Response, what: str) -> None:
    """A 4xx, or the form again with its error in the reader's language (Chinese here), not a redirect."""
    if 400 <= response.status_code < 500:
        return
    assert response.status_code == 200 and not response.history, (
        f"{what}: {response.status_code} {response.history}"
    )
    errors = re.findall(r'(?s)<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.text)
    assert errors, f"{what}: 200 without an error on the form"
    assert CJK.search(text_of(" ".join(errors))), f"{what}: the error is not in Chinese: {errors}"


@pytest.mark.parametrize(("target_name", "text"), WEB_CASES)
def test_web_form_refuses_bad_text_and_changes_nothing(server: Server, target_name: str, text: Text) -> None:
    target = WEB[target_name]
    if target_name == "envelope":
        top_up(server, "dave", 1_000)
    before = target.snapshot(server)
    browser = server.browser(target.user)
    for value in text.bad():
        browser.get(target.page(server))
        form = browser.form(field=target.form_field)
        if form.method == "get" and value is HUGE:  # a URL holds less: clients refuse 100 000 characters
            value = HUGE[:LONG_QUERY]
        sent = {**target.valid(server), text.name: value}
        response = browser.submit(form, sent)
        assert_refused(response, f"{text.name}={value[:10]!r}… ({len(value)} chars)")
        if target_name == "sign-in":
            assert "sessionid" not in browser.client.cookies
    assert target.snapshot(server) == before


@pytest.mark.parametrize(
    "text",
    [
        Text("username", True, free=False),
        Text("display_name"),
        Text("email", free=False),
        Text("password1", True),
    ],
    ids=lambda t: t.name,
)
def test_web_accept_form_refuses_bad_text_and_changes_nothing(server: Server, text: Text) -> None:
    nomination, issued = invited(server)
    browser = server.browser()
    path = issued["url"].removeprefix(server.base_url)
    for value in text.bad():
        browser.get(path)
        sent = {"username": unique("web"), "password1": PASSWORD, "password2": PASSWORD, text.name: value}
        if text.name == "password1":
            sent["password2"] = value
        response = browser.submit(browser.form(path, field="username"), sent)
        assert_refused(response, f"{text.name}={value[:10]!r}… ({len(value)} chars)")
    assert my_nomination(server, "alice", nomination["id"])["invitation"]["state"] == "open"
    assert "sessionid" not in browser.client.cookies


def test_web_accept_form_keeps_a_mixed_script_name_exactly(server: Server) -> None:
    nomination, issued = invited(server)
    browser = server.browser()
    path = issued["url"].removeprefix(server.base_url)
    browser.get(path)
    username = unique("web")
    browser.submit(
        browser.form(path, field="username"),
        {"username": username, "password1": PASSWORD, "password2": PASSWORD, "display_name": MIXED},
        status=200,
    )
    assert my_nomination(server, "alice", nomination["id"])["invitation"]["state"] == "accepted"
    me = server.api().ok("POST", "/api/v1/auth/token", 201, json={"username": username, "password": PASSWORD})
    api = server.api()
    api.client.headers["Authorization"] = f"Bearer {me['token']}"
    member_id = next(c for c in api.ok("GET", "/api/v1/circles") if c["slug"] == server.slug)["my_member_id"]
    assert api.ok("GET", f"/api/v1/circles/{server.slug}/members/{member_id}")["display_name"] == MIXED


@pytest.mark.parametrize(("target_name", "text"), [c for c in WEB_CASES if c.values[1].free])  # type: ignore[union-attr]
def test_web_form_keeps_emoji_and_mixed_scripts_exactly(server: Server, target_name: str, text: Text) -> None:
    target = WEB[target_name]
    if target_name == "envelope":
        top_up(server, "dave", 1_000)
    browser = server.browser(target.user)
    browser.get(target.page(server))
    sent = {**target.valid(server), text.name: text.good().replace("\n", "\r\n")}
    response = browser.submit(browser.form(field=target.form_field), sent)
    assert response.status_code == 200 and response.history, (
        f"{response.status_code}: {text_of(response.text)[:1000]}"
    )
    assert _dig(target.find(server, sent), text.api or text.name) == text.good()
