from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kindred.core.services import NotFound
from kindred.core.sqlrows import Converters, column_converters, instance_from_row, per_backend, select_columns
from kindred.core.tokens import token_hash

from .models import TOKEN_PREFIX, ApiToken

MAX_ID = 2**63 - 1  # a database bigint: a larger id is simply not found (never a 500)


def token_get_active(*, raw: str) -> ApiToken | None:
    """The active token for a raw `kdr_…` string, with its user, or None (revoked, or its user inactive).

    Every Bearer request asks this, so it is one SQL statement built once from the models (with the
    backend's converters for each column, applied as the ORM does): the ORM spent most of its time building
    `ApiToken.objects.select_related("user").filter(...)`. Nothing is kept between calls: a revocation or a
    deactivation counts at the next request. A test holds it equal to the ORM's."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    built = _token_query.get(connection.vendor)
    if built is None:
        built = _token_query[connection.vendor] = _token_query_build()
    sql, parts = built
    with connection.cursor() as cursor:
        cursor.execute(sql, [token_hash(raw)])
        row = cursor.fetchone()
    if row is None:
        return None
    token, user = (
        instance_from_row(model, row, *part) for model, part in zip((ApiToken, User), parts, strict=True)
    )
    ApiToken._meta.get_field("user").set_cached_value(token, user)  # as select_related does
    return token


# vendor -> (SQL, for the token then the user: (first column, attnames, converters))
_token_query: dict[str, tuple[str, list[tuple[int, list[str], Converters]]]] = {}


def _token_query_build() -> tuple[str, list[tuple[int, list[str], Converters]]]:
    qn = connection.ops.quote_name
    columns: list[str] = []
    parts = []
    for model, alias in ((ApiToken, "t"), (User, "u")):
        fields: list[Any] = list(model._meta.concrete_fields)
        parts.append((len(columns), [f.attname for f in fields], column_converters(fields, alias)))
        columns += [f"{alias}.{qn(f.column)}" for f in fields]
    sql = (
        f"SELECT {', '.join(columns)} FROM {qn(ApiToken._meta.db_table)} t "  # noqa: S608 (names from models)
        f"INNER JOIN {qn(User._meta.db_table)} u ON u.id = t.user_id "
        "WHERE t.token_hash = %s AND t.revoked_at IS NULL AND u.is_active"
    )
    return sql, parts


def token_list(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def token_get_for_user(*, user: User, token_id: int) -> ApiToken:
    """One of `user`'s tokens by id; another user's token is not found."""
    token = ApiToken.objects.filter(user=user, pk=token_id).first() if 0 < token_id <= MAX_ID else None
    if token is None:
        raise NotFound(_("Token not found."))
    return token


def user_for_session(*, user_id: Any) -> User | None:
    """The user a session names, or None: the read behind `request.user` on every signed-in page.

    One SQL statement built once per backend from the model (the ORM's `User.objects.get` spent most of its
    time building the query), converted as the ORM converts. Nothing is kept between requests: a password
    change (the session hash), a deactivation or a deletion counts at the next one. A test holds it equal
    to the ORM's."""
    try:
        pk = User._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    if not isinstance(pk, int) or not 0 < pk <= MAX_ID:
        return None
    sql, attnames, converters = _user_query()
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    return None if row is None else instance_from_row(User, row, 0, attnames, converters)


def _user_query_build() -> tuple[str, list[str], Converters]:
    fields: list[Any] = list(User._meta.concrete_fields)
    columns, converters = select_columns([(User, "u", f.name) for f in fields])
    table = connection.ops.quote_name(User._meta.db_table)
    sql = f"SELECT {columns} FROM {table} u WHERE u.id = %s"  # noqa: S608 (names from the model)
    return sql, [f.attname for f in fields], converters


_user_query = per_backend(_user_query_build)
