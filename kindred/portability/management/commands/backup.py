"""`kindred backup PATH`: the database, the task store and the generated secret key in one file
(kindred.portability.backup says what and how). Safe while the server runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up Kindred (database, task store, generated secret key) into one new file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the backup file to write (must not exist)")
        parser.add_argument(
            "--no-secret-key", action="store_true", help="leave the generated secret key out of the file"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup(options["path"], secret_key=not options["no_secret_key"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"backup written: {options['path']} ({manifest.engine}; {', '.join(manifest.files)})"
        )
