"""token_get_active's hand-built statement reads what the ORM's select_related reads, and nothing stale."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kindred.accounts.models import ApiToken
from kindred.accounts.selectors import token_get_active
from kindred.accounts.services import token_create, token_revoke


def _fields(obj: Any) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_the_token_and_its_user_equal_the_orms_in_one_query(alice: User) -> None:
    token, raw = token_create(user=alice, name="t")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    alice.last_login = timezone.now()
    alice.first_name = "爱丽丝"
    alice.save()
    with CaptureQueriesContext(connection) as queries:
        got = token_get_active(raw=raw)
        assert got is not None
        user = got.user  # already there, as select_related leaves it
    assert len(queries) == 1
    orm = ApiToken.objects.select_related("user").get(pk=token.pk)
    assert _fields(got) == _fields(orm)
    assert _fields(user) == _fields(orm.user)
    assert got.last_used_at is not None and got.last_used_at.tzinfo is not None
    assert user.is_authenticated and not got._state.adding and got._state.db == orm._state.db


def test_a_revocation_or_a_deactivation_counts_at_once(alice: User, make_user: Any) -> None:
    token, raw = token_create(user=alice, name="t")
    _other, other_raw = token_create(user=make_user("bob"), name="t")
    assert token_get_active(raw=raw) is not None
    token_revoke(token=token, user=alice)
    assert token_get_active(raw=raw) is None
    assert token_get_active(raw=other_raw) is not None
    User.objects.filter(username="bob").update(is_active=False)
    assert token_get_active(raw=other_raw) is None


@pytest.mark.parametrize("raw", ["kdr_unknown", "kdr_' OR 1=1 --", "kdr_\x00"])
def test_an_unknown_token_is_none(alice: User, raw: str) -> None:
    token_create(user=alice, name="t")
    assert token_get_active(raw=raw) is None
