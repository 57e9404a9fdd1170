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
        assert all(s.sender_name for s in listing.items)
    with django_assert_num_queries(2):  # the account with the pending withdrawals, the entries
        page = wallet_page(user=viewer.user)
        assert page.entries and all(e.description for e in page.entries)
    c = _client(viewer.user)
    # user (the session from the cache), membership, rules, the list, the viewer's greeting
    with django_assert_num_queries(5):
        assert c.get("/c/xinwenyu/envelopes/").status_code == 200


def test_the_envelope_list_never_shows_a_stale_card(
    crowd: Callable[[int], list[Membership]], send: Callable[..., Envelope]
) -> None:
    """The cards of the list are cached per what they show: a grab (someone else's, then the viewer's), a
    renamed sender, an expiry and a new envelope show at the next load."""
    from datetime import timedelta

    from kindred.circles.services import card_update
    from kindred.wallet.services import envelope_expire

    sender, other, viewer = crowd(3)
    env = send(sender, 300, 3, greeting="第一个")
    c = _client(viewer.user)

    def page() -> str:
        return c.get("/c/xinwenyu/envelopes/").content.decode()

    assert "0/3" in page() and "拆红包" in page()  # the second load comes from the cache
    envelope_grab(envelope=env, member=other)
    assert "1/3" in page() and "0/3" not in page()
    share = envelope_grab(envelope=Envelope.objects.get(pk=env.pk), member=viewer)
    assert "2/3" in page() and f"¥{share.amount_fen / 100:.2f}" in page()
    card_update(membership=sender, fields={"display_name": "改名的发送者"})
    assert "改名的发送者" in page()
    second = send(sender, 200, 2, greeting="第二个")
    assert "第二个" in page()
    envelope_expire(envelope=Envelope.objects.get(pk=second.pk), at=second.expires_at + timedelta(seconds=1))
    assert "已过期" in page()


def test_the_wallet_page_never_shows_a_stale_row(
    make_user: Callable[..., User], crowd: Callable[[int], list[Membership]], send: Callable[..., Envelope]
) -> None:
    """Rows of the wallet are cached per what they show: a top-up, a grab, a renamed circle and a settled
    withdrawal show at the next load."""
    from kindred.circles.services import circle_update
    from kindred.wallet.models import Payment
    from kindred.wallet.services import topup_create, withdrawal_settle

    sender, member = crowd(2)
    c = _client(member.user)
    c.get("/wallet/")
    topup_create(user=member.user, amount_fen=5_000, reference="stale-1")
    page = c.get("/wallet/").content.decode()
    assert "+50.00" in page and "¥50.00" in page
    env = send(sender, 300, 1)
    envelope_grab(envelope=env, member=member)
    assert "+3.00" in c.get("/wallet/").content.decode()
    circle_update(circle=member.circle, actor=member.circle.created_by, name="改了名的圈子")
    assert "改了名的圈子" in c.get("/wallet/").content.decode()
    assert c.post("/wallet/withdraw/", {"amount": "1.00", "idempotency_key": "w1"}).status_code == 302
    payment = Payment.objects.get(direction="out")
    # Pending: its settlement runs on commit, and a test's transaction never commits.
    assert payment.status == Payment.Status.PENDING
    assert "等待支付渠道确认" in c.get("/wallet/").content.decode()
    withdrawal_settle(payment_id=payment.pk)
    page = c.get("/wallet/").content.decode()
    assert "等待支付渠道确认" not in page and "-1.00" in page
