"""GET /api/v1/circles/{slug}/health: the organizer's and admins' view of the circle (404 for anyone else)."""

from __future__ import annotations

from dataclasses import asdict

from django.http import HttpRequest
from ninja import Router

from kindred.circles.selectors import membership_for_circle
from kindred.core.schemas import ERRORS

from . import selectors
from .metrics import Health
from .schemas import HealthOut

router = Router(tags=["health"])


def health_out(report: Health) -> HealthOut:
    return HealthOut.model_validate(asdict(report))


@router.get("/circles/{slug}/health", response={200: HealthOut, **ERRORS}, summary="The circle's health")
def circle_health(request: HttpRequest, slug: str) -> HealthOut:
    """Growth, friends inside, deals, conversation and engagement series, and the phase transitions found
    on them. For the organizer and admins; everyone else gets 404."""
    me = membership_for_circle(user=request.user, slug=slug)
    selectors.require_reviewer(me)
    return health_out(selectors.circle_health(circle_id=me.circle_id))
