"""Roles of the authorization matrix, and how each app adds its routes to it.

An app with circle-scoped (or object-scoped) routes keeps `kindred/<app>/tests/authz.py` with:

    PAGES: dict[str, tuple[str, frozenset[str], Callable[[World], dict] | None]]
        url name -> (method, roles allowed, form data or None)
    API: dict[str, tuple[frozenset[str], Callable[[World], dict] | None]]
        "METHOD /path" as in the OpenAPI document -> (roles allowed, JSON body or None)
    def setup(world) -> dict[str, Any]
        creates the app's objects in the matrix's world (it may add private strings to world.secrets)
        and returns the URL kwargs its routes need, e.g. {"envelope_id": envelope.pk}

tests/test_authorization_matrix.py collects every such module: a route that no module lists fails.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from django.conf import settings

ROLES = ("anonymous", "outsider", "nominee", "removed", "member", "admin", "organizer")
NON_MEMBERS = ("anonymous", "outsider", "nominee", "removed")

# Who may use a route: every active member, the reviewers (organizer and admins), or the organizer alone.
MEMBERS = frozenset({"member", "admin", "organizer"})
REVIEWERS = frozenset({"admin", "organizer"})
ORGANIZER = frozenset({"organizer"})
NOBODY: frozenset[str] = frozenset()  # e.g. withdrawing someone else's nomination: only its nominator may
PARTY = frozenset({"member"})  # an object that concerns the plain member alone (a tie declared to them)


def app_modules() -> list[ModuleType]:
    """Every installed Kindred app's tests/authz.py, in INSTALLED_APPS order."""
    found = []
    for app in settings.INSTALLED_APPS:
        if not app.startswith("kindred."):
            continue
        try:
            found.append(importlib.import_module(f"{app}.tests.authz"))
        except ModuleNotFoundError as exc:
            if exc.name not in (f"{app}.tests.authz", f"{app}.tests"):
                raise
    return found
