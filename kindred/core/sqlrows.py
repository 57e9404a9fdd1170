"""Model instances from a hand-written SQL statement's row, converted as the ORM converts them.

For a read on most requests whose ORM query took longer to build than the database took to answer: the
statement is built once from the models; each row's values go through the backend's and the fields'
converters (aware datetimes on SQLite, for one), then `Model.from_db`, as the ORM does."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import connection

T = TypeVar("T")

# (index in the model's columns, the column, its converters)
Converters = list[tuple[int, Any, list[Any]]]


def column_converters(fields: list[Any], alias: str) -> Converters:
    """The converters of these fields' columns (read under the table alias `alias`) on this connection."""
    converters = []
    for i, f in enumerate(fields):
        col = f.get_col(alias)
        funcs = connection.ops.get_db_converters(col) + f.get_db_converters(connection)
        if funcs:
            converters.append((i, col, funcs))
    return converters


def instance_from_row(model: Any, row: Any, start: int, attnames: list[str], converters: Converters) -> Any:
    """The `model` instance read from `row[start : start + len(attnames)]` (its concrete fields' attnames)."""
    values = list(row[start : start + len(attnames)])
    for i, col, funcs in converters:
        for func in funcs:
            values[i] = func(values[i], col, connection)
    return model.from_db(connection.alias, attnames, values)


def select_columns(columns: Sequence[tuple[Any, str, str]]) -> tuple[str, Converters]:
    """The SELECT list of these (model, table alias, field name) columns, quoted, and their converters on
    this connection (each indexed by its place in the list), for a statement joining several tables."""
    qn = connection.ops.quote_name
    names: list[str] = []
    converters: Converters = []
    for i, (model, alias, name) in enumerate(columns):
        f = model._meta.get_field(name)
        names.append(f"{alias}.{qn(f.column)}")
        converters += [(i, col, funcs) for _, col, funcs in column_converters([f], alias)]
    return ", ".join(names), converters


def fetch_converted(sql: str, params: list[Any], converters: Converters) -> list[list[Any]]:
    """The rows of `sql`, each a list of values converted as the ORM converts them."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [list(r) for r in cursor.fetchall()]
    for row in rows:
        for i, col, funcs in converters:
            for func in funcs:
                row[i] = func(row[i], col, connection)
    return rows


def per_backend(build: Callable[[], T]) -> Callable[[], T]:
    """`build()`'s result, built once per database backend (a statement quoted and converted for it)."""
    built: dict[str, T] = {}

    def get() -> T:
        if connection.vendor not in built:
            built[connection.vendor] = build()
        return built[connection.vendor]

    return get
