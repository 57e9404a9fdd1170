"""`kindred ledger verify`: check every invariant of the ledger and the envelopes; exit 1 naming the rows."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kindred.wallet.verify import ledger_verify


class Command(BaseCommand):
    help = "Ledger tools. `verify`: check every ledger and envelope invariant (exit status 1 on a problem)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        problems = ledger_verify()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"ledger verify: {len(problems)} problem(s)")
        self.stdout.write("ledger verify: ok")
