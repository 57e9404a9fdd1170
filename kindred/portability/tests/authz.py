"""The portability routes in the authorization matrix (tests/test_authorization_matrix.py): the exports are
the organizer's and the admins' (404 for everyone else); leaving is for any member but the organizer (the
origin of the invite tree cannot leave). A member's own export and account deletion are not circle-scoped
(tests/test_member_data.py checks that they are only theirs)."""

from __future__ import annotations

from typing import Any

from tests.authz import REVIEWERS

LEAVERS = frozenset({"member", "admin"})

PAGES = {
    "portability:exports": ("GET", REVIEWERS, None),
    "portability:export": ("GET", REVIEWERS, None),
    "portability:leave": ("POST", LEAVERS, lambda w: {"confirm": "1"}),
}

API = {
    "GET /circles/{slug}/exports/{what}": (REVIEWERS, None),
    "POST /circles/{slug}/leave": (LEAVERS, lambda w: {"confirm": True}),
}


def setup(world: Any) -> dict[str, Any]:
    # The directory export as CSV: text, so the matrix's private strings are searched in it.
    return {"what": "directory", "fmt": "csv"}
