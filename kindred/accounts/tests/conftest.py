"""Accounts test fixtures: clients from distinct IP addresses, and a stand-in for `circles:home` while the
circles app has not yet published its URLs (base.html links to it on every page)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from pytest_django.fixtures import Settings


@pytest.fixture(autouse=True)
def _circles_home_available(settings: Settings) -> None:
    try:
        reverse("circles:home")
    except NoReverseMatch:
        settings.ROOT_URLCONF = "kindred.accounts.tests.urls_with_home"


@pytest.fixture
def client_from() -> Callable[[str], Client]:
    """A test client whose requests come from the given IP address."""

    def make(ip: str) -> Client:
        return Client(REMOTE_ADDR=ip)

    return make
