from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from kindred.circles.selectors import circle_list_for_user
from kindred.core.schemas import ERRORS

from . import services
from .schemas import MeCircleOut, MeOut, TokenCreatedOut, TokenIn, TokenOut
from .selectors import token_get_for_user, token_list
from .throttle import LOCKED_STATUS, lockout_message

router = Router(tags=["accounts"])


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@router.post(
    "/auth/token",
    auth=None,
    response={201: TokenCreatedOut, **ERRORS},
    summary="Create a personal API token from a username and password",
)
def auth_token(request: HttpRequest, payload: TokenIn) -> Status[Any]:
    # authenticate() with the request, so django-axes counts the failure per account and per IP.
    user = authenticate(request=request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        return Status(LOCKED_STATUS, {"detail": lockout_message()})
    if user is None:
        return Status(401, {"detail": _("Wrong username or password.")})
    token, raw = services.token_create(user=user, name=payload.name)
    return Status(201, {"token": raw, "id": token.pk, "name": token.name, "prefix": token.prefix})


@router.get("/me", response={200: MeOut, **ERRORS}, summary="The signed-in user and their circles")
def me(request: HttpRequest) -> dict[str, Any]:
    user = _user(request)
    return {
        "id": user.pk,
        "username": user.get_username(),
        "display_name": user.get_full_name() or user.get_username(),
        "email": user.email,
        "circles": [
            MeCircleOut(slug=m.circle.slug, name=m.circle.name, role=m.role)
            for m in circle_list_for_user(user=user)
        ],
    }


@router.get(
    "/me/tokens", response={200: list[TokenOut], **ERRORS}, summary="My API tokens (active and revoked)"
)
def me_tokens(request: HttpRequest) -> Any:
    return list(token_list(user=_user(request)))


@router.delete("/me/tokens/{token_id}", response={204: None, **ERRORS}, summary="Revoke one of my tokens")
def me_token_revoke(request: HttpRequest, token_id: int) -> Status[None]:
    user = _user(request)
    services.token_revoke(token=token_get_for_user(user=user, token_id=token_id), user=user)
    return Status(204, None)
