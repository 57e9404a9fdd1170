"""The running system's expiry: a daemon thread that refunds expired envelopes every EXPIRY_SWEEP_SECONDS.

`kindred serve` starts it (one per server, whatever the number of workers); each sweep is the same
idempotent work as `kindred envelopes expire`, so two servers on one database do no harm.
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections, connection

from .models import EXPIRY_SWEEP_SECONDS

log = logging.getLogger(__name__)


def sweep_once() -> tuple[int, int]:
    from .services import envelopes_expire_due

    close_old_connections()
    try:
        return envelopes_expire_due()
    finally:
        connection.close()


def _loop(stop: threading.Event, interval: float) -> None:
    while not stop.is_set():
        try:
            sweep_once()
        except Exception:  # keep sweeping: a failed round is retried at the next one
            log.exception("envelope expiry sweep failed")
        stop.wait(interval)


def start_expiry_sweeper(interval: float = EXPIRY_SWEEP_SECONDS) -> threading.Event:
    """Start the sweeper thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=_loop, args=(stop, interval), name="envelope-expiry", daemon=True).start()
    return stop
