"""Every state change of accounts: personal API tokens."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kindred.core.services import Conflict, NotFound, ServiceError, audit_record
from kindred.core.text import clean_line
from kindred.core.tokens import new_token

from .audit import Action
from .models import MAX_ACTIVE_TOKENS, TOKEN_NAME_MAX_LENGTH, TOKEN_PREFIX, TOKEN_PREFIX_LENGTH, ApiToken
from .selectors import token_hash

TOKEN_RANDOM_BYTES = 32


def _clean_name(name: str) -> str:
    cleaned = clean_line(name, label=_("Token name"), max_length=TOKEN_NAME_MAX_LENGTH)
    if not cleaned:
        raise ServiceError(_("Give the token a name."))
    return cleaned


@transaction.atomic
def token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new personal API token. The raw token is returned once; only its SHA-256 is kept."""
    cleaned = _clean_name(name)
    # Lock the owner so two concurrent creations cannot both pass the limit.
    User.objects.select_for_update().filter(pk=user.pk).get()
    active = ApiToken.objects.filter(user=user, revoked_at__isnull=True).count()
    if active >= MAX_ACTIVE_TOKENS:
        raise Conflict(
            _("You already have %(n)d active tokens; revoke one first.") % {"n": MAX_ACTIVE_TOKENS}
        )
    raw = TOKEN_PREFIX + new_token(TOKEN_RANDOM_BYTES)
    token = ApiToken.objects.create(
        user=user, name=cleaned, prefix=raw[:TOKEN_PREFIX_LENGTH], token_hash=token_hash(raw)
    )
    audit_record(action=Action.TOKEN_CREATE, actor=user, target=token, data={"name": cleaned})
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken, user: User) -> ApiToken:
    """Revoke one of `user`'s tokens. Someone else's token is not found; revoking twice changes nothing."""
    locked = ApiToken.objects.select_for_update().filter(pk=token.pk, user=user).first()
    if locked is None:
        raise NotFound(_("Token not found."))
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(action=Action.TOKEN_REVOKE, actor=user, target=locked, data={"name": locked.name})
    return locked


def account_anonymize(*, user: User) -> User:
    """Turn a deleted account into a tombstone: a name that says nothing (deleted-<id>), no email, no
    password, inactive (every session ends: an inactive user is signed out on the next request), its API
    tokens deleted. The row stays so the ledger and the audit log keep pointing at someone. Called by the
    account deletion inside its transaction, which writes the audit row."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    ApiToken.objects.filter(user=locked).delete()
    locked.username = f"deleted-{locked.pk}"
    locked.first_name = ""
    locked.last_name = ""
    locked.email = ""
    locked.is_active = False
    locked.is_staff = False
    locked.is_superuser = False
    locked.set_unusable_password()
    locked.save()
    return locked
