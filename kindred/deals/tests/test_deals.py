"""Deal rules: who may be a party, confirmation by every member party before it counts, deal ties, stages,
private amounts that never reach non-parties (API and pages), the organizer's numbers."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from kindred.circles.models import Membership
from kindred.circles.services import card_update, circle_create, membership_remove
from kindred.core.fragments import CSRF_SLOT
from kindred.core.models import AuditEvent
from kindred.core.services import Conflict, NotFound, ServiceError
from kindred.deals import selectors, services
from kindred.deals.models import Deal, DealParty
from kindred.ties.models import Tie

pytestmark = pytest.mark.django_db
AMOUNT = 88_880_000  # fen: ¥888,800.00
AMOUNT_TEXT = "888,800.00"
Z = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def trio(make_member: Callable[..., Membership]) -> tuple[Membership, Membership, Membership]:
    return (
        make_member("alice", display_name="王爱丽"),
        make_member("bob", display_name="李博"),
        make_member("carol", display_name="陈可"),
    )


def _client(m: Membership) -> Client:
    c = Client()
    c.force_login(m.user)
    return c


def _post(c: Client, url: str, data: Any = None) -> Any:
    return c.post(url, data=json.dumps(data or {}), content_type="application/json")


def _deal(creator: Membership, others: list[Membership], **kw: Any) -> Deal:
    args: dict[str, Any] = {
        "circle": creator.circle,
        "creator": creator,
        "kind": Deal.Kind.JOINT_VENTURE,
        "title": "合资短剧公司",
        "party_ids": [m.pk for m in others],
        "origin": Deal.Origin.INTRODUCTION,
        "amount_fen": AMOUNT,
    }
    args.update(kw)
    return services.deal_create(**args)


def test_counts_only_when_every_member_party_confirmed_and_adds_deal_ties(
    trio: tuple[Membership, Membership, Membership],
) -> None:
    alice, bob, carol = trio
    deal = _deal(alice, [bob, carol], outside_party="某外部基金")
    assert deal.confirmed_at is None
    with pytest.raises(Conflict):
        services.deal_confirm(deal=deal, member=alice)  # the creator confirmed when recording
    at = datetime(2026, 10, 1, 12, tzinfo=Z)
    services.deal_confirm(deal=deal, member=bob, at=at)
    deal.refresh_from_db()
    assert deal.confirmed_at is None and not Tie.objects.filter(deal_at__isnull=False).exists()
    services.deal_confirm(deal=deal, member=carol, at=at + timedelta(days=1))
    deal.refresh_from_db()
    assert deal.confirmed_at == at + timedelta(days=1)
    pairs = set(Tie.objects.filter(deal_at__isnull=False).values_list("member_low_id", "member_high_id"))
    assert pairs == {tuple(sorted(p)) for p in ((alice.pk, bob.pk), (alice.pk, carol.pk), (bob.pk, carol.pk))}


def test_parties_must_be_active_members_of_the_circle(
    trio: tuple[Membership, Membership, Membership],
    origin: Membership,
    make_member: Callable[..., Membership],
) -> None:
    alice, bob, carol = trio
    other = circle_create(creator=make_member("o").user, name="别的", slug="other", display_name="外")
    outsider = Membership.objects.get(circle=other)
    membership_remove(membership=carol, actor=origin, reason="测试")
    before = (Deal.objects.count(), DealParty.objects.count(), AuditEvent.objects.count())
    for bad in ([outsider.pk], [carol.pk], [], [alice.pk]):
        with pytest.raises(ServiceError):
            _deal(alice, [Membership(pk=i) for i in bad])
    for kw in (
        {"amount_fen": -1},
        {"kind": "bribe"},
        {"origin": "nowhere"},
        {"title": " "},
        {"origin": "meetup"},
    ):
        with pytest.raises(ServiceError):
            _deal(alice, [bob], **kw)
    assert (Deal.objects.count(), DealParty.objects.count(), AuditEvent.objects.count()) == before


def test_stages_move_forward_with_dates(trio: tuple[Membership, Membership, Membership]) -> None:
    alice, bob, carol = trio
    deal = _deal(alice, [bob])
    with pytest.raises(NotFound):
        services.deal_stage_set(deal=deal, member=carol, stage="signed")
    services.deal_stage_set(deal=deal, member=bob, stage="signed")
    services.deal_stage_set(deal=deal, member=alice, stage="closed")
    deal.refresh_from_db()
    assert deal.signed_at and deal.closed_at and deal.stage == "closed"
    with pytest.raises(ServiceError):
        services.deal_stage_set(deal=deal, member=alice, stage="discussing")


def test_private_amount_never_reaches_non_parties(
    trio: tuple[Membership, Membership, Membership], origin: Membership
) -> None:
    alice, bob, carol = trio
    deal = _deal(alice, [bob])
    # Waiting: the deal itself is invisible to non-parties.
    assert _client(carol).get(f"/api/v1/deals/{deal.pk}").status_code == 404
    assert _client(carol).get(f"/c/xinwenyu/deals/{deal.pk}/").status_code == 404
    assert _post(_client(carol), f"/api/v1/deals/{deal.pk}/confirm").status_code == 404
    services.deal_confirm(deal=deal, member=bob)
    for who in (carol, origin):  # the organizer is not a party either
        body = _client(who).get(f"/api/v1/deals/{deal.pk}")
        assert body.status_code == 200 and body.json()["amount_fen"] is None
        for url in ("/api/v1/circles/xinwenyu/deals", f"/api/v1/deals/{deal.pk}"):
            assert str(AMOUNT) not in _client(who).get(url).content.decode()
        for url in ("/c/xinwenyu/deals/", f"/c/xinwenyu/deals/{deal.pk}/"):
            page = _client(who).get(url).content.decode()
            assert "合资短剧公司" in page and AMOUNT_TEXT not in page
    assert _client(bob).get(f"/api/v1/deals/{deal.pk}").json()["amount_fen"] == AMOUNT
    assert AMOUNT_TEXT in _client(bob).get(f"/c/xinwenyu/deals/{deal.pk}/").content.decode()
    public = _deal(alice, [bob], title="公开金额", amount_public=True)
    services.deal_confirm(deal=public, member=bob)
    assert _client(carol).get(f"/api/v1/deals/{public.pk}").json()["amount_fen"] == AMOUNT


def test_api_create_refuses_a_party_outside_the_circle(
    trio: tuple[Membership, Membership, Membership], make_member: Callable[..., Membership]
) -> None:
    alice, bob, _ = trio
    other = circle_create(creator=make_member("o").user, name="别的", slug="other", display_name="外")
    outsider = Membership.objects.get(circle=other)
    body = {"kind": "investment", "title": "天使轮", "party_ids": [outsider.pk], "origin": "ask"}
    before = (Deal.objects.count(), AuditEvent.objects.count())
    r = _post(_client(alice), "/api/v1/circles/xinwenyu/deals", body)
    assert r.status_code == 400 and r.json()["code"] == "party_outside"
    assert (
        _post(_client(alice), "/api/v1/circles/xinwenyu/deals", {**body, "amount_fen": -5}).status_code == 422
    )
    assert (Deal.objects.count(), AuditEvent.objects.count()) == before
    r = _post(
        _client(alice),
        "/api/v1/circles/xinwenyu/deals",
        {**body, "party_ids": [bob.pk], "amount_fen": 5_000_000_00},
    )
    assert r.status_code == 201 and r.json()["counts"] is False
    r = _post(_client(bob), f"/api/v1/deals/{r.json()['id']}/confirm")
    assert r.status_code == 200 and r.json()["counts"] is True


def test_organizer_stats_by_month_and_circle_share(
    trio: tuple[Membership, Membership, Membership], origin: Membership, django_assert_num_queries: Any
) -> None:
    alice, bob, carol = trio
    plans = [
        (Deal.Origin.INTRODUCTION, datetime(2026, 9, 3, tzinfo=Z)),
        (Deal.Origin.MEETUP, datetime(2026, 9, 20, tzinfo=Z)),
        (Deal.Origin.KNEW_BEFORE, datetime(2026, 10, 5, tzinfo=Z)),
        (Deal.Origin.ASK, datetime(2026, 10, 6, tzinfo=Z)),
    ]
    for origin_code, at in plans:
        d = _deal(
            alice, [bob], origin=origin_code, origin_note="饭局" if origin_code == "meetup" else "", at=at
        )
        services.deal_confirm(deal=d, member=bob, at=at)
    _deal(alice, [carol])  # not confirmed: does not count
    circle = origin.circle
    with django_assert_num_queries(1):
        stats = selectors.deal_stats(circle=circle)
    assert (stats.total, stats.from_circle, stats.by_month) == (4, 2, [("2026-09", 2), ("2026-10", 2)])
    assert stats.circle_share == 0.5
    r = _client(origin).get("/api/v1/circles/xinwenyu/deals/stats")
    assert r.status_code == 200 and r.json()["circle_share"] == 0.5
    assert _client(alice).get("/api/v1/circles/xinwenyu/deals/stats").status_code == 403
    page = _client(origin).get("/c/xinwenyu/deals/").content.decode()
    assert "2026-09" in page and 'id="stats"' in page
    assert 'id="stats"' not in _client(alice).get("/c/xinwenyu/deals/").content.decode()


def test_deal_pages_record_and_confirm(trio: tuple[Membership, Membership, Membership]) -> None:
    alice, bob, _ = trio
    c = _client(alice)
    assert c.get("/c/xinwenyu/deals/new/").status_code == 200
    r = c.post(
        "/c/xinwenyu/deals/new/",
        {
            "kind": "cooperation",
            "title": "联合出品",
            "parties": [bob.pk],
            "origin": "knew_before",
            "stage": "signed",
            "amount_yuan": "1200.50",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    deal = Deal.objects.get(title="联合出品")
    assert deal.amount_fen == 120050 and deal.signed_at is not None
    assert (
        c.post(
            "/c/xinwenyu/deals/new/",
            {"kind": "cooperation", "title": "x", "parties": [], "origin": "ask", "stage": "signed"},
        ).status_code
        == 400
    )
    r = _client(bob).post(f"/c/xinwenyu/deals/{deal.pk}/confirm/")
    assert r.status_code == 302
    deal.refresh_from_db()
    assert deal.counts
    again = _client(bob).post(f"/c/xinwenyu/deals/{deal.pk}/confirm/", follow=True)
    assert again.status_code == 200 and "你已经确认过这项合作" in again.content.decode()


@pytest.mark.parametrize("size", [5, 40])
def test_feed_page_constant_queries(
    size: int,
    make_member: Callable[..., Membership],
    django_assert_num_queries: Any,
    django_assert_max_num_queries: Any,
    origin: Membership,
) -> None:
    members = [make_member(f"d{size}_{i}") for i in range(size + 1)]
    for i in range(size):
        d = _deal(members[i], [members[i + 1]])
        services.deal_confirm(deal=d, member=members[i + 1])
    with django_assert_num_queries(2):
        feed = selectors.deal_feed(member=members[0])
        assert len(feed.counted) == size
    client = _client(origin)
    client.get("/c/xinwenyu/deals/")
    with django_assert_max_num_queries(FEED_PAGE_QUERIES):
        page = client.get("/c/xinwenyu/deals/")
    assert page.status_code == 200 and AMOUNT_TEXT not in page.content.decode()


# session (none when the session is cached), user, membership with circle, the deals with their parties' names
# (one); the organizer's numbers are one more
FEED_PAGE_QUERIES = 4


def _feed_shown(views: list[Any]) -> list[tuple]:
    """What the feed's cards show of each deal (and whether the viewer is a party), from the ORM's DealView
    or the page's FeedDeal."""
    out = []
    for v in views:
        if isinstance(v, selectors.FeedDeal):
            out.append((*v.shown, v.is_party))
            continue
        d = v.deal
        meetup = d.origin_meetup.title if d.origin_meetup_id else None
        parties = tuple((p.member_id, p.member.card.display_name) for p in v.parties)
        head = (d.pk, d.title, d.kind, d.stage, d.origin, d.outside_party, meetup, d.origin_note)
        out.append((*head, v.amount_yuan, d.counts, parties, v.is_party))
    return out


def _shown(views: list[Any]) -> list[tuple]:
    return [
        (
            v.deal.pk,
            v.deal.stage,
            v.is_party,
            v.amount_yuan,
            [(p.member_id, getattr(p, "name", None) or p.member.card.display_name) for p in v.parties],
            [
                getattr(p, "confirmed", None) if hasattr(p, "confirmed") else p.confirmed_at is not None
                for p in v.parties
            ],
        )
        for v in views
    ]


def test_one_query_page_reads_as_the_orm_does(
    trio: tuple[Membership, Membership, Membership],
    make_member: Callable[..., Membership],
    django_assert_num_queries: Any,
) -> None:
    a, b, c = trio
    d = make_member("dd")
    counted = _deal(a, [b], amount_public=True)
    services.deal_confirm(deal=counted, member=b)
    _deal(a, [c])  # waiting: a and c see it, b and d do not
    private = _deal(b, [c], title="私下的")
    services.deal_confirm(deal=private, member=c)
    for member in (a, b, c, d):
        orm = selectors.deal_feed(member=member)
        with django_assert_num_queries(1):
            counted_views, waiting_views = selectors.deal_page_feed(member=member)
        assert _feed_shown(counted_views) == _feed_shown(orm.counted)
        assert _feed_shown(waiting_views) == _feed_shown(orm.waiting)
        for deal in Deal.objects.all():
            try:
                expected = _shown([selectors.deal_for_member(member=member, deal_id=deal.pk)])
            except NotFound:
                expected = []
            try:
                one = selectors.deal_page_one(member=member, deal_id=deal.pk)
            except NotFound:
                got = []
            else:
                got = _shown([one])
                fields = [f.attname for f in Deal._meta.concrete_fields]
                assert [getattr(one.deal, f) for f in fields] == [getattr(deal, f) for f in fields]
                assert one.deal.meetup_title is None  # type: ignore[attr-defined]
            assert got == expected
    assert AMOUNT_TEXT not in _client(d).get(f"/c/xinwenyu/deals/{private.pk}/").content.decode()


def test_a_stage_change_and_a_confirmation_show_at_once(
    trio: tuple[Membership, Membership, Membership],
) -> None:
    a, b, _c = trio
    deal = _deal(a, [b])
    url = f"/c/xinwenyu/deals/{deal.pk}/"

    def card(member: Membership, language: str = "en") -> str:
        feed = _client(member).get("/c/xinwenyu/deals/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        return feed.split(f'id="deal-{deal.pk}"')[1].split("</div>\n</div>")[0]

    page = _client(b).get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="deal-confirm"' in page and '<option value="signed">' in page
    assert "Discussing" in card(a) and "Discussing" in card(a)  # the second from the cache
    services.deal_confirm(deal=deal, member=b)
    services.deal_stage_set(deal=deal, member=a, stage=Deal.Stage.SIGNED)
    page = _client(b).get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="deal-confirm"' not in page and '<option value="signed">' not in page
    assert '<option value="closed">' in page and "Signed" in page
    assert "Signed" in card(a) and "Signed" not in card(a, "zh-hans")
    card_update(membership=b, fields={"display_name": "新名字"})
    assert "新名字" in card(a)
    assert AMOUNT_TEXT in card(a) and AMOUNT_TEXT not in card(_c)  # one kept list per what each sees
    services.deal_stage_set(deal=deal, member=a, stage=Deal.Stage.CLOSED)
    assert "Closed" in card(_c) and AMOUNT_TEXT in card(b)
    fresh = _deal(a, [_c], title="新的合作")
    assert "新的合作" in _client(a).get("/c/xinwenyu/deals/").content.decode()  # waiting, for its parties
    assert "新的合作" not in _client(b).get("/c/xinwenyu/deals/").content.decode()
    services.deal_confirm(deal=fresh, member=_c)
    assert "新的合作" in _client(b).get("/c/xinwenyu/deals/").content.decode()  # counted: everyone sees it


def test_the_kept_page_carries_each_viewers_token(trio: tuple[Membership, Membership, Membership]) -> None:
    a, b, _c = trio
    deal = _deal(a, [b])
    url = f"/c/xinwenyu/deals/{deal.pk}/"
    _client(b).get(url)  # kept by another session
    client = Client(enforce_csrf_checks=True)
    client.force_login(b.user, backend="kindred.accounts.backends.ModelBackend")
    page = client.get(url).content.decode()
    assert CSRF_SLOT not in page
    token = page.split('id="deal-confirm"')[1].split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert (
        client.post(f"/c/xinwenyu/deals/{deal.pk}/confirm/", {"csrfmiddlewaretoken": token}).status_code
        == 302
    )
    assert 'id="deal-confirm"' not in client.get(url).content.decode()


def test_a_deal_from_a_meetup_names_it_on_both_pages(trio: tuple[Membership, Membership, Membership]) -> None:
    from kindred.meetups.services import meetup_create

    a, b, _c = trio
    start = datetime.now(Z) + timedelta(days=2)
    meetup = meetup_create(
        circle=a.circle,
        host=a,
        title="九月饭局",
        city="北京",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
    )
    deal = _deal(a, [b], origin=Deal.Origin.MEETUP, origin_meetup=meetup, title="饭局上谈成的")
    services.deal_confirm(deal=deal, member=b)
    one = selectors.deal_page_one(member=b, deal_id=deal.pk)
    assert one.deal.meetup_title == "九月饭局"  # type: ignore[attr-defined]
    assert one.deal.origin_meetup_id == meetup.pk and one.deal.created_at == deal.created_at
    assert "九月饭局" in _client(b).get("/c/xinwenyu/deals/").content.decode()
    page = _client(b).get(f"/c/xinwenyu/deals/{deal.pk}/").content.decode()
    assert "九月饭局" in page and f"/c/xinwenyu/meetups/{meetup.pk}/" in page
