"""The matches page keeps each member's rendered matches (and the organizer's pairs) under the computed state
they were read from: a change shows at once, nobody sees another member's list, and the forms' CSRF tokens
are the viewer's own."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from kindred.circles.services import card_update, membership_remove
from kindred.core.fragments import CSRF_SLOT
from kindred.matching import selectors, services
from kindred.ties.services import tie_record_met

pytestmark = pytest.mark.django_db

URL = "/c/xinwenyu/matches/"


def signed_in(user: User, *, enforce_csrf_checks: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    client.force_login(user, backend="kindred.accounts.backends.ModelBackend")
    return client


def page(client: Client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def test_a_changed_card_and_a_removal_show_at_once(trio: dict[str, Any]) -> None:
    a, b = trio["a"], trio["b"]
    services.matches_fresh(circle=a.circle)
    client = signed_in(a.user)
    assert "宋知行" in page(client) and "宋知行" in page(client)  # the second from the cache
    card_update(membership=b, fields={"display_name": "宋知远"})
    assert "宋知远" in page(client) and "宋知行" not in page(client)  # the recompute is still queued
    services.matches_fresh(circle=a.circle)
    assert "宋知远" in page(client) and "宋知远" in page(client)
    membership_remove(membership=b, actor=a.circle.memberships.get(sponsor__isnull=True), reason="违规")
    assert "宋知远" not in page(client)


def test_each_member_sees_their_own_list_and_the_organizer_the_pairs(trio: dict[str, Any]) -> None:
    a, b = trio["a"], trio["b"]
    services.matches_fresh(circle=a.circle)
    mine, theirs = page(signed_in(a.user)), page(signed_in(b.user))
    assert f'name="to_member_id" value="{b.pk}"' in mine and f'name="to_member_id" value="{a.pk}"' in theirs
    assert f'name="to_member_id" value="{b.pk}"' not in theirs
    assert "intros/propose/" not in mine
    organizer = page(signed_in(a.circle.created_by))
    assert "intros/propose/" in organizer and "intros/propose/" in page(signed_in(a.circle.created_by))


def test_the_cached_forms_carry_the_viewers_token(trio: dict[str, Any]) -> None:
    a, b = trio["a"], trio["b"]
    services.matches_fresh(circle=a.circle)
    page(signed_in(a.user))  # cached by another session
    client = signed_in(a.user, enforce_csrf_checks=True)
    html = page(client)
    assert CSRF_SLOT not in html
    form = html.split('class="intro-request"')[1]
    token = form.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = client.post(
        "/c/xinwenyu/intros/request/", {"to_member_id": b.pk, "note": "你好", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


def test_the_fingerprint_moves_with_everything_the_matches_read(
    trio: dict[str, Any], django_assert_num_queries: Any
) -> None:
    a, b, c = trio["a"], trio["b"], trio["c"]
    seen = set()

    def moved() -> bool:
        with django_assert_num_queries(1):
            fingerprint = selectors.match_fingerprint(circle=a.circle)
        new = fingerprint not in seen
        seen.add(fingerprint)
        return new

    assert moved() and not moved()
    card_update(membership=b, fields={"needs": "找发行"})
    assert moved()
    services.intro_request(requester=a, target=b, via=c)
    assert moved()
    tie_record_met(a=a, b=b)
    assert moved()
    membership_remove(membership=b, actor=a.circle.memberships.get(sponsor__isnull=True), reason="违规")
    assert moved() and not moved()
