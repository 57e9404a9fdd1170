"""Every state change of ties."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from kindred.circles.models import Membership
from kindred.core.services import audit_record

from .models import Tie


@transaction.atomic
def tie_record_sponsor(*, sponsor: Membership, invitee: Membership, at: datetime | None = None) -> Tie:
    """An accepted invitation makes a confirmed sponsor↔invitee tie (upgrading a pending one)."""
    low, high = sorted((sponsor.pk, invitee.pk))
    now = at or timezone.now()
    tie, created = Tie.objects.select_for_update().get_or_create(
        member_low_id=low,
        member_high_id=high,
        defaults={
            "circle_id": sponsor.circle_id,
            "declared_by_id": sponsor.pk,
            "kind": Tie.Kind.SPONSOR,
            "status": Tie.Status.CONFIRMED,
            "confirmed_at": now,
        },
    )
    if not created and tie.status != Tie.Status.CONFIRMED:
        tie.status = Tie.Status.CONFIRMED
        tie.confirmed_at = now
        tie.save(update_fields=["status", "confirmed_at"])
    actor: User = sponsor.user
    audit_record(action="tie_sponsor_recorded", actor=actor, circle_id=sponsor.circle_id, target=tie)
    return tie
