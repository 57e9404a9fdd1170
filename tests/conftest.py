"""Fixtures for the whole-system tests.

The shared fixtures of kindred/conftest.py (users, a circle, its origin, members) are re-exported here so
these tests build their data the same way the app tests do: through the services.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from kindred.accounts.services import token_create
from kindred.circles.models import Circle, Membership
from kindred.conftest import (  # noqa: F401  (fixtures, found by pytest through this module)
    PASSWORD,
    _curated_industries_after_a_flush,
    _fresh_cache,
    _skip_postgres_only,
    circle,
    make_member,
    make_user,
    organizer,
    origin,
)
from kindred.invitations.models import Nomination
from kindred.invitations.services import nomination_create

__all__ = ["CHROMIUM", "PASSWORD", "Seeded"]

# Debian's Chromium, driven by Playwright in the browser tests; never a downloaded browser.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread with a
    # running loop unless told this is a test harness.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium: Any) -> Iterator[Callable[..., Any]]:
    """Open pages in fresh browser contexts (`new_page(base_url=..., viewport=..., locale=...)`), each its own
    cookies. The test fails at teardown if any page logged a console error, threw an uncaught error, or had a
    request fail."""
    problems: list[str] = []
    contexts: list[Any] = []

    def open_page(**context_options: Any) -> Any:
        context = chromium.new_context(**context_options)
        contexts.append(context)
        page = context.new_page()
        page.on(
            "console",
            lambda msg: (
                problems.append(f"console error: {msg.text} ({msg.location.get('url', '')})")
                if msg.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.on(
            "requestfailed",
            lambda request: problems.append(
                f"request failed: {request.method} {request.url}: {request.failure}"
            ),
        )
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    """One page in a fresh browser context, checked for console errors like `new_page`'s."""
    return new_page()


@dataclass
class Seeded:
    """A small circle with every kind of row the API exposes: members, ties, a pending nomination."""

    circle: Circle
    origin: Membership
    admin: Membership
    members: list[Membership]
    nomination: Nomination
    tokens: dict[str, str] = field(default_factory=dict)

    def token_for(self, user: User) -> str:
        """A fresh Bearer token for `user` (each call makes a new one, so a revoked token never lingers)."""
        _, raw = token_create(user=user, name=f"test {len(self.tokens) + 1}")
        self.tokens[user.get_username()] = raw
        return raw


@pytest.fixture
def seeded(circle: Circle, origin: Membership, make_member: Callable[..., Membership]) -> Seeded:  # noqa: F811
    admin = make_member("admin1", role=Membership.Role.ADMIN, display_name="管理员小林", city="上海")
    alice = make_member(
        "alice", display_name="王爱丽", company="星河影业", city="北京", offers="做短视频发行"
    )
    bob = make_member("bob", sponsor=alice, display_name="Bob Chen", company="Tidal Games", city="深圳")
    nomination = nomination_create(
        circle=circle,
        nominator=alice,
        name="张三",
        email="zhangsan@example.com",
        relationship=Nomination.Relationship.COLLEAGUE,
        years_known=5,
        closeness=4,
        reason="做了十年动画发行，圈子里缺这一环。",
    )
    return Seeded(circle=circle, origin=origin, admin=admin, members=[alice, bob], nomination=nomination)
