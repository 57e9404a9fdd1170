"""The running system's timed work: one daemon thread per server runs each job every `every` seconds.

Jobs are the domains' own idempotent services (refund expired envelopes, send meetup reminders, close
overdue introductions); each is safe to run from several processes at once, so two servers on one database
do no harm, and `kindred periodic` runs them all once (for cron, or after downtime).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.db import close_old_connections, connection

log = logging.getLogger(__name__)

# How often the runner wakes up to see which jobs are due.
TICK_SECONDS = 1.0


@dataclass(frozen=True)
class Job:
    name: str
    every: float  # seconds
    target: str | Callable[[], Any]  # a callable, or the dotted path of one

    def run(self) -> Any:
        func = self.target
        if isinstance(func, str):
            module, _, attr = func.rpartition(".")
            func = getattr(import_module(module), attr)
        return func()


def default_jobs() -> list[Job]:
    from kindred.meetups.models import REMINDER_SWEEP_SECONDS
    from kindred.wallet.models import EXPIRY_SWEEP_SECONDS

    return [
        Job("envelopes-expire", EXPIRY_SWEEP_SECONDS, "kindred.wallet.services.envelopes_expire_due"),
        Job("meetup-reminders", REMINDER_SWEEP_SECONDS, "kindred.meetups.services.reminders_send"),
        Job("intros-expire", 600, "kindred.matching.services.intro_expire_due"),
    ]


def run_once(job: Job) -> Any:
    """Run one job on a fresh connection (this thread's own), closing it afterwards."""
    close_old_connections()
    try:
        return job.run()
    finally:
        connection.close()


def _loop(stop: threading.Event, jobs: Sequence[Job], tick: float) -> None:
    next_at = dict.fromkeys((job.name for job in jobs), 0.0)
    while not stop.is_set():
        for job in jobs:
            if time.monotonic() < next_at[job.name]:
                continue
            try:
                run_once(job)
            except Exception:  # keep going: a failed round is retried at the next one
                log.exception("periodic job %s failed", job.name)
            next_at[job.name] = time.monotonic() + job.every
        stop.wait(min(tick, *(job.every for job in jobs)))


def start(jobs: Sequence[Job] | None = None, *, tick: float = TICK_SECONDS) -> threading.Event:
    """Start the runner thread; set the returned event to stop it."""
    chosen = list(default_jobs() if jobs is None else jobs)
    stop = threading.Event()
    threading.Thread(target=_loop, args=(stop, chosen, tick), name="kindred-periodic", daemon=True).start()
    return stop
