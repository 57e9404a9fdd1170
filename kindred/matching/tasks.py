"""Matching's background work: close overdue introductions every INTRO_EXPIRY_SWEEP_SECONDS."""

from __future__ import annotations

from kindred.core.tasks import periodic

from . import services

# How often overdue introductions are closed (pages already show them as closed meanwhile).
INTRO_EXPIRY_SWEEP_SECONDS = 600


@periodic(every=INTRO_EXPIRY_SWEEP_SECONDS, name="intros-expire")
def intros_expire() -> int:
    """Close every open introduction past its time: the number closed."""
    return services.intro_expire_due()
