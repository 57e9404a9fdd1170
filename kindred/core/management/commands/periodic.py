"""`kindred periodic`: run every periodic job once (what `kindred serve` runs on a timer), e.g. from cron."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kindred.core import periodic


class Command(BaseCommand):
    help = "Run every periodic job once: refund expired envelopes, send meetup reminders, close overdue introductions."

    def handle(self, *args: Any, **options: Any) -> None:
        for job in periodic.default_jobs():
            result = periodic.run_once(job)
            self.stdout.write(f"{job.name}: {result}")
