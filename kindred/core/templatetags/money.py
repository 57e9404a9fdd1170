"""`{% load money %}`: `{{ fen|yuan }}` shows integer fen as yuan ("2.50"), the same everywhere."""

from __future__ import annotations

from django import template

from kindred.core.money import fen_to_yuan

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """250 → "2.50"; None → "0.00"."""
    return fen_to_yuan(int(fen or 0))
