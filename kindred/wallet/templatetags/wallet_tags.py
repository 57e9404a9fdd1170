from django import template

from kindred.wallet.money import fen_to_yuan

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """250 → "2.50"."""
    return fen_to_yuan(int(fen or 0))
