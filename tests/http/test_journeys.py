"""The journeys an outside client takes, over the JSON API and over the web forms, against `kindred serve`."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .flows import MIXED, balance, card, my_nomination, nominate, search, top_up, unique
from .harness import PASSWORD, Server
from .html import text_of

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_nominate_approve_accept_card_search_over_the_api(server: Server) -> None:
    name = unique("李四")
    nomination = nominate(server, "alice", name, draft_card={"company": "青山动画", "city": "杭州"})
    issued = server.api("laozhou").ok(
        "POST", f"/api/v1/circles/{server.slug}/nominations/{nomination['id']}/approve"
    )
    assert issued["url"] == f"{server.base_url}/invite/{issued['code']}/"

    # The newcomer has no account and no cookie: no CSRF token either.
    newcomer = server.api()
    username = unique("lisi")
    accepted = newcomer.ok(
        "POST",
        f"/api/v1/invitations/{issued['code']}/accept",
        201,
        json={"username": username, "password": PASSWORD, "display_name": name},
    )
    assert accepted["username"] == username and accepted["token"]
    assert my_nomination(server, "alice", nomination["id"])["invitation"]["state"] == "accepted"

    word = unique("皮影戏")
    me = server.api()
    me.client.headers["Authorization"] = f"Bearer {accepted['token']}"
    mine = me.ok(
        "PUT",
        f"/api/v1/circles/{server.slug}/me/card",
        json={"offers": f"{word} 的动画发行", "industries": ["animation"], "offer_tags": [MIXED]},
    )
    assert [i["code"] for i in mine["industries"]] == ["animation"]
    assert mine["offer_tags"] == [MIXED]
    assert mine["company"] == "青山动画"  # the draft card became the card

    found = search(server, "bob", word)
    assert [m["id"] for m in found] == [accepted["member_id"]]
    assert found[0]["display_name"] == name


def test_nominate_approve_accept_card_search_over_the_web(server: Server) -> None:
    name = unique("赵六")
    alice = server.browser("alice")
    alice.get(f"/c/{server.slug}/nominate/")
    form = alice.form("/nominate/", field="closeness")
    alice.submit(
        form,
        {
            "name": name,
            "email": f"{unique('z')}@example.com",
            "relationship": "friend",
            "years_known": "6",
            "closeness": "4",
            "reason": "做了十年动画发行，圈子里缺这一环。",
            "company": "青山动画",
            "city": "杭州",
        },
        status=200,
    )
    mine = server.api("alice").ok("GET", f"/api/v1/circles/{server.slug}/nominations")
    nomination = next(n for n in mine if n["name"] == name)
    assert nomination["status"] == "pending"

    organizer = server.browser("laozhou")
    organizer.get(f"/c/{server.slug}/review/")
    organizer.submit(organizer.form(f"/review/{nomination['id']}/approve/"), status=200)
    url = _input_value(organizer.html, "invitation-url")
    assert url.startswith(f"{server.base_url}/invite/"), url

    newcomer = server.browser()
    newcomer.get(url)
    signup = newcomer.form(url.removeprefix(server.base_url), field="username")
    assert signup.values("display_name") == [name]
    username = unique("zhaoliu")
    newcomer.submit(
        signup,
        {"username": username, "password1": PASSWORD, "password2": PASSWORD},
        status=200,
    )
    assert str(newcomer.page.url).endswith(f"/c/{server.slug}/me/card/") if newcomer.page else False
    assert my_nomination(server, "alice", nomination["id"])["invitation"]["state"] == "accepted"

    word = unique("剪纸")
    form = newcomer.form(field="offers")
    ticked = form.options("industries")[:2]
    newcomer.submit(form, {"offers": f"{word} 动画", "industries": ticked}, status=200)

    newcomer.get(f"/c/{server.slug}/members/")
    newcomer_id = _member_id_by_name(server, name)
    mine_card = card(server, "bob", newcomer_id)
    assert len(mine_card["industries"]) == 2, mine_card["industries"]
    newcomer.get(f"/c/{server.slug}/me/card/")
    assert sorted(newcomer.form(field="offers").values("industries")) == sorted(ticked)
    assert mine_card["company"] == "青山动画"

    bob = server.browser("bob")
    bob.get(f"/c/{server.slug}/members/")
    bob.submit(bob.form(field="q", method="get"), {"q": word}, status=200)
    assert name in text_of(bob.html)
    assert f"/members/{newcomer_id}/" in bob.html


def _input_value(html: str, ident: str) -> str:
    import re

    tag = re.search(rf'<input[^>]*id="{ident}"[^>]*>', html)
    assert tag, f"no #{ident}"
    value = re.search(r'value="([^"]*)"', tag.group(0))
    assert value
    from html import unescape

    return unescape(value.group(1))


def _member_id_by_name(server: Server, name: str) -> int:
    found = [m for m in search(server, "bob", name) if m["display_name"] == name]
    assert len(found) == 1, found
    return int(found[0]["id"])


def test_red_envelope_send_and_grab_over_the_api(server: Server) -> None:
    top_up(server, "bob", 5_000)
    before = balance(server, "bob")
    envelope = server.api("bob").ok(
        "POST",
        f"/api/v1/circles/{server.slug}/envelopes",
        201,
        json={"total_fen": 600, "shares": 3, "mode": "equal", "greeting": MIXED},
    )
    assert envelope["greeting"] == MIXED
    assert balance(server, "bob") == before - 600
    carol_before = balance(server, "carol")
    grabbed = server.api("carol").ok("POST", f"/api/v1/envelopes/{envelope['id']}/grab")
    assert grabbed["amount_fen"] == 200
    assert balance(server, "carol") == carol_before + 200
    again = server.api("carol").post(f"/api/v1/envelopes/{envelope['id']}/grab")
    assert again.status_code == 409
    assert balance(server, "carol") == carol_before + 200


def test_red_envelope_send_and_grab_over_the_web(server: Server) -> None:
    dave = server.browser("dave")
    dave.get("/wallet/")
    before = balance(server, "dave")
    dave.submit(dave.form("/wallet/topup/"), {"amount": "50"}, status=200)
    assert balance(server, "dave") == before + 5_000

    dave.get(f"/c/{server.slug}/envelopes/send/")
    greeting = unique(MIXED + " ")
    dave.submit(
        dave.form(field="greeting"),
        {"total": "9", "shares": "3", "mode": "equal", "greeting": greeting},
        status=200,
    )
    assert balance(server, "dave") == before + 5_000 - 900
    listing = server.api("erin").ok("GET", f"/api/v1/circles/{server.slug}/envelopes")
    envelope = next(e for e in listing["envelopes"] if e["greeting"] == greeting)

    erin = server.browser("erin")
    erin_before = balance(server, "erin")
    erin.get(f"/c/{server.slug}/envelopes/{envelope['id']}/")
    erin.submit(erin.form(f"/envelopes/{envelope['id']}/grab/"), status=200)
    assert balance(server, "erin") == erin_before + 300


def _meetup_times() -> tuple[datetime, datetime]:
    starts = (datetime.now(SHANGHAI) + timedelta(days=10)).replace(hour=19, minute=0, second=0, microsecond=0)
    return starts, starts + timedelta(hours=2)


def test_meetup_rsvp_over_the_api(server: Server) -> None:
    starts, ends = _meetup_times()
    title = unique("饭局 ")
    meetup = server.api("alice").ok(
        "POST",
        f"/api/v1/circles/{server.slug}/meetups",
        201,
        json={
            "title": title,
            "city": "北京",
            "venue": MIXED,
            "starts_at": starts.isoformat(),
            "ends_at": ends.isoformat(),
            "capacity": 6,
        },
    )
    assert meetup["venue"] == MIXED
    rsvp = server.api("bob").ok("POST", f"/api/v1/meetups/{meetup['id']}/rsvp", json={"answer": "yes"})
    assert rsvp["status"] == "going"
    detail = server.api("bob").ok("GET", f"/api/v1/meetups/{meetup['id']}")
    assert detail["my_status"] == "going" and detail["going"] == 2  # the host and the guest


def test_meetup_rsvp_over_the_web(server: Server) -> None:
    starts, ends = _meetup_times()
    title = unique("茶叙 ")
    alice = server.browser("alice")
    alice.get(f"/c/{server.slug}/meetups/new/")
    alice.submit(
        alice.form(field="title"),
        {
            "title": title,
            "city": "北京",
            "venue": "三里屯",
            "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": ends.strftime("%Y-%m-%dT%H:%M"),
            "capacity": "8",
        },
        status=200,
    )
    listing = server.api("carol").ok("GET", f"/api/v1/circles/{server.slug}/meetups")
    meetup = next(m for m in listing["upcoming"] if m["title"] == title)
    assert datetime.fromisoformat(meetup["starts_at"]) == starts

    carol = server.browser("carol")
    carol.get(f"/c/{server.slug}/meetups/{meetup['id']}/")
    carol.submit(carol.form("/rsvp/", css_class="rsvp-yes"), status=200)
    detail = server.api("carol").ok("GET", f"/api/v1/meetups/{meetup['id']}")
    assert detail["my_status"] == "going" and detail["going"] == 2  # the host and the guest


def test_deal_create_and_confirm_over_the_api(server: Server) -> None:
    title = unique("联合出品 ")
    deal = server.api("alice").ok(
        "POST",
        f"/api/v1/circles/{server.slug}/deals",
        201,
        json={
            "kind": "cooperation",
            "title": title,
            "party_ids": [server.member_id("bob")],
            "origin": "knew_before",
            "description": MIXED,
        },
    )
    assert deal["title"] == title and deal["description"] == MIXED
    assert not deal["confirmed_at"]
    confirmed = server.api("bob").ok("POST", f"/api/v1/deals/{deal['id']}/confirm")
    assert confirmed["confirmed_at"]
    assert all(p["confirmed"] for p in confirmed["parties"])


def test_deal_create_and_confirm_over_the_web(server: Server) -> None:
    title = unique("短剧合拍 ")
    carol = server.browser("carol")
    carol.get(f"/c/{server.slug}/deals/new/")
    carol.submit(
        carol.form(field="title"),
        {"title": title, "parties": [str(server.member_id("dave"))], "origin": "knew_before"},
        status=200,
    )
    feed = server.api("dave").ok("GET", f"/api/v1/circles/{server.slug}/deals")
    deal = next(d for d in feed["waiting"] + feed["counted"] if d["title"] == title)
    assert not deal["confirmed_at"]

    dave = server.browser("dave")
    dave.get(f"/c/{server.slug}/deals/{deal['id']}/")
    dave.submit(dave.form(f"/deals/{deal['id']}/confirm/"), status=200)
    assert server.api("dave").ok("GET", f"/api/v1/deals/{deal['id']}")["confirmed_at"]
