from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Field, Schema

from kindred.core.text import PASSWORD_MAX_LENGTH, OneLine, Verbatim

from .models import TOKEN_NAME_MAX_LENGTH

DEFAULT_API_TOKEN_NAME = "API"  # noqa: S105 (a label, not a secret)
CREDENTIAL_MAX_LENGTH = 150  # Django's username length; passwords are capped only to bound the work.


class TokenIn(Schema):
    # Control characters are refused with a 422 before any lookup (PostgreSQL cannot even compare a NUL).
    username: Annotated[str, Field(min_length=1, max_length=CREDENTIAL_MAX_LENGTH), OneLine]
    password: Annotated[str, Field(min_length=1, max_length=PASSWORD_MAX_LENGTH), Verbatim]
    name: Annotated[str, Field(min_length=1, max_length=TOKEN_NAME_MAX_LENGTH), OneLine] = (
        DEFAULT_API_TOKEN_NAME
    )


class TokenCreatedOut(Schema):
    token: str
    id: int
    name: str
    prefix: str


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    is_active: bool


class MeCircleOut(Schema):
    slug: str
    name: str
    role: str


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    circles: list[MeCircleOut]
