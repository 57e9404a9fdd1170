"""Model instances from a hand-written SQL statement's row, converted as the ORM converts them.

For a read on most requests whose ORM query took longer to build than the database took to answer: the
statement is built once from the models; each row's values go through the backend's and the fields'
converters (aware datetimes on SQLite, for one), then `Model.from_db`, as the ORM does."""

from __future__ import annotations

from typing import Any

from django.db import connection

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
