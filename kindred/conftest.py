"""Fixtures shared by every app's tests: real users, circles and members made through the services."""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.db import connection

from kindred.circles.models import Circle, Membership
from kindred.circles.services import circle_create, membership_create
from kindred.ties.services import tie_record_sponsor

PASSWORD = "correct horse battery staple"  # noqa: S105
_seq = itertools.count(1)
POSTGRES_ONLY = "needs PostgreSQL: run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/test"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    for item in items:
        if "postgres" in item.keywords:
            if not on_postgres:
                # Skipped before any database fixture runs: no transactional flush on SQLite.
                item.add_marker(pytest.mark.skip(reason=POSTGRES_ONLY))
            # serialized_rollback for every transactional test alike: a flush without it re-creates the
            # content types with new ids (post_migrate), which a later serialized test then cannot restore;
            # and it brings back the rows of data migrations (the curated industries) after the flush.
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Every test starts with an empty cache: rendered fragments and cached structures of an earlier test's
    rows (whose ids and versions a later test's rows may take again) must never answer for this one."""
    from kindred.core.fragments import forget_all

    forget_all()


@pytest.fixture(autouse=True)
def _skip_postgres_only(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip(POSTGRES_ONLY)


@pytest.fixture(autouse=True)
def _curated_industries_after_a_flush(request: pytest.FixtureRequest) -> None:
    """A transactional test starts from a flushed database; serialized_rollback brings the data migrations'
    rows back only when the database was serialized before any flush in this process, which test order
    does not promise (a browser test failed on "unknown industry: music" after other tests). The curated
    industries are loaded again, by the data migration's own function, when they are missing."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    if "live_server" in request.fixturenames:
        request.getfixturevalue("live_server")
    from kindred.circles.models import Industry

    if not Industry.objects.filter(circle__isnull=True).exists():
        from django.apps import apps

        importlib.import_module("kindred.circles.migrations.0002_curated_industries").load(apps, None)


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(username: str | None = None, **extra: object) -> User:
        name = username or f"user{next(_seq)}"
        extra.setdefault("email", f"{name}@example.com")
        return User.objects.create_user(username=name, password=PASSWORD, **extra)  # type: ignore[arg-type]

    return make


@pytest.fixture
def organizer(make_user: Callable[..., User]) -> User:
    return make_user("organizer", first_name="老周")


@pytest.fixture
def circle(organizer: User) -> Circle:
    return circle_create(
        creator=organizer,
        name="新文娱产业群",
        slug="xinwenyu",
        display_name="老周",
        nomination_policy="members_after_days",
        nominate_after_days=0,
    )


@pytest.fixture
def origin(circle: Circle) -> Membership:
    return Membership.objects.get(circle=circle, sponsor__isnull=True)


@pytest.fixture
def make_member(make_user: Callable[..., User], origin: Membership) -> Callable[..., Membership]:
    """A member who joined under `sponsor` (the origin by default), with the sponsor tie, as an invitation would."""

    def make(
        username: str | None = None,
        *,
        sponsor: Membership | None = None,
        role: str = Membership.Role.MEMBER,
        **card: object,
    ) -> Membership:
        user = make_user(username)
        parent = sponsor or origin
        m = membership_create(
            circle=parent.circle, user=user, sponsor=parent, role=role, card_fields=dict(card) or None
        )
        tie_record_sponsor(sponsor=parent, invitee=m)
        return m

    return make
