"""Accounts test fixtures: a user, and clients from distinct IP addresses."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client


@pytest.fixture
def client_from() -> Callable[[str], Client]:
    """A test client whose requests come from the given IP address."""

    def make(ip: str) -> Client:
        return Client(REMOTE_ADDR=ip)

    return make


@pytest.fixture
def alice(make_user: Callable[..., User]) -> User:
    return make_user("alice")
