"""Wallet pages: Chinese by default, the reveal over HTMX, forms that refuse bad input with nothing changed,
and list pages with a constant number of queries."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from kindred.circles.models import Membership
from kindred.wallet.models import Envelope
from kindred.wallet.selectors import circle_envelopes, wallet_balance, wallet_page
from kindred.wallet.services import envelope_grab

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_wallet_page_topup_and_cash_out(make_user: Callable[..., User]) -> None:
    user = make_user()
    c = _client(user)
    page = c.get("/wallet/").content.decode()
    assert "模拟支付" in page and "余额" in page
    assert c.post("/wallet/topup/", {"amount": "12.34", "reference": "sim-page-1"}).status_code == 302
    assert c.post("/wallet/topup/", {"amount": "12.34", "reference": "sim-page-1"}).status_code == 302
    assert wallet_balance(user=user) == 1234
    for bad in ("0", "-1", "abc", "1.234", ""):
        c.post("/wallet/topup/", {"amount": bad})
        c.post("/wallet/withdraw/", {"amount": bad})
    c.post("/wallet/withdraw/", {"amount": "100"})  # more than the balance
    assert wallet_balance(user=user) == 1234
    assert c.post("/wallet/withdraw/", {"amount": "2.34"}).status_code == 302
    assert wallet_balance(user=user) == 1000


def test_send_open_and_reveal(crowd: Callable[[int], list[Membership]], fund: Callable[..., None]) -> None:
    sender, member = crowd(2)
    fund(sender.user, 1000)
    s = _client(sender.user)
    form = s.get("/c/xinwenyu/envelopes/send/")
    assert form.status_code == 200 and "发红包" in form.content.decode()
    bad = s.post(
        "/c/xinwenyu/envelopes/send/", {"mode": "lucky", "total": "50", "shares": "2", "idempotency_key": "a"}
    )
    assert bad.status_code == 400 and "余额不足" in bad.content.decode()
    data = {"mode": "lucky", "total": "8.88", "shares": "2", "greeting": "大家好", "idempotency_key": "form1"}
    sent = s.post("/c/xinwenyu/envelopes/send/", data)
    assert sent.status_code == 302 and s.post("/c/xinwenyu/envelopes/send/", data).status_code == 302
    env = Envelope.objects.get()  # the double submit sent it once
    m = _client(member.user)
    page = m.get(f"/c/xinwenyu/envelopes/{env.pk}/").content.decode()
    assert "大家好" in page and "拆红包" in page
    reveal = m.post(f"/c/xinwenyu/envelopes/{env.pk}/grab/", headers={"HX-Request": "true"})
    body = reveal.content.decode()
    assert reveal.status_code == 200 and 'id="envelope-box"' in body and "已存入钱包" in body
    again = m.post(f"/c/xinwenyu/envelopes/{env.pk}/grab/", headers={"HX-Request": "true"})
    assert "您抢到了这个红包" in again.content.decode()  # a second grab shows what you got, nothing more
    listing = m.get("/c/xinwenyu/envelopes/").content.decode()
    assert "入群，给大家发红包打招呼" in listing  # the newcomer's greeting opens their appearance


def test_an_envelope_of_another_circle_is_a_404(
    crowd: Callable[[int], list[Membership]], send: Callable[..., Envelope], make_user: Callable[..., User]
) -> None:
    from kindred.circles.services import circle_create

    sender, _m = crowd(2)
    env = send(sender, 100, 1)
    stranger = make_user()
    circle_create(creator=stranger, name="别处", slug="elsewhere", display_name="外人")
    c = _client(stranger)
    assert c.get(f"/c/elsewhere/envelopes/{env.pk}/").status_code == 404
    assert c.post(f"/c/elsewhere/envelopes/{env.pk}/grab/").status_code == 404


@pytest.mark.parametrize("count", [10, 60])
def test_list_pages_run_a_constant_number_of_queries(
    count: int,
    crowd: Callable[[int], list[Membership]],
    send: Callable[..., Envelope],
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    members = crowd(3)
    for i in range(count):
        env = send(members[i % 3], 300, 3)
        envelope_grab(envelope=env, member=members[(i + 1) % 3])
    viewer = members[0]
    with django_assert_num_queries(1):
        listing = circle_envelopes(circle=viewer.circle, viewer=viewer)
        assert len(listing.items) == min(count, 20)
        assert all(s.envelope.sender.card.display_name for s in listing.items)
    with django_assert_num_queries(3):  # the account, the entries, the pending withdrawals
        page = wallet_page(user=viewer.user)
        assert page.entries and all(e.description for e in page.entries)
    c = _client(viewer.user)
    # user (the session from the cache), membership, rules, the list, the viewer's greeting
    with django_assert_num_queries(5):
        assert c.get("/c/xinwenyu/envelopes/").status_code == 200
