from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kindred.core.services import NotFound
from kindred.core.tokens import token_hash

from .models import TOKEN_PREFIX, ApiToken

MAX_ID = 2**63 - 1  # a database bigint: a larger id is simply not found (never a 500)


def token_get_active(*, raw: str) -> ApiToken | None:
    """The active token for a raw `kdr_…` string, with its user, or None."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    return (
        ApiToken.objects.select_related("user")
        .filter(token_hash=token_hash(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def token_list(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def token_get_for_user(*, user: User, token_id: int) -> ApiToken:
    """One of `user`'s tokens by id; another user's token is not found."""
    token = ApiToken.objects.filter(user=user, pk=token_id).first() if 0 < token_id <= MAX_ID else None
    if token is None:
        raise NotFound(_("Token not found."))
    return token
