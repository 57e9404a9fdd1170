"""The user behind a session (`selectors.user_for_session`, through `accounts.backends.ModelBackend`) is read
in one hand-built statement equal to the ORM's, and nothing about it is kept: a deactivation or a deletion
counts at the next request."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kindred.accounts.backends import ModelBackend
from kindred.accounts.selectors import user_for_session

from .test_sessions import is_signed_in, sign_in


def _fields(obj: Any) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_the_user_equals_the_orms_in_one_query(alice: User) -> None:
    alice.last_login = timezone.now()
    alice.first_name = "爱丽丝"
    alice.save()
    with CaptureQueriesContext(connection) as queries:
        got = user_for_session(user_id=str(alice.pk))  # as the session keeps it
    assert len(queries) == 1
    assert got is not None
    orm = User.objects.get(pk=alice.pk)
    assert _fields(got) == _fields(orm)
    assert got.last_login is not None and got.last_login.tzinfo is not None
    assert got.is_authenticated and not got._state.adding and got._state.db == orm._state.db
    assert got.get_session_auth_hash() == orm.get_session_auth_hash()


@pytest.mark.parametrize("user_id", ["0", "-1", "x", "", None, str(2**63), "1; DROP TABLE auth_user"])
def test_an_id_that_names_no_user_is_none(alice: User, user_id: Any) -> None:
    assert user_for_session(user_id=user_id) is None


def test_signing_in_uses_it_and_a_deactivation_or_deletion_signs_out_at_once(
    alice: User, make_user: Any
) -> None:
    client = sign_in(alice)
    assert client.session["_auth_user_backend"] == "kindred.accounts.backends.ModelBackend"
    assert is_signed_in(client)
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert not is_signed_in(client)
    assert ModelBackend().get_user(alice.pk) is None
    bob = make_user("bob")
    other = sign_in(bob)
    assert is_signed_in(other)
    bob.delete()
    assert not is_signed_in(other)


def test_a_session_from_before_signs_in_again(alice: User) -> None:
    """A session signed in through Django's own backend path (written into it before) is signed out once."""
    client = Client()
    client.force_login(alice)
    session = client.session
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session.save()
    assert not is_signed_in(client)
