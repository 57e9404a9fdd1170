"""The health routes in the authorization matrix (tests/test_authorization_matrix.py): the organizer and
the admins only; everyone else gets the circle's 404."""

from __future__ import annotations

from typing import Any

from tests.authz import REVIEWERS

PAGES = {
    "health:page": ("GET", REVIEWERS, None),
}

API = {
    "GET /circles/{slug}/health": (REVIEWERS, None),
}


def setup(world: Any) -> dict[str, Any]:
    return {}
