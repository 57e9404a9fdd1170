"""The wallet API: statuses, the Idempotency-Key, 404 for outsiders, bad input refused with nothing changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from kindred.circles.models import Membership
from kindred.wallet.models import Envelope, LedgerTransaction
from kindred.wallet.verify import ledger_verify

pytestmark = pytest.mark.django_db
API = "/api/v1"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client: Client, path: str, body: Any, **headers: str) -> Any:
    return client.post(
        f"{API}{path}", data=json.dumps(body), content_type="application/json", headers=headers
    )


def _state() -> tuple[int, int]:
    return LedgerTransaction.objects.count(), Envelope.objects.count()


def test_topup_wallet_and_entries(make_user: Callable[..., User]) -> None:
    c = _client(make_user())
    first = _post(c, "/wallet/topups", {"amount_fen": 1234, "reference": "sim-1"})
    again = _post(c, "/wallet/topups", {"amount_fen": 1234, "reference": "sim-1"})
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["simulated"] is True and again.json()["id"] == first.json()["id"]
    assert _post(c, "/wallet/topups", {"amount_fen": 999, "reference": "sim-1"}).status_code == 409
    assert _post(c, "/wallet/withdrawals", {"amount_fen": 34}).status_code == 202
    wallet = c.get(f"{API}/wallet").json()
    assert wallet["balance_fen"] == 1200 and [e["amount_fen"] for e in wallet["entries"]] == [-34, 1234]


@pytest.mark.parametrize(
    "body",
    [
        {"amount_fen": 0},
        {"amount_fen": -1},
        {"amount_fen": "12.5"},
        {"amount_fen": 10**13},
        {"amount_fen": 100, "reference": "bad ref!"},
        {},
    ],
)
def test_bad_topups_are_422_and_change_nothing(make_user: Callable[..., User], body: dict[str, Any]) -> None:
    before = _state()
    assert _post(_client(make_user()), "/wallet/topups", body).status_code == 422
    assert _state() == before


def test_send_get_grab_and_refusals(
    crowd: Callable[[int], list[Membership]], fund: Callable[..., None], make_user: Callable[..., User]
) -> None:
    sender, grabber, other = crowd(3)
    fund(sender.user, 1000)
    s = _client(sender.user)
    before = _state()
    for bad in (
        {"total_fen": 2000, "shares": 2, "mode": "lucky"},  # more than the balance: 400
        {"total_fen": 100, "shares": 0, "mode": "lucky"},  # 422
        {"total_fen": 100, "shares": 2, "mode": "random"},  # 422
        {"total_fen": 1.5, "shares": 2, "mode": "equal"},  # 422
    ):
        assert _post(s, "/circles/xinwenyu/envelopes", bad).status_code in (400, 422)
    assert _state() == before
    body = {"total_fen": 600, "shares": 3, "mode": "equal", "greeting": "新人报到"}
    sent = _post(s, "/circles/xinwenyu/envelopes", body, **{"Idempotency-Key": "k1"})
    assert sent.status_code == 201
    env = sent.json()
    assert env["is_greeting"] and env["total_fen"] == 600 and env["can_grab"] is False
    replay = _post(s, "/circles/xinwenyu/envelopes", body, **{"Idempotency-Key": "k1"})
    assert replay.status_code == 201 and replay.json()["id"] == env["id"]
    mismatch = _post(
        s, "/circles/xinwenyu/envelopes", {**body, "total_fen": 700}, **{"Idempotency-Key": "k1"}
    )
    assert mismatch.status_code == 422 and mismatch.json()["detail"][0]["loc"] == [
        "header",
        "Idempotency-Key",
    ]
    assert Envelope.objects.count() == 1

    g = _client(grabber.user)
    grab = _post(g, f"/envelopes/{env['id']}/grab", {})
    assert grab.status_code == 200 and grab.json()["amount_fen"] == 200
    assert [x["member"]["member_id"] for x in grab.json()["envelope"]["grabs"]] == [grabber.pk]
    assert _post(g, f"/envelopes/{env['id']}/grab", {}).status_code == 409
    assert _post(s, f"/envelopes/{env['id']}/grab", {}).status_code == 403
    outsider = _client(make_user())
    assert outsider.get(f"{API}/envelopes/{env['id']}").status_code == 404
    assert _post(outsider, f"/envelopes/{env['id']}/grab", {}).status_code == 404
    assert _post(outsider, "/circles/xinwenyu/envelopes", body).status_code == 404
    assert g.get(f"{API}/envelopes/99999").status_code == 404
    assert g.get(f"{API}/envelopes/0").status_code == 422
    listing = _client(other.user).get(f"{API}/circles/xinwenyu/envelopes").json()
    assert [e["id"] for e in listing["envelopes"]] == [env["id"]] and listing["envelopes"][0]["is_greeting"]
    assert ledger_verify() == []


def test_an_expired_envelope_is_refunded_when_read(
    crowd: Callable[[int], list[Membership]], send: Callable[..., Envelope]
) -> None:
    sender, member = crowd(2)
    env = send(sender, 500, 2, mode="equal")
    Envelope.objects.filter(pk=env.pk).update(
        created_at=env.created_at.replace(year=2020), expires_at=env.expires_at.replace(year=2020)
    )
    got = _client(member.user).get(f"{API}/envelopes/{env.pk}").json()
    assert got["status"] == "expired" and got["refunded_fen"] == 500
    assert _post(_client(member.user), f"/envelopes/{env.pk}/grab", {}).status_code == 410
    assert ledger_verify() == []


def test_rules_are_the_organizers(crowd: Callable[[int], list[Membership]], origin: Membership) -> None:
    (member,) = crowd(1)
    rules = {
        "sender_may_grab": True,
        "greeting_rule": "required",
        "greeting_min_total_fen": 600,
        "greeting_min_shares": 3,
    }
    path = f"{API}/circles/xinwenyu/envelope-settings"
    m = _client(member.user)
    assert m.put(path, data=json.dumps(rules), content_type="application/json").status_code == 403
    o = _client(origin.user)
    assert (
        o.put(
            path, data=json.dumps({**rules, "greeting_min_shares": 0}), content_type="application/json"
        ).status_code
        == 422
    )
    done = o.put(path, data=json.dumps(rules), content_type="application/json")
    assert done.status_code == 200 and done.json()["required_since"] is not None
    assert m.get(path).json()["greeting_rule"] == "required"
    assert _post(m, f"/circles/xinwenyu/greetings/{member.pk}/waive", {}).status_code == 403
    assert _post(o, f"/circles/xinwenyu/greetings/{member.pk}/waive", {}).status_code == 200
