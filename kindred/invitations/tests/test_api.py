"""The invitations API: status codes, bodies, and that refused input changes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from kindred.accounts.services import token_create
from kindred.circles.models import Membership
from kindred.conftest import PASSWORD
from kindred.invitations.models import Invitation, Nomination
from kindred.invitations.services import nomination_approve

pytestmark = pytest.mark.django_db
Nominate = Callable[..., Nomination]
MakeMember = Callable[..., Membership]
BASE = "/api/v1"

NOMINATION = {
    "name": "林晓",
    "email": "linxiao@example.com",
    "relationship": "colleague",
    "years_known": 6,
    "closeness": 4,
    "reason": "做短视频发行十年",
    "draft_card": {"company": "晓光传媒", "city": "上海"},
}


def call(method: str, path: str, user: User | None = None, body: Any = None) -> tuple[int, Any]:
    headers = {}
    if user is not None:
        _, raw = token_create(user=user, name="test")
        headers["Authorization"] = f"Bearer {raw}"
    client = Client()
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    response = getattr(client, method)(BASE + path, **kwargs)
    return response.status_code, response.json()


def test_member_nominates_and_sees_own(make_member: MakeMember) -> None:
    alice = make_member("alice")
    status, body = call("post", "/circles/xinwenyu/nominations", alice.user, NOMINATION)
    assert status == 201, body
    assert body["status"] == "pending" and body["draft_card"] == {"company": "晓光传媒", "city": "上海"}
    status, body = call("get", "/circles/xinwenyu/nominations", alice.user)
    assert status == 200 and [n["name"] for n in body] == ["林晓"]
    assert body[0]["track_record"] is None


def test_non_members_get_404(make_user, make_member: MakeMember, nominate: Nominate) -> None:
    n = nominate(make_member("alice"))
    stranger = make_user("stranger")
    for method, path, body in [
        ("post", "/circles/xinwenyu/nominations", NOMINATION),
        ("get", "/circles/xinwenyu/nominations", None),
        ("post", f"/circles/xinwenyu/nominations/{n.pk}/approve", None),
        ("post", f"/circles/xinwenyu/nominations/{n.pk}/reject", {"reason": "x"}),
        ("post", "/circles/xinwenyu/invitations", {"name": "x", "phone": "1"}),
        ("get", "/circles/xinwenyu/tree", None),
    ]:
        status, payload = call(method, path, stranger, body)
        assert status == 404, (path, payload)
        assert "detail" in payload
    status, _ = call("get", "/circles/xinwenyu/tree")
    assert status == 401
    assert Nomination.objects.get().status == Nomination.Status.PENDING


def test_members_get_403_on_review(make_member: MakeMember, nominate: Nominate) -> None:
    alice, bob = make_member("alice"), make_member("bob")
    n = nominate(alice)
    for method, path, body in [
        ("post", f"/circles/xinwenyu/nominations/{n.pk}/approve", None),
        ("post", f"/circles/xinwenyu/nominations/{n.pk}/reject", {"reason": "x"}),
        ("post", "/circles/xinwenyu/invitations", {"name": "x", "phone": "1"}),
    ]:
        status, payload = call(method, path, bob.user, body)
        assert status == 403, (path, payload)
    assert Nomination.objects.get().status == Nomination.Status.PENDING
    assert Invitation.objects.count() == 0


def test_review_queue_approve_and_accept_anonymously(
    origin: Membership, make_member: MakeMember, nominate: Nominate
) -> None:
    alice = make_member("alice")
    n = nominate(alice)
    status, body = call("get", "/circles/xinwenyu/nominations", origin.user)
    assert status == 200 and body[0]["track_record"]["pending"] == 1
    status, issued = call("post", f"/circles/xinwenyu/nominations/{n.pk}/approve", origin.user)
    assert status == 200, issued
    assert set(issued) == {"invitation_id", "code", "url", "expires_at"}
    assert issued["url"].endswith(f"/invite/{issued['code']}/")
    status, _ = call("post", f"/circles/xinwenyu/nominations/{n.pk}/approve", origin.user)
    assert status == 409
    status, accepted = call(
        "post", f"/invitations/{issued['code']}/accept", None, {"username": "linxiao", "password": PASSWORD}
    )
    assert status == 201, accepted
    assert accepted["sponsor_id"] == alice.pk and accepted["display_name"] == "林晓"
    # The new token works.
    me = Client().get(
        f"{BASE}/circles/xinwenyu/tree", headers={"Authorization": f"Bearer {accepted['token']}"}
    )
    assert me.status_code == 200
    status, _ = call(
        "post", f"/invitations/{issued['code']}/accept", None, {"username": "x2", "password": PASSWORD}
    )
    assert status == 409
    assert not User.objects.filter(username="x2").exists()


def test_accept_with_own_account(
    origin: Membership, make_user, make_member: MakeMember, nominate: Nominate
) -> None:
    existing = make_user("linxiao")
    _, code = nomination_approve(nomination=nominate(make_member("alice")), reviewer=origin)
    status, body = call("post", f"/invitations/{code}/accept", existing, {})
    assert status == 201, body
    assert body["username"] == "linxiao" and body["token"] is None
    assert Membership.objects.filter(user=existing).count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"username": "", "password": PASSWORD},
        {"username": "ok", "password": "123"},
        {"username": "bad name!", "password": PASSWORD},
        {"username": "ok", "password": PASSWORD, "email": "nope"},
        {"username": "ok" * 100, "password": PASSWORD},
        {"username": 5, "password": []},
    ],
)
def test_accept_bad_input_is_4xx_and_changes_nothing(
    origin: Membership, make_member: MakeMember, nominate: Nominate, body: dict
) -> None:
    _, code = nomination_approve(nomination=nominate(make_member("alice")), reviewer=origin)
    users = User.objects.count()
    status, payload = call("post", f"/invitations/{code}/accept", None, body)
    assert 400 <= status < 500 and "detail" in payload
    assert User.objects.count() == users
    assert Invitation.objects.get().accepted_at is None


def test_accept_unknown_and_revoked_codes(
    origin: Membership, make_member: MakeMember, nominate: Nominate
) -> None:
    status, _ = call("post", "/invitations/nonsense/accept", None, {"username": "a", "password": PASSWORD})
    assert status == 404
    invitation, code = nomination_approve(nomination=nominate(make_member("alice")), reviewer=origin)
    status, body = call("post", f"/circles/xinwenyu/invitations/{invitation.pk}/revoke", origin.user)
    assert status == 200 and body["state"] == "revoked"
    status, _ = call("post", f"/invitations/{code}/accept", None, {"username": "a1", "password": PASSWORD})
    assert status == 410


@pytest.mark.parametrize(
    "override",
    [
        {"closeness": 0},
        {"closeness": 6},
        {"years_known": -1},
        {"relationship": "enemy"},
        {"email": "", "phone": ""},
        {"email": "not-an-email"},
        {"reason": ""},
        {"name": "x" * 65},
        {"draft_card": {"city": "x" * 65}},
        {"years_known": "many"},
    ],
)
def test_nomination_bad_input(make_member: MakeMember, override: dict) -> None:
    alice = make_member("alice")
    status, body = call("post", "/circles/xinwenyu/nominations", alice.user, {**NOMINATION, **override})
    assert 400 <= status < 500 and "detail" in body
    assert Nomination.objects.count() == 0


def test_reject_needs_reason(origin: Membership, make_member: MakeMember, nominate: Nominate) -> None:
    n = nominate(make_member("alice"))
    status, _ = call("post", f"/circles/xinwenyu/nominations/{n.pk}/reject", origin.user, {"reason": ""})
    assert status == 422
    status, _ = call("post", f"/circles/xinwenyu/nominations/{n.pk}/reject", origin.user, {"reason": "   "})
    assert status == 400
    assert Nomination.objects.get().status == Nomination.Status.PENDING
    status, body = call(
        "post", f"/circles/xinwenyu/nominations/{n.pk}/reject", origin.user, {"reason": "不合适"}
    )
    assert status == 200 and body["status"] == "rejected" and body["reject_reason"] == "不合适"


def test_unknown_and_huge_ids_are_404(origin: Membership) -> None:
    for nid in (999, 2**70):
        status, _ = call("post", f"/circles/xinwenyu/nominations/{nid}/approve", origin.user)
        assert status == 404


def test_direct_invitation(origin: Membership) -> None:
    status, body = call(
        "post", "/circles/xinwenyu/invitations", origin.user, {"name": "王总", "phone": "139"}
    )
    assert status == 201 and body["code"]
    nomination = Nomination.objects.get()
    assert nomination.direct and nomination.status == Nomination.Status.APPROVED


def test_tree_api(origin: Membership, make_member: MakeMember) -> None:
    alice = make_member("alice")
    make_member("bob", sponsor=alice)
    status, body = call("get", "/circles/xinwenyu/tree", alice.user)
    assert status == 200
    assert (body["size"], body["active"], body["removed"]) == (3, 3, 0)
    root = body["root"]
    assert root["member_id"] == origin.pk and root["subtree_size"] == 3
    assert [c["member_id"] for c in root["children"]] == [alice.pk]
    assert root["children"][0]["children"][0]["subtree_size"] == 1
