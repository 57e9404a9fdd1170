"""The demo's wallet chapter: the greetings, and 王兄's 188-yuan-a-head envelope at the ~30-member mark."""

from __future__ import annotations

import pytest

from kindred.demo.loader import DEMO_SLUG, demo_load
from kindred.demo.wallet import WANGXIONG_HEAD_YUAN
from kindred.wallet.models import Envelope, Payment
from kindred.wallet.verify import ledger_verify


@pytest.mark.django_db
def test_the_demo_circle_carries_the_greetings_and_wangxiongs_envelope() -> None:
    demo_load()
    envelopes = Envelope.objects.filter(circle__slug=DEMO_SLUG)
    greetings = envelopes.filter(is_greeting=True)
    assert greetings.count() >= 40
    wang = envelopes.get(sender__user__username="wangxiong")
    present = wang.circle.memberships.filter(joined_at__lt=wang.sender.joined_at).count()
    assert 28 <= present <= 32 and wang.share_count == present
    assert wang.is_greeting and wang.mode == Envelope.Mode.EQUAL
    assert wang.total_fen == WANGXIONG_HEAD_YUAN * 100 * present
    grabbed = wang.shares.filter(claimed_by__isnull=False)
    assert grabbed.count() == present and {s.amount_fen for s in grabbed} == {WANGXIONG_HEAD_YUAN * 100}
    joined = grabbed.values_list("claimed_by__joined_at", flat=True)
    assert all(at < wang.created_at for at in joined)
    assert wang.status == Envelope.Status.FINISHED and wang.luckiest_id is not None
    # Every wallet was topped up through the simulated provider; nothing is left in escrow.
    assert Payment.objects.filter(provider="simulated", reference__startswith="demo-seed-").count() >= 100
    assert not envelopes.filter(status=Envelope.Status.OPEN).exists()
    assert ledger_verify() == []
