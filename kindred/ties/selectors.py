"""Reads of the tie graph."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q

from .models import Tie


def tie_neighbors(*, circle_id: int, member_ids: Iterable[int]) -> dict[int, set[int]]:
    """Confirmed tie partners of each given membership id, in one query: {member_id: {partner ids}}."""
    ids = set(member_ids)
    out: dict[int, set[int]] = defaultdict(set)
    if not ids:
        return out
    rows = (
        Tie.objects.filter(circle_id=circle_id, status=Tie.Status.CONFIRMED)
        .filter(Q(member_low_id__in=ids) | Q(member_high_id__in=ids))
        .values_list("member_low_id", "member_high_id")
    )
    for low, high in rows:
        if low in ids:
            out[low].add(high)
        if high in ids:
            out[high].add(low)
    return out
