"""GET /api/v1/circles/{slug}/health and the page /c/<slug>/health/: who may see them and what they say."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from kindred.circles.models import Membership

from .test_selectors import DEALS_FROM_N, KNEW_FROM_N, _build


@pytest.fixture
def built(origin: Membership, make_user: Callable[..., User]) -> list[Membership]:
    return _build(origin, make_user)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_api_returns_every_series_and_the_phases(built: list[Membership]) -> None:
    origin = built[0]
    response = _client(origin.user).get(f"/api/v1/circles/{origin.circle.slug}/health")
    assert response.status_code == 200
    body = response.json()
    assert set(body["phases"]) == {"friends_inside_at", "deals_at"}
    assert abs(body["phases"]["friends_inside_at"] - KNEW_FROM_N) <= 2
    assert abs(body["phases"]["deals_at"] - DEALS_FROM_N) <= 2
    assert body["friends_inside"][0] == {"member_id": built[1].pk, "n": 2, "knew_inside": False}
    assert [c["n"] for c in body["friends_inside"]] == list(range(2, len(built) + 1))
    for key in ("growth_by_month", "growth_by_count", "deals", "conversation", "engagement"):
        assert body[key], key
    assert set(body["deals"]["funnel"]) == {"proposed", "accepted", "deal"}
    # No topicality label on messages yet: the shares are null and the API says so.
    assert body["conversation"]["labelled"] is False
    assert body["conversation"]["chatter_share"] is None and body["conversation"]["off_topic_share"] is None


def test_an_admin_sees_it_and_a_plain_member_gets_404(
    origin: Membership, make_member: Callable[..., Membership]
) -> None:
    admin = make_member("h10_admin", role=Membership.Role.ADMIN)
    member = make_member("h10_member")
    url = f"/api/v1/circles/{origin.circle.slug}/health"
    page = reverse("health:page", kwargs={"slug": origin.circle.slug})
    assert _client(admin.user).get(url).status_code == 200
    assert _client(admin.user).get(page).status_code == 200
    refused = _client(member.user).get(url)
    assert refused.status_code == 404
    assert _client(member.user).get(page).status_code == 404


def test_the_page_carries_the_series_and_labels_in_the_readers_language(built: list[Membership]) -> None:
    origin = built[0]
    client = _client(origin.user)
    url = reverse("health:page", kwargs={"slug": origin.circle.slug})
    html = client.get(url).content.decode()
    assert html.count("<h1") == 1 and "圈子健康" in html
    assert 'id="health-series"' in html and "vendor/echarts.min.js" in html and "kindred/health.js" in html
    labels = json.loads(html.split('id="health-labels" type="application/json">')[1].split("</script>")[0])
    assert labels["deals_at"] == "成交开始"
    client.post(reverse("set_language"), {"language": "en", "next": url})
    english = client.get(url).content.decode()
    assert "Circle health" in english and '"deals_at": "Deals begin"' in english
