"""The ties API: status codes, bodies, 404 for outsiders and other pairs' ties, and bad input that
changes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from kindred.circles.models import Membership
from kindred.circles.services import membership_remove
from kindred.ties.models import Tie
from kindred.ties.services import tie_declare, tie_ignore
from kindred.ties.tests.conftest import tie_snapshot

pytestmark = pytest.mark.django_db
BASE = "/api/v1/circles/xinwenyu/ties"


def _client(m: Membership | User | None) -> Client:
    client = Client()
    if m is not None:
        client.force_login(m.user if isinstance(m, Membership) else m)
    return client


def _post(client: Client, url: str, data: Any = None) -> Any:
    return client.post(url, data=json.dumps(data or {}), content_type="application/json")


def test_declare_returns_201_with_the_pending_tie(alice: Membership, bob: Membership) -> None:
    response = _post(_client(alice), BASE, {"member_id": bob.pk, "kind": "colleague", "since_year": 2012})
    assert response.status_code == 201, response.content
    body = response.json()
    tie = Tie.objects.get(pk=body["id"])
    assert tie.declared_by_id == alice.pk and tie.status == "pending"
    assert body["status"] == "pending" and body["direction"] == "outgoing"
    assert (body["kind"], body["since_year"], body["confirmed_at"]) == ("colleague", 2012, None)
    assert body["partner"] == {
        "member_id": bob.pk,
        "display_name": "Bob 李",
        "company": "山海音乐",
        "title": "",
        "city": "上海",
    }


def test_declaring_back_answers_200_with_the_confirmed_tie(alice: Membership, bob: Membership) -> None:
    tie_declare(declarer=alice, other=bob, kind="friend")
    response = _post(_client(bob), BASE, {"member_id": alice.pk})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["direction"]) == ("confirmed", "mutual")


def test_confirm_by_the_other_party(alice: Membership, bob: Membership) -> None:
    tie = tie_declare(declarer=alice, other=bob, kind="friend")
    response = _post(_client(bob), f"{BASE}/{tie.pk}/confirm")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["direction"], body["partner"]["member_id"]) == (
        "confirmed",
        "mutual",
        alice.pk,
    )
    assert body["confirmed_at"]
    tie.refresh_from_db()
    assert tie.status == Tie.Status.CONFIRMED


def test_confirm_by_the_declarer_is_403_and_changes_nothing(alice: Membership, bob: Membership) -> None:
    tie = tie_declare(declarer=alice, other=bob, kind="friend")
    before = tie_snapshot()
    response = _post(_client(alice), f"{BASE}/{tie.pk}/confirm")
    assert response.status_code == 403
    assert "detail" in response.json()
    assert tie_snapshot() == before


def test_a_tie_of_another_pair_is_404(alice: Membership, bob: Membership, carol: Membership) -> None:
    tie = tie_declare(declarer=alice, other=bob, kind="friend")
    before = tie_snapshot()
    client = _client(carol)
    for action in ("confirm", "ignore"):
        response = _post(client, f"{BASE}/{tie.pk}/{action}")
        assert response.status_code == 404
        assert response.json()["detail"]
    assert _post(client, f"{BASE}/999999/confirm").status_code == 404
    for bad in ("abc", "-1", "0", str(10**30)):
        response = _post(client, f"{BASE}/{bad}/confirm")
        assert response.status_code in (404, 422), bad
        assert response.json()["detail"]
    assert tie_snapshot() == before


def test_ignore_is_quiet_through_the_api(alice: Membership, bob: Membership) -> None:
    tie = tie_declare(declarer=alice, other=bob, kind="friend")
    response = _post(_client(bob), f"{BASE}/{tie.pk}/ignore")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["direction"]) == ("ignored", "incoming")
    listing = _client(alice).get(BASE).json()
    assert [(t["id"], t["status"]) for t in listing["outgoing"]] == [(tie.pk, "pending")]
    assert "ignored" not in json.dumps(listing)
    assert _client(bob).get(BASE).json()["incoming"] == []


def test_list_mine(origin: Membership, alice: Membership, bob: Membership, carol: Membership) -> None:
    tie_declare(declarer=bob, other=alice, kind="friend")
    tie_declare(declarer=alice, other=carol, kind="classmate", since_year=1999)
    response = _client(alice).get(BASE)
    assert response.status_code == 200
    body = response.json()
    assert [t["partner"]["member_id"] for t in body["confirmed"]] == [origin.pk]
    assert [t["partner"]["member_id"] for t in body["incoming"]] == [bob.pk]
    assert [(t["partner"]["member_id"], t["since_year"]) for t in body["outgoing"]] == [(carol.pk, 1999)]
    # Only the public part of a card goes out.
    assert set(body["incoming"][0]["partner"]) == {"member_id", "display_name", "company", "title", "city"}


def test_suggestions(make_member: Callable[..., Membership], alice: Membership) -> None:
    same_company = make_member("sc", display_name="同事甲", company="星河影业")
    response = _client(alice).get(f"{BASE}/suggestions", headers={"Accept-Language": "zh-hans"})
    assert response.status_code == 200
    body = response.json()
    assert [s["member"]["member_id"] for s in body] == [same_company.pk]
    # Both joined under the origin: a friend of alice's sponsor, and a colleague.
    assert body[0]["reasons"] == ["sponsor_tie", "same_company"]
    assert body[0]["reason_labels"] == ["你的引荐人的朋友", "同一家公司"]
    assert body[0]["score"] > 0
    assert _client(alice).get(f"{BASE}/suggestions?limit=0").status_code == 422
    assert _client(alice).get(f"{BASE}/suggestions?limit=abc").status_code == 422


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"member_id": "abc"},
        {"member_id": -3},
        {"member_id": 10**30},
        {"member_id": "BOB", "kind": "friend"},
        {"member_id": "BOB", "kind": "sponsor"},
        {"member_id": "BOB", "kind": ""},
        {"member_id": "BOB", "since_year": 1800},
        {"member_id": "BOB", "since_year": "去年"},
        {"member_id": "BOB", "since_year": "NEXT"},
        {"member_id": "ALICE"},
        {"member_id": "OUTSIDER"},
        {"member_id": "ORIGIN"},
        {"member_id": 999999},
    ],
)
def test_bad_declarations_are_4xx_with_detail_and_change_nothing(
    alice: Membership, bob: Membership, origin: Membership, outsider: Membership, payload: dict[str, Any]
) -> None:
    tie_declare(declarer=alice, other=bob, kind="friend")  # so declaring bob again is a conflict
    names = {"BOB": bob.pk, "ALICE": alice.pk, "OUTSIDER": outsider.pk, "ORIGIN": origin.pk}
    data = {k: names.get(v, v) if isinstance(v, str) else v for k, v in payload.items()}
    if data.get("since_year") == "NEXT":
        data["since_year"] = timezone.localdate().year + 1
    before = tie_snapshot()
    response = _post(_client(alice), BASE, data)
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["detail"]
    assert tie_snapshot() == before


def test_bad_year_is_400_in_the_users_language(alice: Membership, bob: Membership) -> None:
    next_year = timezone.localdate().year + 1
    response = _client(alice).post(
        BASE,
        data=json.dumps({"member_id": bob.pk, "since_year": next_year}),
        content_type="application/json",
        headers={"Accept-Language": "zh-hans"},
    )
    assert response.status_code == 400
    assert response.json()["detail"] == f"相识年份必须在 1950 到 {next_year - 1} 之间。"


def test_declaring_towards_a_removed_member_is_refused(
    origin: Membership, alice: Membership, bob: Membership
) -> None:
    membership_remove(membership=bob, actor=origin, reason="退圈")
    before = tie_snapshot()
    response = _post(_client(alice), BASE, {"member_id": bob.pk})
    assert response.status_code == 400
    assert response.json()["code"] == "member_removed"
    assert tie_snapshot() == before


def test_outsiders_get_404_and_anonymous_401(
    origin: Membership,
    alice: Membership,
    bob: Membership,
    outsider: Membership,
    make_user: Callable[..., User],
) -> None:
    tie = tie_declare(declarer=alice, other=bob, kind="friend")
    removed = bob
    membership_remove(membership=removed, actor=origin, reason="退圈")
    before = tie_snapshot()
    for who in (outsider, make_user("nobody"), removed):
        client = _client(who)
        assert client.get(BASE).status_code == 404
        assert client.get(f"{BASE}/suggestions").status_code == 404
        assert _post(client, BASE, {"member_id": alice.pk}).status_code == 404
        assert _post(client, f"{BASE}/{tie.pk}/confirm").status_code == 404
        assert _post(client, f"{BASE}/{tie.pk}/ignore").status_code == 404
    anonymous = _client(None)
    assert anonymous.get(BASE).status_code == 401
    assert _post(anonymous, BASE, {"member_id": alice.pk}).status_code == 401
    assert tie_snapshot() == before


def test_ignored_then_confirmed_through_the_api(alice: Membership, bob: Membership) -> None:
    tie = tie_ignore(tie=tie_declare(declarer=alice, other=bob, kind="friend"), member=bob)
    response = _post(_client(bob), f"{BASE}/{tie.pk}/confirm")
    assert (response.status_code, response.json()["status"]) == (200, "confirmed")
    again = _post(_client(bob), f"{BASE}/{tie.pk}/confirm")
    assert (again.status_code, again.json()["code"]) == (409, "already_tied")
