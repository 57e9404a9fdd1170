"""How the API knows its caller: a personal token (Bearer) or a browser session with its CSRF token. Published
for the composition root (kindred.api) and for operations that add their own auths (see .importlinter)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

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


class SessionCookieAuth(SessionAuth):
    """A browser session, with its CSRF token: checked only when the request carries a session cookie.

    django-ninja's SessionAuth checks CSRF before it looks for the session, so a client without cookies (a
    script, an invitee accepting over the API) was refused 403 before an operation's later auths (a Bearer
    token, the anonymous accept) were tried. Without a session cookie there is no session to forge a
    request with: this auth declines (None) and the next one runs. With the cookie, the CSRF check runs as
    before and a missing or wrong token is a 403.
    """

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if key is None:
            return None
        return super().authenticate(request, key)
