"""The introduction state machine, its privacy, expiry and suppression; the matches page and API."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kindred.core.models import AuditEvent
from kindred.core.services import Conflict, PermissionDenied
from kindred.matching import selectors, services
from kindred.matching.models import Introduction, MatchEntry, SuppressedPair
from kindred.matching.services import Gone
from kindred.notifications.models import Notification
from kindred.ties.models import Tie

pytestmark = pytest.mark.django_db


def test_request_approve_accept_makes_an_introduced_tie_and_shares_contacts(trio: dict[str, Any]) -> None:
    a, b, c = trio["a"], trio["b"], trio["c"]
    intro = services.intro_request(requester=a, target=b, note="想请你做小程序")
    assert intro.connector_id == c.pk and intro.status == Introduction.Status.AWAITING_CONNECTOR
    # B does not see the request before the connector approves; nobody sees contacts yet.
    assert selectors.intros_for(membership=b) == []
    with pytest.raises(PermissionDenied):
        services.intro_accept(intro=intro, member=c)
    services.intro_approve(intro=intro, member=c)
    view = selectors.intro_get_for_member(membership=b, intro_id=intro.pk)
    assert view.can_accept and not view.contacts
    services.intro_accept(intro=intro, member=b)
    intro.refresh_from_db()
    assert intro.status == Introduction.Status.ACCEPTED
    tie = Tie.objects.get(member_low=min(a.pk, b.pk), member_high=max(a.pk, b.pk))
    assert tie.kind == Tie.Kind.INTRODUCED and tie.status == Tie.Status.CONFIRMED
    seen_by_b = selectors.intro_get_for_member(membership=b, intro_id=intro.pk).contacts[str(a.pk)]
    assert seen_by_b == {"email": "a@example.com"}  # the "nobody" WeChat stays hidden
    assert selectors.intro_get_for_member(membership=c, intro_id=intro.pk).contacts == {}
    assert Notification.objects.filter(recipient=a, kind="matching.intro_done", target_id=intro.pk).exists()
    with pytest.raises(Conflict):
        services.intro_request(requester=a, target=b)


def test_decline_is_private_and_suppresses_the_pair(trio: dict[str, Any]) -> None:
    a, b, c = trio["a"], trio["b"], trio["c"]
    intro = services.intro_request(requester=a, target=b)
    services.intro_approve(intro=intro, member=c)
    services.intro_decline(intro=intro, member=b)
    assert selectors.intro_get_for_member(membership=b, intro_id=intro.pk).status == "declined"
    for m in (a, c):
        assert selectors.intro_get_for_member(membership=m, intro_id=intro.pk).status == "closed"
    assert SuppressedPair.objects.filter(until__gt=timezone.now() + timedelta(days=89)).count() == 1
    with pytest.raises(Conflict) as exc:
        services.intro_request(requester=a, target=b)
    assert exc.value.code == "recent"
    services.matches_fresh(circle=a.circle)
    assert not MatchEntry.objects.filter(member=a, other=b).exists()
    assert not MatchEntry.objects.filter(member=b, other=a).exists()


def test_expiry_after_14_days_reads_closed_and_refuses_answers(trio: dict[str, Any]) -> None:
    a, b, c = trio["a"], trio["b"], trio["c"]
    then = timezone.now() - timedelta(days=15)
    intro = services.intro_request(requester=a, target=b, at=then)
    assert selectors.intro_get_for_member(membership=a, intro_id=intro.pk).status == "closed"
    with pytest.raises(Gone):
        services.intro_approve(intro=intro, member=c)
    intro.refresh_from_db()
    assert intro.is_open  # a refusal changes nothing; the periodic job closes it
    assert services.intro_expire_due() == 1


def test_expire_due_closes_open_intros(trio: dict[str, Any]) -> None:
    intro = services.intro_request(
        requester=trio["a"], target=trio["b"], at=timezone.now() - timedelta(days=20)
    )
    assert services.intro_expire_due() == 1
    intro.refresh_from_db()
    assert intro.status == Introduction.Status.EXPIRED and SuppressedPair.objects.exists()


def test_organizer_proposal_needs_both_parties(trio: dict[str, Any], origin: Any) -> None:
    a, b = trio["a"], trio["b"]
    intro = services.intro_propose(organizer=origin, member=a, other=b)
    services.intro_accept(intro=intro, member=a)
    intro.refresh_from_db()
    assert intro.status == Introduction.Status.AWAITING_PARTIES
    services.intro_accept(intro=intro, member=b)
    intro.refresh_from_db()
    assert intro.status == Introduction.Status.ACCEPTED
    with pytest.raises(PermissionDenied):
        services.intro_propose(organizer=a, member=b, other=trio["c"])


def _api(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_api_only_the_three_people_see_an_intro(trio: dict[str, Any], make_member: Any) -> None:
    a, b, c = trio["a"], trio["b"], trio["c"]
    stranger = make_member("stranger", display_name="路人")
    res = _api(a.user).post(
        "/api/v1/circles/xinwenyu/intros",
        json.dumps({"to_member_id": b.pk, "note": "你好"}),
        content_type="application/json",
    )
    assert res.status_code == 201, res.content
    intro_id = res.json()["id"]
    before = AuditEvent.objects.count()
    for user in (stranger.user, b.user):  # b is not asked before the connector approves
        assert _api(user).post(f"/api/v1/intros/{intro_id}/approve").status_code == 404
        assert intro_id not in [i["id"] for i in _api(user).get("/api/v1/circles/xinwenyu/intros").json()]
    assert AuditEvent.objects.count() == before
    assert _api(c.user).post(f"/api/v1/intros/{intro_id}/approve").json()["status"] == "awaiting_parties"
    assert _api(b.user).post(f"/api/v1/intros/{intro_id}/accept").json()["status"] == "accepted"
    bad = _api(a.user).post(
        "/api/v1/circles/xinwenyu/intros", json.dumps({"to_member_id": 0}), content_type="application/json"
    )
    assert bad.status_code == 422
    again = _api(a.user).post(
        "/api/v1/circles/xinwenyu/intros", json.dumps({"to_member_id": b.pk}), content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["detail"]


def test_matches_api_and_page_explain_and_keep_query_counts(
    trio: dict[str, Any],
    make_member: Any,
    django_assert_max_num_queries: Any,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    a = trio["a"]
    client.force_login(a.user)
    # The first load computes nothing in the request: it says so and queues the recompute after it.
    with django_capture_on_commit_callbacks(execute=False) as queued:
        first = client.get("/c/xinwenyu/matches/")
    assert first.status_code == 200 and 'id="matches-updating"' in first.content.decode()
    assert not MatchEntry.objects.exists() and len(queued) == 1
    queued[0]()  # the background worker (immediate in tests)
    assert MatchEntry.objects.filter(member=a).exists()
    res = _api(a.user).get("/api/v1/circles/xinwenyu/matches")
    assert res.status_code == 200
    body = res.json()
    assert body["updating"] is False
    first = body["matches"][0]
    assert first["member"]["display_name"] == "宋知行"
    assert {"need": "小程序", "offer": "小程序"} in first["explanation"]["they_offer"]
    assert [p["display_name"] for p in first["explanation"]["trust_path"]] == ["沈砚秋", "连接人", "宋知行"]
    assert body["organizer_pairs"] is None
    page = client.get("/c/xinwenyu/matches/")
    assert page.status_code == 200 and "宋知行" in page.content.decode()
    assert 'id="matches-updating"' not in page.content.decode()
    with django_assert_max_num_queries(14):  # fresh cache: fingerprint + two reads, whatever the size
        assert client.get("/c/xinwenyu/matches/").status_code == 200
    for i in range(25):
        make_member(f"extra{i}", display_name=f"成员{i}", offers="小程序开发", needs="技术团队")
    # Stale: the last matches are shown with the note, whatever the size, and nothing is recomputed (one
    # more query marks the recompute queued).
    with django_assert_max_num_queries(15):
        stale = client.get("/c/xinwenyu/matches/")
    assert "宋知行" in stale.content.decode() and 'id="matches-updating"' in stale.content.decode()
    assert _api(a.user).get("/api/v1/circles/xinwenyu/matches").json()["updating"] is True
    services.matches_refresh_run(circle_id=a.circle_id)  # the queued recompute
    with django_assert_max_num_queries(14):
        assert client.get("/c/xinwenyu/matches/").status_code == 200
    org = _api(a.circle.created_by).get("/api/v1/circles/xinwenyu/matches").json()
    assert org["organizer_pairs"] and org["updating"] is False


def test_the_connector_is_mailed_after_commit(
    trio: dict[str, Any], mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    trio["c"].user.email = "conn@example.com"
    trio["c"].user.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.intro_request(requester=trio["a"], target=trio["b"])
    assert [m.to for m in mailoutbox] == [["conn@example.com"]]
    assert "沈砚秋" in mailoutbox[0].body
