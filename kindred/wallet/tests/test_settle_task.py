"""A withdrawal's settle runs on the background engine after the commit: the request answers before the
provider is asked, and a failure there leaves the withdrawal pending for the sweep, never a 5xx."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from kindred.wallet import services
from kindred.wallet.models import Payment

pytestmark = pytest.mark.django_db


def test_a_failing_settle_leaves_the_withdrawal_pending_and_the_answer_unchanged(
    make_user: Callable[..., User],
    fund: Callable[..., None],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    user = make_user()
    fund(user, 10_000)

    def provider_away(**kwargs: Any) -> Payment:
        raise ConnectionError("the provider is away")

    monkeypatch.setattr(services, "withdrawal_settle", provider_away)
    client = Client()
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True) as after_commit:
        response = client.post(
            "/api/v1/wallet/withdrawals", {"amount_fen": 2_500}, content_type="application/json"
        )
    assert response.status_code == 202 and response.json()["status"] == "pending"
    assert len(after_commit) == 1  # queued after the commit, run by the worker (immediate in tests)
    payment = Payment.objects.get(direction=Payment.Direction.OUT)
    assert payment.status == Payment.Status.PENDING  # the sweep asks the provider again later
