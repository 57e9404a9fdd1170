"""`kindred asks route --history H.jsonl --questions Q.jsonl --out R.jsonl [--top 20]`: the ask router
(kindred.conversation.routing, Django-free) on JSON-lines files; the same as
`python -m kindred.conversation.routing route ...`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kindred.conversation.routing.cli import main


class Command(BaseCommand):
    help = "Ask routing. `route`: rank who is likely to answer each question (see --help of route)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "args", nargs="*", help="route --history FILE --questions FILE --out FILE [--top N]"
        )

    def run_from_argv(self, argv: list[str]) -> None:
        # The router's own parser reads the sub-command and its options; Django's would reject them.
        code = main(argv[2:])
        if code:
            raise SystemExit(code)

    def handle(self, *args: Any, **options: Any) -> None:
        code = main(list(args))
        if code:
            raise CommandError(f"asks exited with status {code}")
