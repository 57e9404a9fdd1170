"""The shared text rule on the wallet's inputs: control characters get a 4xx in the user's language and
change nothing; the greeting's placeholder and default wish are in the reader's language; one money
formatter."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from kindred.circles.models import Membership
from kindred.core.models import AuditEvent
from kindred.core.money import fen_to_yuan, to_fen, yuan_decimal
from kindred.core.services import ServiceError
from kindred.core.templatetags.money import yuan
from kindred.wallet.models import Envelope, LedgerTransaction, Payment
from kindred.wallet.services import envelope_send, withdrawal_create

pytestmark = pytest.mark.django_db
CONTROL = ["a\x00b", "\x07bell", "x\x1by", "\x7f", "next\x85line"]


def _client(user: User, language: str = "zh-hans") -> Client:
    client = Client(headers={"Accept-Language": language})
    client.force_login(user)
    return client


def _state() -> tuple[int, int, int, int]:
    return (
        LedgerTransaction.objects.count(),
        Envelope.objects.count(),
        Payment.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize("text", CONTROL)
def test_control_characters_in_a_greeting_are_refused_everywhere(
    text: str, crowd: Callable[[int], list[Membership]], fund: Callable[..., None]
) -> None:
    sender, _other = crowd(2)
    fund(sender.user, 1_000)
    before = _state()
    api = _client(sender.user).post(
        "/api/v1/circles/xinwenyu/envelopes",
        data=json.dumps({"total_fen": 200, "shares": 2, "mode": "equal", "greeting": text}),
        content_type="application/json",
    )
    assert api.status_code == 422 and api.json()["detail"][0]["loc"][-1] == "greeting"
    form = _client(sender.user).post(
        "/c/xinwenyu/envelopes/send/",
        {"mode": "equal", "total": "2", "shares": "2", "greeting": text, "idempotency_key": "t1"},
    )
    assert form.status_code == 400 and "控制字符" in form.content.decode()
    with pytest.raises(ServiceError) as caught:
        envelope_send(sender=sender, total_fen=200, shares=2, mode="equal", greeting=text)
    assert caught.value.status_code == 400 and caught.value.code == "control_character"
    assert _state() == before


def test_control_characters_in_keys_and_references_are_refused(
    make_user: Callable[..., User], fund: Callable[..., None]
) -> None:
    user = make_user()
    fund(user, 1_000)
    c = _client(user)
    before = _state()
    topup = c.post(
        "/api/v1/wallet/topups",
        data=json.dumps({"amount_fen": 100, "reference": "ref\x00"}),
        content_type="application/json",
    )
    withdrawal = c.post(
        "/api/v1/wallet/withdrawals",
        data=json.dumps({"amount_fen": 100}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="key\x00",
    )
    assert (topup.status_code, withdrawal.status_code) == (422, 422)
    assert c.post("/wallet/withdraw/", {"amount": "1", "idempotency_key": "k\x00"}).status_code == 302
    with pytest.raises(ServiceError):
        withdrawal_create(user=user, amount_fen=100, idempotency_key="k\x00")
    assert _state() == before


def test_the_greeting_placeholder_and_default_wish_are_in_the_readers_language(
    crowd: Callable[[int], list[Membership]], fund: Callable[..., None]
) -> None:
    sender, _other = crowd(2)
    english = _client(sender.user, "en").get("/c/xinwenyu/envelopes/send/").content.decode()
    assert 'placeholder="Wishing you prosperity and good luck"' in english and "恭喜发财" not in english
    assert "Lucky" in english and "拼手气" not in english
    chinese = _client(sender.user).get("/c/xinwenyu/envelopes/send/").content.decode()
    assert 'placeholder="恭喜发财，大吉大利"' in chinese
    fund(sender.user, 400)
    with translation.override("en"):
        assert envelope_send(sender=sender, total_fen=200, shares=2, mode="equal").greeting == (
            "Wishing you prosperity and good luck"
        )
    with translation.override("zh-hans"):
        assert (
            envelope_send(sender=sender, total_fen=200, shares=2, mode="equal").greeting
            == "恭喜发财，大吉大利"
        )


def test_one_money_formatter() -> None:
    assert [fen_to_yuan(f) for f in (0, 5, 250, -250, 123_456_789)] == [
        "0.00",
        "0.05",
        "2.50",
        "-2.50",
        "1,234,567.89",
    ]
    assert yuan(250) == "2.50" and yuan(None) == "0.00"
    assert to_fen(yuan_decimal(12_345)) == 12_345
