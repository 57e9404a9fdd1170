"""`kindred restore PATH`: load a backup made by `kindred backup` (checked first; an installation that
already has accounts is replaced only with --force). Stop the server first, and start it again after."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore Kindred from a file written by `kindred backup`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the backup file")
        parser.add_argument(
            "--force", action="store_true", help="replace a database that already holds accounts"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = restore(options["path"], force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"restored from {options['path']} ({manifest.engine}, made {manifest.created_at}); "
            "restart the server"
        )
