"""Fixtures for the ties tests: a few members of the demo-like circle and a second, unrelated circle."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User

from kindred.circles.models import Circle, Membership
from kindred.circles.services import circle_create
from kindred.core.models import AuditEvent
from kindred.ties.models import Tie

Snapshot = tuple[list[tuple[Any, ...]], int]


@pytest.fixture
def alice(make_member: Callable[..., Membership]) -> Membership:
    return make_member("alice", display_name="Alice 王", company="星河影业", city="北京")


@pytest.fixture
def bob(make_member: Callable[..., Membership]) -> Membership:
    return make_member("bob", display_name="Bob 李", company="山海音乐", city="上海")


@pytest.fixture
def carol(make_member: Callable[..., Membership]) -> Membership:
    return make_member("carol", display_name="Carol 陈", city="杭州")


@pytest.fixture
def other_circle(make_user: Callable[..., User]) -> Circle:
    return circle_create(
        creator=make_user("stranger_org"), name="别的圈子", slug="other", display_name="外人"
    )


@pytest.fixture
def outsider(other_circle: Circle) -> Membership:
    """The organizer of another circle: a real member, but not of ours."""
    return Membership.objects.select_related("card", "user").get(circle=other_circle)


def tie_snapshot() -> Snapshot:
    """Every tie's state and the audit row count: a refused change must leave both as they were."""
    ties = list(
        Tie.objects.order_by("pk").values_list(
            "pk", "status", "declared_by_id", "kind", "since_year", "created_at", "confirmed_at"
        )
    )
    return ties, AuditEvent.objects.count()
