"""Matching's deferred work runs on the background engine: the request that asks for an introduction mails
nothing itself; growth suggestions after a join cannot fail the join; a burst of card changes queues one
recompute of the circle's matches, which the page never does itself."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from kindred.circles.models import Membership
from kindred.circles.services import card_update
from kindred.core.tasks import HUEY
from kindred.invitations.services import invitation_direct
from kindred.matching import services
from kindred.matching.models import MatchEntry, MatchState

pytestmark = pytest.mark.django_db


def test_asking_for_an_introduction_mails_the_connector_from_the_outbox_not_the_request(
    trio: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    a, b, c = trio["a"], trio["b"], trio["c"]
    c.user.email = "conn@example.com"
    c.user.save()
    client = Client()
    client.force_login(a.user)
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        response = client.post("/c/xinwenyu/intros/request/", {"to_member_id": b.pk, "note": "想请你帮忙"})
    assert response.status_code == 302 and mail.outbox == []
    for callback in after_commit:
        callback()
    assert [m.to for m in mail.outbox] == [["conn@example.com"]] and "沈砚秋" in mail.outbox[0].body


def test_a_failing_growth_suggestion_does_not_fail_the_join(
    origin: Membership, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    def broken(**kwargs: Any) -> int:
        raise RuntimeError("the contacts index is away")

    monkeypatch.setattr(services, "growth_suggest_on_join", broken)
    _invitation, code = invitation_direct(
        circle=origin.circle, organizer=origin, name="林晓", email="linxiao@example.com"
    )
    password = "A-long-pass-phrase-42"
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            reverse("invitations:accept", args=[code]),
            {"username": "linxiao", "password1": password, "password2": password, "display_name": "林晓"},
        )
    assert response.status_code == 302
    assert Membership.objects.filter(user__username="linxiao", status=Membership.Status.ACTIVE).exists()


def _queued(circle_id: int) -> list[Any]:
    return [t for t in HUEY.scheduled() if t.name.endswith("matches_refresh") and t.args == (circle_id,)]


def test_a_burst_of_card_changes_queues_one_recompute(
    trio: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    a = trio["a"]
    HUEY.flush()
    with django_capture_on_commit_callbacks(execute=True):
        for text in ("收藏", "收藏，场地", "收藏，场地，展览"):
            card_update(membership=a, fields={"offers": text})
    assert len(_queued(a.circle_id)) == 1  # one per burst, a few seconds after its first change
    assert not MatchEntry.objects.exists()  # nothing computed in the writer's request
    assert services.matches_refresh_run(circle_id=a.circle_id) is True  # what the queued task does
    assert MatchEntry.objects.filter(member=a).exists()
    assert MatchState.objects.get(circle_id=a.circle_id).refresh_queued_at is None
    assert services.matches_refresh_run(circle_id=a.circle_id) is False  # nothing changed since
    with django_capture_on_commit_callbacks(execute=True):
        card_update(membership=a, fields={"needs": "技术团队"})
    assert len(_queued(a.circle_id)) == 2  # the next burst queues the next one
    HUEY.flush()
