"""What the ties app publishes for other apps' code: the kinds and statuses of a tie (their values are stored
by other apps too, e.g. the trust graph's weights by kind). Read ties through kindred.ties.selectors."""

from .models import Tie

TieKind = Tie.Kind
TieStatus = Tie.Status

__all__ = ["TieKind", "TieStatus"]
