"""`kindred envelopes expire`: refund every expired envelope's unclaimed shares now (idempotent).

The running server (`kindred serve`) does the same every EXPIRY_SWEEP_SECONDS; this is the on-demand way.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kindred.core.money import fen_to_yuan
from kindred.wallet.services import envelopes_expire_due


class Command(BaseCommand):
    help = "Red envelopes. `expire`: refund the unclaimed shares of every envelope past its expiry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["expire"])

    def handle(self, *args: Any, **options: Any) -> None:
        count, refunded = envelopes_expire_due()
        self.stdout.write(f"expired {count} envelope(s), refunded {fen_to_yuan(refunded)} yuan")
