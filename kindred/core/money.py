"""Money as people read and type it, for every app: integer fen in the database and the API, yuan on the page.

Templates use `{% load money %}` and `{{ fen|yuan }}`; messages, commands and exports call `fen_to_yuan`;
forms take yuan as a Decimal and turn it into fen with `to_fen`. Exact: no float anywhere."""

from __future__ import annotations

from decimal import Decimal

FEN_PER_YUAN = 100


def fen_to_yuan(fen: int) -> str:
    """ "2.50" for 250 fen, "1,234.00" for 123400, a sign for negative amounts."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), FEN_PER_YUAN)
    return f"{sign}{whole:,}.{cents:02d}"


def to_fen(yuan: Decimal) -> int:
    """Typed yuan (two decimals) as integer fen."""
    return int((yuan * FEN_PER_YUAN).to_integral_value())


def yuan_decimal(fen: int) -> Decimal:
    """Fen as the Decimal yuan a form field shows."""
    return Decimal(fen) / FEN_PER_YUAN
