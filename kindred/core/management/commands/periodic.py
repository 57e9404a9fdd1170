"""`kindred periodic`: run every registered periodic task once (what the background worker runs on its
schedules), e.g. from cron or after downtime."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kindred.core import periodic


class Command(BaseCommand):
    help = "Run every periodic task the apps registered once (envelope refunds, meetup reminders, …)."

    def handle(self, *args: Any, **options: Any) -> None:
        for job, result in periodic.run_all():
            self.stdout.write(f"{job.name}: {result}")
