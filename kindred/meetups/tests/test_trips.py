"""A trip's list: nobody is invited until the traveller picks (issue 8, item 15), and the words its members
share with the traveller are whole words or taxonomy terms, never pieces of words (item 14)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from urllib.parse import urlencode

import pytest
from django.test import Client

from kindred.circles.models import Membership
from kindred.circles.services import card_update
from kindred.core.models import AuditEvent
from kindred.meetups import selectors, services
from kindred.meetups.models import Invitee, Meetup, Trip
from tests.forms import form_fields

pytestmark = pytest.mark.django_db
# What the trip page showed as shared interests before: pieces of 短视频 and 小程序, and fillers.
FRAGMENTS = ("短视", "视频", "小程", "程序", "一个", "年轻")


@pytest.fixture
def trip(origin: Membership, make_member: Callable[..., Membership]) -> Trip:
    card_update(
        membership=origin,
        fields={"needs": "想做一个小程序加短视频的产品，找年轻人一起做", "offers": "一个年轻团队的投资"},
    )
    make_member(
        "dev",
        display_name="宋知行",
        city="上海",
        offers="一个年轻团队：小程序开发，短视频拍摄",
        needs="找年轻人做投资",
    )
    make_member("musician", display_name="音乐人", city="上海", offers="原创配乐")
    return services.trip_create(
        traveller=origin, city="上海", starts_on=date(2026, 12, 3), ends_on=date(2026, 12, 5)
    )


def test_shared_words_are_whole_words_never_fragments(trip: Trip) -> None:
    got = {s.member.card.display_name: s for s in selectors.trip_suggestions(trip=trip)}
    overlap = got["宋知行"].overlap
    assert "小程序" in overlap and "短视频" in overlap, overlap
    assert not set(overlap) & set(FRAGMENTS), overlap
    assert got["宋知行"].score > got["音乐人"].score


def test_trip_form_ticks_nobody_and_unchanged_it_invites_nobody(trip: Trip, origin: Membership) -> None:
    client = Client()
    client.force_login(origin.user)
    url = f"/c/xinwenyu/trips/{trip.pk}/"
    page = client.get(url).content.decode()
    assert "宋知行" in page and "音乐人" in page
    assert " checked" not in page  # no box is ticked
    fields = form_fields(page, "trip-invite")
    assert not [v for k, v in fields if k == "members"]
    before = (Meetup.objects.count(), Invitee.objects.count(), AuditEvent.objects.count())
    res = client.post(f"{url}invite/", urlencode(fields), content_type="application/x-www-form-urlencoded")
    assert res.status_code == 400
    assert "请至少选择一位成员邀请。" in res.content.decode()
    assert (Meetup.objects.count(), Invitee.objects.count(), AuditEvent.objects.count()) == before
    # Ticking one invites that one only.
    dev = next(
        s.member for s in selectors.trip_suggestions(trip=trip) if s.member.card.display_name == "宋知行"
    )
    res = client.post(
        f"{url}invite/",
        urlencode([*fields, ("members", str(dev.pk))]),
        content_type="application/x-www-form-urlencoded",
    )
    assert res.status_code == 302
    assert list(Invitee.objects.values_list("member_id", flat=True)) == [dev.pk]


def test_a_meetups_and_a_deals_title_reads_biaoti_not_a_job_title(origin: Membership) -> None:
    """Issue 8, item 11: "Title" is 标题 on the meetup, trip-dinner and deal forms (职位 is a card's job
    title, kept apart by a message context)."""
    client = Client()
    client.force_login(origin.user)
    for url in ("/c/xinwenyu/meetups/new/", "/c/xinwenyu/deals/new/"):
        page = client.get(url).content.decode()
        assert "标题" in page and "职位" not in page, url


def test_nul_and_overlong_text_is_refused_with_a_4xx_in_chinese_and_nothing_changes(
    origin: Membership,
) -> None:
    """Issue 8, item 5: meetups and deals use the one text rule (kindred.core.text)."""
    import json

    client = Client()
    client.force_login(origin.user)
    before = (Meetup.objects.count(), Trip.objects.count(), AuditEvent.objects.count())
    trip = client.post(
        "/api/v1/circles/xinwenyu/trips",
        json.dumps({"city": "上\x00海", "starts_on": "2026-12-03", "ends_on": "2026-12-05"}),
        content_type="application/json",
    )
    assert trip.status_code == 422
    form = client.post(
        "/c/xinwenyu/trips/",
        {"city": "上海", "starts_on": "2026-12-03", "ends_on": "2026-12-05", "note": "\x07"},
    )
    assert form.status_code == 400 and "控制字符" in form.content.decode()
    deal = client.post(
        "/api/v1/circles/xinwenyu/deals",
        json.dumps({"kind": "cooperation", "title": "合\x00作", "party_ids": [origin.pk], "origin": "ask"}),
        content_type="application/json",
    )
    assert deal.status_code == 422
    assert (Meetup.objects.count(), Trip.objects.count(), AuditEvent.objects.count()) == before
