"""The wallet pages' hand-written reads answer as the ORM does (on SQLite and PostgreSQL), and the pages kept
whole show every change at once: a grab, a new envelope, the circle's rules, the language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db.models import BigIntegerField, IntegerField
from django.db.models.expressions import RawSQL
from django.test import Client, override_settings
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from kindred.circles.models import Membership
from kindred.wallet.models import Account, CircleWalletSettings, Entry, Envelope, GreetingRule, Payment
from kindred.wallet.selectors import (
    _CLAIMED_COUNT_SQL,
    _MY_AMOUNT_SQL,
    circle_envelopes,
    rules_for,
    wallet_page,
)
from kindred.wallet.services import (
    circle_settings_update,
    envelope_expire,
    envelope_grab,
    topup_create,
    withdrawal_create,
    withdrawal_settle,
)

pytestmark = pytest.mark.django_db


def _orm_envelopes(viewer: Membership, page: int, size: int) -> list[tuple[object, ...]]:
    """What circle_envelopes read through the ORM before it was one hand-written statement."""
    start = (page - 1) * size
    return list(
        Envelope.objects.filter(circle_id=viewer.circle_id)
        .annotate(
            claimed_count=RawSQL(_CLAIMED_COUNT_SQL, [], output_field=IntegerField()),  # noqa: S611
            my_amount=RawSQL(_MY_AMOUNT_SQL, [viewer.pk], output_field=BigIntegerField()),  # noqa: S611
        )
        .order_by("-created_at", "-id")
        .values_list(
            "id",
            "sender_id",
            "sender__card__display_name",
            "sender__joined_at",
            "mode",
            "total_fen",
            "share_count",
            "greeting",
            "is_greeting",
            "status",
            "created_at",
            "expires_at",
            "claimed_count",
            "my_amount",
        )[start : start + size]
    )


def test_the_envelope_list_reads_as_the_orm_does(
    crowd: Callable[[int], list[Membership]],
    send: Callable[..., Envelope],
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    a, b, c = crowd(3)
    now = timezone.now()
    for i in range(7):
        env = send((a, b, c)[i % 3], 300 + i, 3, mode="lucky" if i % 2 else "equal", greeting=f"第{i}个")
        if i % 2:
            envelope_grab(envelope=env, member=(a, b, c)[(i + 1) % 3], at=now)
    old = send(c, 200, 2, at=now - timedelta(days=3))
    envelope_expire(envelope=Envelope.objects.get(pk=old.pk))
    for viewer in (a, b, c):
        for page, size in ((1, 3), (2, 3), (3, 3), (4, 3), (1, 20)):
            with django_assert_num_queries(1):
                listing = circle_envelopes(circle=viewer.circle, viewer=viewer, page=page, size=size)
            got = [tuple(vars(s).values()) for s in listing.items]
            assert got == _orm_envelopes(viewer, page, size), (viewer, page)
            assert listing.has_next == (len(_orm_envelopes(viewer, page + 1, size)) > 0)
    assert any(s.my_amount_fen for s in circle_envelopes(circle=b.circle, viewer=b).items)
    assert all(isinstance(s.is_greeting, bool) for s in listing.items)


def test_the_rules_read_as_the_orm_does(
    origin: Membership, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    a = origin
    CircleWalletSettings.objects.filter(circle_id=a.circle_id).delete()
    with django_assert_num_queries(1):
        default = rules_for(circle=a.circle_id)
    assert default.pk == a.circle_id and default._state.adding
    circle_settings_update(
        circle=a.circle,
        actor=a,
        sender_may_grab=True,
        greeting_rule=GreetingRule.REQUIRED,
        greeting_min_total_fen=888,
        greeting_min_shares=4,
    )
    orm = CircleWalletSettings.objects.get(circle_id=a.circle_id)
    with django_assert_num_queries(1):
        rules = rules_for(circle=a.circle_id)
    fields = [f.attname for f in CircleWalletSettings._meta.concrete_fields]
    assert [getattr(rules, f) for f in fields] == [getattr(orm, f) for f in fields]
    assert rules.required_since is not None and rules.required_since.tzinfo is not None
    assert not rules._state.adding


def test_the_envelope_page_shows_every_change_at_once(
    crowd: Callable[[int], list[Membership]],
    send: Callable[..., Envelope],
    make_member: Callable[..., Membership],
    origin: Membership,
) -> None:
    """The page's body is kept whole: a grab, a new envelope, the rules' banner, the organizer's link and
    the language each show at the next load."""
    sender, viewer = crowd(2)
    organizer = origin
    send(sender, 300, 3, greeting="恭喜发财")
    c = Client()
    c.force_login(viewer.user)

    def page(client: Client = c) -> str:
        return client.get("/c/xinwenyu/envelopes/").content.decode()

    assert "恭喜发财" in page() and "0/3" in page()
    envelope_grab(envelope=Envelope.objects.get(), member=viewer)
    assert "1/3" in page() and "您抢到" in page()
    send(sender, 500, 2, greeting="新的一个")
    assert "新的一个" in page() and "0/2" in page()

    def rules(total_fen: int) -> None:
        circle_settings_update(
            circle=viewer.circle,
            actor=organizer,
            sender_may_grab=False,
            greeting_rule=GreetingRule.REQUIRED,
            greeting_min_total_fen=total_fen,
            greeting_min_shares=4,
        )

    rules(888)
    newcomer = Client()
    newcomer.force_login(make_member("pages_newcomer", sponsor=viewer).user)
    assert "8.88" in page(newcomer) and "9.99" not in page(newcomer)  # owed: the banner names the minimum
    rules(999)
    assert "9.99" in page(newcomer) and "8.88" not in page(newcomer)
    o = Client()
    o.force_login(organizer.user)
    assert "/envelopes/settings/" in page(o) and "/envelopes/settings/" not in page()
    c.post("/i18n/setlang/", {"language": "en", "next": "/c/xinwenyu/envelopes/"})
    english = page().split("<main>")[1]
    assert "Send a red envelope" in english and "发红包" not in english


def _orm_entries(user: User, page: int, size: int) -> list[tuple[object, ...]]:
    """What wallet_page read through the ORM before it was hand-written."""
    account = Account.objects.get(kind=Account.Kind.USER, user=user)
    start = (page - 1) * size
    return list(
        Entry.objects.filter(account=account)
        .order_by("-id")
        .values_list(
            "id",
            "amount",
            "transaction__kind",
            "transaction__created_at",
            "transaction__envelope_id",
            "transaction__envelope__circle__slug",
            "transaction__envelope__circle__name",
            "transaction__envelope__sender__card__display_name",
            "transaction__payment__direction",
            "transaction__payment__status",
        )[start : start + size]
    )


def test_the_wallet_page_reads_as_the_orm_does(
    crowd: Callable[[int], list[Membership]],
    send: Callable[..., Envelope],
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    sender, member = crowd(2)
    user = member.user
    with django_assert_num_queries(1):  # no wallet yet
        empty = wallet_page(user=user)
    assert (empty.balance_fen, empty.entries, empty.has_next) == (0, [], False)
    topup_create(user=user, amount_fen=10_000, reference="reads-1")
    envelope_grab(envelope=send(sender, 300, 1), member=member)
    done = withdrawal_create(user=user, amount_fen=100).payment
    withdrawal_settle(payment_id=done.pk)
    with override_settings(WALLET_PAYMENT_PROVIDER="simulated-declining"):
        refused = withdrawal_create(user=user, amount_fen=200).payment
        withdrawal_settle(payment_id=refused.pk)
    first = withdrawal_create(user=user, amount_fen=300).payment  # these two stay pending
    second = withdrawal_create(user=user, amount_fen=400).payment
    for page, size in ((1, 2), (2, 2), (3, 2), (4, 2), (9, 2), (1, 50)):
        with django_assert_num_queries(2):
            got = wallet_page(user=user, page=page, size=size)
        assert [tuple(vars(e).values()) for e in got.entries] == _orm_entries(user, page, size)
        assert got.has_next == bool(_orm_entries(user, page + 1, size))
        assert got.balance_fen == Account.objects.get(kind="user", user=user).balance
        assert [p.pk for p in got.pending_withdrawals] == [first.pk, second.pk]
        assert got.pending_withdrawals[0] == Payment.objects.get(pk=first.pk)
        fields = [f.attname for f in Payment._meta.concrete_fields]
        orm = Payment.objects.get(pk=second.pk)
        assert [getattr(got.pending_withdrawals[1], f) for f in fields] == [getattr(orm, f) for f in fields]
    statuses = {e.payment_status for e in wallet_page(user=user, size=50).entries}
    assert statuses == {None, "pending", "completed", "refused"}


def _field(page: str, name: str) -> str:
    return page.split(f'name="{name}" value="')[1].split('"')[0]


def test_the_kept_wallet_body_has_each_loads_own_fields(
    make_user: Callable[..., User], django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    """The wallet's body is kept whole under what it shows; each load still gets its own top-up reference
    and cash-out key, and its session's CSRF token, and a balance change or a language switch shows at
    once."""
    user = make_user()
    topup_create(user=user, amount_fen=1_000, reference="kept-1")
    other = Client()
    other.force_login(user)
    other.get("/wallet/")  # kept by another session
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    first, second = (client.get("/wallet/").content.decode() for _ in range(2))
    assert "__kindred" not in first and "¥10.00" in first
    assert _field(first, "reference") != _field(second, "reference")
    assert _field(first, "idempotency_key") != _field(second, "idempotency_key")
    token = _field(first.split('action="/wallet/topup/"')[1], "csrfmiddlewaretoken")
    posted = client.post(
        "/wallet/topup/",
        {"csrfmiddlewaretoken": token, "amount": "5.00", "reference": _field(first, "reference")},
    )
    assert posted.status_code == 302
    page = client.get("/wallet/").content.decode()
    assert "¥15.00" in page and "+5.00" in page
    client.post("/i18n/setlang/", {"csrfmiddlewaretoken": token, "language": "en", "next": "/wallet/"})
    english = client.get("/wallet/").content.decode().split("<main>")[1]
    assert "Balance" in english and "余额" not in english
