"""Who opens a WebSocket: the browser's session cookie, or an `Authorization: Bearer` token on the handshake.

The stack (kindred/asgi.py), outermost first:

- `OriginOrBearer`: a handshake with an `Origin` header comes from a browser: the origin must be one of
  ALLOWED_HOSTS (channels' AllowedHostsOriginValidator), or it is refused 403. A handshake without an Origin is
  not a browser's: its cookies are dropped, so only a Bearer token can sign it in. No other site's page can
  open a socket riding on a member's session.
- channels' `AuthMiddlewareStack`: the session cookie → `scope["user"]`.
- `BearerTokenMiddleware`: when the handshake has an `Authorization: Bearer` header, the token decides
  (accounts' token lookup, the one the API uses): an unknown, revoked or malformed token is anonymous.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import AllowedHostsOriginValidator
from django.contrib.auth.models import AnonymousUser

from kindred.accounts.selectors import token_get_active

BEARER = "bearer "


def _header(scope: dict[str, Any], name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return None


@database_sync_to_async
def _user_for_token(raw: str) -> Any:
    token = token_get_active(raw=raw)
    return token.user if token is not None else AnonymousUser()


class BearerTokenMiddleware(BaseMiddleware):
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        header = _header(scope, b"authorization")
        if header is not None:
            value = header.decode("latin-1")
            raw = value[len(BEARER) :].strip() if value.lower().startswith(BEARER) else ""
            scope = dict(scope, user=await _user_for_token(raw) if raw else AnonymousUser())
        return await super().__call__(scope, receive, send)


class OriginOrBearer:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.validated = AllowedHostsOriginValidator(app)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if _header(scope, b"origin") is None:
            headers = [(k, v) for k, v in scope.get("headers", ()) if k.lower() != b"cookie"]
            return await self.app(dict(scope, headers=headers), receive, send)
        return await self.validated(scope, receive, send)
