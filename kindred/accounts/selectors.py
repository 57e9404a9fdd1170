from __future__ import annotations

import hashlib

from django.contrib.auth.models import User
from django.db.models import QuerySet

from .models import TOKEN_PREFIX, ApiToken


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


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
