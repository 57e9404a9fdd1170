"""The running system's expiry: a daemon thread that refunds expired envelopes every EXPIRY_SWEEP_SECONDS.

`kindred serve` runs it among the periodic jobs (kindred/core/periodic.py), one runner per server; each sweep is the same
idempotent work as `kindred envelopes expire`, so two servers on one database do no harm.
"""

from __future__ import annotations

import threading

from kindred.core import periodic

from .models import EXPIRY_SWEEP_SECONDS

EXPIRY_JOB = "kindred.wallet.services.envelopes_expire_due"


def sweep_once() -> tuple[int, int]:
    result: tuple[int, int] = periodic.run_once(
        periodic.Job("envelopes-expire", EXPIRY_SWEEP_SECONDS, EXPIRY_JOB)
    )
    return result


def start_expiry_sweeper(interval: float = EXPIRY_SWEEP_SECONDS) -> threading.Event:
    """Start a runner with the expiry job alone; set the returned event to stop it. (`kindred serve` runs
    it among the other periodic jobs: kindred/core/periodic.py.)"""
    return periodic.start([periodic.Job("envelopes-expire", interval, EXPIRY_JOB)], tick=min(interval, 1.0))
