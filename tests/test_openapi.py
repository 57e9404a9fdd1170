"""Schemathesis over /api/v1/openapi.json, in-process through Django's WSGI handler.

Every operation of the published schema is exercised with generated input, authenticated as the organizer
of a seeded circle (a Bearer token from the accounts service). The checks: never a 5xx, every status code
is documented for its operation, and every response matches its documented content type and schema.

Bounded and deterministic: a few examples per operation, derandomized, no example database.
Path parameters are steered to rows that exist half of the time (the seeded circle's slug always), so the
generated requests reach the services instead of stopping at a 404.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from kindred.accounts.selectors import token_get_active
from kindred.ties.models import Tie

from .conftest import Seeded

OPENAPI_PATH = "/api/v1/openapi.json"
MAX_EXAMPLES = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


class Target:
    """Known ids of the seeded circle, handed out to generated path parameters."""

    def __init__(self, seeded: Seeded) -> None:
        self.seeded = seeded
        self.user = seeded.origin.user
        self.token = seeded.token_for(self.user)
        members = [seeded.origin, seeded.admin, *seeded.members]
        ties = Tie.objects.filter(circle=seeded.circle).values_list("pk", flat=True)
        self.known: dict[str, list[Any]] = {
            "slug": [seeded.circle.slug],
            "member_id": [m.pk for m in members],
            "tie_id": list(ties),
            "id": [seeded.nomination.pk],
            "nomination_id": [seeded.nomination.pk],
        }

    def bearer(self) -> dict[str, str]:
        # A generated DELETE /me/tokens/{id} may revoke our own token: take a new one when it did.
        if token_get_active(raw=self.token) is None:
            self.token = self.seeded.token_for(self.user)
        return {"Authorization": f"Bearer {self.token}"}

    def steer(self, path_parameters: dict[str, Any] | None) -> None:
        for name, value in (path_parameters or {}).items():
            choices = self.known.get(name)
            if not choices:
                continue
            if name == "slug":
                path_parameters[name] = choices[0]  # type: ignore[index]
            elif isinstance(value, int) and value % 2 == 0:
                path_parameters[name] = choices[(value // 2) % len(choices)]  # type: ignore[index]


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """Calls go straight to the WSGI handler, whose request signals would close the database connection
    after each request (the test's transaction with it, on PostgreSQL). Django's test client unhooks
    them the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def target(seeded: Seeded) -> Target:
    return Target(seeded)


# Loaded at collection through the WSGI handler (the document needs no database); one test per operation.
schema = schemathesis.openapi.from_wsgi(OPENAPI_PATH, get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_contract(case: Any, target: Target) -> None:
    target.steer(case.path_parameters)
    case.call_and_validate(headers=target.bearer(), checks=CHECKS)


def test_openapi_document_lists_the_issue_operations(client: Any, db: None) -> None:
    """The operations the issue asks for are in the published document (the contract test covers them)."""
    doc = client.get(OPENAPI_PATH).json()
    published = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    required = {
        ("POST", "/api/v1/auth/token"),
        ("GET", "/api/v1/me"),
        ("POST", "/api/v1/circles"),
        ("GET", "/api/v1/circles"),
        ("GET", "/api/v1/circles/{slug}"),
        ("GET", "/api/v1/circles/{slug}/members"),
        ("GET", "/api/v1/circles/{slug}/members/{member_id}"),
        ("PUT", "/api/v1/circles/{slug}/me/card"),
        ("POST", "/api/v1/circles/{slug}/ties"),
        ("POST", "/api/v1/circles/{slug}/ties/{tie_id}/confirm"),
        ("POST", "/api/v1/circles/{slug}/nominations"),
        ("GET", "/api/v1/circles/{slug}/nominations"),
        ("POST", "/api/v1/circles/{slug}/nominations/{nomination_id}/approve"),
        ("POST", "/api/v1/circles/{slug}/nominations/{nomination_id}/reject"),
        ("POST", "/api/v1/invitations/{code}/accept"),
        ("GET", "/api/v1/circles/{slug}/tree"),
    }
    assert required <= published, sorted(required - published)


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    assert not duplicates, f"duplicate keys {duplicates} in an object with keys {keys}"
    return dict(pairs)


def test_openapi_document_has_no_duplicate_keys(client: Any, db: None) -> None:
    """Swagger UI refuses a document with a key twice (an int and a str status both serialize to "200")."""
    response = client.get(OPENAPI_PATH)
    assert response.status_code == 200
    doc = json.loads(response.content, object_pairs_hook=_refuse_duplicate_keys)
    ics = doc["paths"]["/api/v1/meetups/{meetup_id}/ics"]["get"]["responses"]["200"]
    assert "text/calendar" in ics["content"]
