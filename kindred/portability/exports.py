"""Tables to files: CSV (UTF-8 with a BOM, so Excel opens Chinese as Chinese) and XLSX (openpyxl). Both guard
against formula injection: a text cell that starts with = + - @ (or a tab / carriage return, which some
spreadsheet programs strip before reading a formula) is prefixed with an apostrophe, so it stays text."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
SHEET_TITLE_MAX = 31  # Excel's limit


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[Any]]


def safe_cell(value: Any) -> Any:
    """A value ready for a cell: local time for datetimes, text guarded against formulas, numbers as they are."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None, microsecond=0)
    if isinstance(value, bool | int | float | date):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _row(values: Sequence[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_row(table.header))
    for row in table.rows:
        cells = _row(row)
        writer.writerow([c.isoformat(sep=" ") if isinstance(c, datetime) else c for c in cells])
    return out.getvalue().encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = table.title[:SHEET_TITLE_MAX] or "Sheet1"
    sheet.append(_row(table.header))
    for row in table.rows:
        sheet.append(_row(row))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render(table: Table, fmt: str) -> tuple[bytes, str]:
    """The file's bytes and its content type."""
    if fmt == "xlsx":
        return to_xlsx(table), XLSX_TYPE
    return to_csv(table), CSV_TYPE
