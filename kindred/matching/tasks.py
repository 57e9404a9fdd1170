"""Matching's background work: growth suggestions after a join, the circle's matches recomputed after what
they read changed (one recompute per circle per burst of changes), the trust score's variant chosen once per
version of a circle's ties, and overdue introductions closed every INTRO_EXPIRY_SWEEP_SECONDS."""

from __future__ import annotations

from kindred.core.tasks import db_task, periodic

from . import services

# How often overdue introductions are closed (pages already show them as closed meanwhile).
INTRO_EXPIRY_SWEEP_SECONDS = 600


@periodic(every=INTRO_EXPIRY_SWEEP_SECONDS, name="intros-expire")
def intros_expire() -> int:
    """Close every open introduction past its time: the number closed."""
    return services.intro_expire_due()


@db_task()
def growth_suggest(membership_id: int) -> int:
    """Someone joined (enqueued after the join's commit): tell the reviewers whose contacts share the
    newcomer's trades. A failure here is the worker's, never the join's."""
    return services.growth_suggest_on_join_id(membership_id=membership_id)


@db_task()
def matches_refresh(circle_id: int) -> bool:
    """Recompute the circle's matches if what they read changed (queued by services.matches_refresh_soon, a
    few seconds after the first change of a burst): whether they were recomputed."""
    return services.matches_refresh_run(circle_id=circle_id)


@db_task()
def trust_variant_choose(circle_id: int) -> list[str]:
    """Choose the trust score's variant on the circle's current ties (queued by a recompute that found no
    choice for its version of the ties; seconds on a large circle, never on the request path)."""
    return list(services.trust_variant_choose(circle_id=circle_id))
