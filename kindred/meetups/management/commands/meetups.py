"""`kindred meetups remind`: remind everyone going to a meetup that starts within a day (once each).

Idempotent: run it from cron as often as you like (every 15 minutes is plenty)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kindred.meetups.services import reminders_send


class Command(BaseCommand):
    help = "Meetup chores. `remind`: send the reminders that are due (in-app and by email), once each."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["remind"])

    def handle(self, *args: Any, **options: Any) -> None:
        sent = reminders_send()
        self.stdout.write(f"{sent} reminder(s) sent")
