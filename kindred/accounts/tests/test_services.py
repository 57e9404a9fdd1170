from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User

from kindred.accounts.models import MAX_ACTIVE_TOKENS, TOKEN_NAME_MAX_LENGTH, ApiToken
from kindred.accounts.selectors import token_get_active, token_get_for_user, token_list
from kindred.accounts.services import token_create, token_revoke
from kindred.core.models import AuditEvent
from kindred.core.services import Conflict, NotFound, ServiceError


def test_token_create_returns_the_raw_token_once_and_stores_only_its_hash(alice: User) -> None:
    token, raw = token_create(user=alice, name="  my   script ")
    assert raw.startswith("kdr_") and len(raw) == len("kdr_") + 43
    assert token.name == "my script"
    assert token.prefix == raw[:12]
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert raw not in {str(value) for value in stored.values()}
    assert token_get_active(raw=raw) == token
    event = AuditEvent.objects.get(action="token_create")
    assert event.actor == alice and event.target_id == token.pk
    assert raw not in str(event.data)


def test_tokens_are_unique(alice: User) -> None:
    raws = {token_create(user=alice, name=f"t{i}")[1] for i in range(5)}
    assert len(raws) == 5


@pytest.mark.parametrize("name", ["", "   ", "x" * (TOKEN_NAME_MAX_LENGTH + 1)])
def test_token_create_refuses_a_bad_name_and_changes_nothing(alice: User, name: str) -> None:
    with pytest.raises(ServiceError):
        token_create(user=alice, name=name)
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.exists()


def test_active_token_limit_counts_only_active_tokens(alice: User) -> None:
    tokens = [token_create(user=alice, name=f"t{i}")[0] for i in range(MAX_ACTIVE_TOKENS)]
    with pytest.raises(Conflict):
        token_create(user=alice, name="one too many")
    assert ApiToken.objects.filter(user=alice).count() == MAX_ACTIVE_TOKENS
    token_revoke(token=tokens[0], user=alice)
    token_create(user=alice, name="fits again")
    assert ApiToken.objects.filter(user=alice, revoked_at__isnull=True).count() == MAX_ACTIVE_TOKENS


def test_token_revoke_makes_the_token_unusable_and_is_audited(alice: User) -> None:
    token, raw = token_create(user=alice, name="t")
    revoked = token_revoke(token=token, user=alice)
    assert revoked.revoked_at is not None and not revoked.is_active
    assert token_get_active(raw=raw) is None
    assert AuditEvent.objects.filter(action="token_revoke", target_id=token.pk).count() == 1
    token_revoke(token=token, user=alice)  # twice: nothing more happens
    assert AuditEvent.objects.filter(action="token_revoke").count() == 1
    assert list(token_list(user=alice)) == [revoked]


def test_token_revoke_of_someone_elses_token_is_not_found(
    alice: User, make_user: Callable[..., User]
) -> None:
    token, raw = token_create(user=alice, name="t")
    mallory = make_user("mallory")
    with pytest.raises(NotFound):
        token_revoke(token=token, user=mallory)
    with pytest.raises(NotFound):
        token_get_for_user(user=mallory, token_id=token.pk)
    assert token_get_active(raw=raw) == token


@pytest.mark.parametrize("token_id", [0, -1, 2**63, 10**30])
def test_token_get_for_user_with_an_impossible_id_is_not_found(alice: User, token_id: int) -> None:
    with pytest.raises(NotFound):
        token_get_for_user(user=alice, token_id=token_id)


def test_token_get_active_refuses_foreign_strings_and_inactive_users(alice: User) -> None:
    _token, raw = token_create(user=alice, name="t")
    assert token_get_active(raw=raw[4:]) is None
    assert token_get_active(raw=raw + "x") is None
    assert token_get_active(raw="kdr_" + "a" * 300) is None
    alice.is_active = False
    alice.save()
    assert token_get_active(raw=raw) is None
