from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router
from ninja.security import HttpBearer

from .models import ApiToken
from .selectors import token_get_active

# last_used_at is written at most this often per token, so reads stay reads.
TOKEN_TOUCH_INTERVAL_SECONDS = 300


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = token_get_active(raw=token)
        if api_token is None:
            return None
        now = timezone.now()
        if (
            api_token.last_used_at is None
            or (now - api_token.last_used_at).total_seconds() > TOKEN_TOUCH_INTERVAL_SECONDS
        ):
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = api_token.user
        return api_token.user


router = Router(tags=["accounts"])
