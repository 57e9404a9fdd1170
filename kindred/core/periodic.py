"""`kindred periodic`'s runner: every periodic task the apps registered (kindred/<app>/tasks.py), once.

The schedules themselves run on the background engine (kindred/core/tasks.py); this is the on-demand way,
for cron or after downtime. Core names no domain app: the list comes from Huey's registry.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .tasks import PeriodicJob, periodic_jobs


def run_all() -> Iterator[tuple[PeriodicJob, Any]]:
    """Run each registered periodic task once, in name order, yielding (job, its result)."""
    for job in periodic_jobs():
        yield job, job.run()
