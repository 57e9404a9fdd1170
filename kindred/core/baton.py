"""The request baton: one request of a server process runs Python at a time, and passes the baton on where it
would wait.

Why: a server process runs requests on `REQUEST_THREADS` threads (kindred/core/asgi.py), but Python runs one
thread at a time (the GIL). Left to the GIL, eight requests in flight take turns at every database call (the
sqlite3 and psycopg drivers let go of the GIL around each statement and each row), so a page changed threads
~250 times and cost twice the CPU it costs alone (measured with wrk, 8 connections, on the circle home: 7.0 ms
of CPU a request against 4.0 with one connection; 245 voluntary context switches a request against 11, a
third of the CPU in the kernel). Under the baton, requests take turns where turns are worth it:

- at the end of a request;
- around a statement that may wait: every statement on a networked database (PostgreSQL: the round trip is
  time another request can use), and on SQLite only what may wait for the write lock (`BEGIN IMMEDIATE`, a
  write outside a transaction; reads under WAL never wait);
- at a statement of a request that has held the baton past `SLICE_SECONDS` while others wait, so a long
  request does not hold up short ones for longer than that.

The baton is handed over first come, first served: the request giving it wakes the longest waiter directly
(no herd, no barging). Code outside the request threads (the event loop, WebSocket consumers, the in-process
background worker) never takes it and runs as before.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from time import monotonic
from typing import Any

SLICE_SECONDS = 0.02  # a request holding the baton longer passes it on at its next statement if others wait

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC", "BEGIN")


class Baton:
    """A lock handed over in arrival order: `take` waits its turn, `give` wakes the next waiter."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiters: deque[threading.Lock] = deque()
        self._mine = threading.local()

    def take(self) -> None:
        with self._mutex:
            if not self._held:
                self._held = True
                gate = None
            else:
                gate = threading.Lock()
                gate.acquire()
                self._waiters.append(gate)
        if gate is not None:
            gate.acquire()  # the giver released it: the baton is ours
        self._mine.since = monotonic()

    def give(self) -> None:
        self._mine.since = None
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().release()  # stays held: handed over
            else:
                self._held = False

    def busy(self) -> bool:
        """Whether a request holds the baton."""
        return self._held

    def waiting(self) -> int:
        """How many requests wait for it."""
        return len(self._waiters)

    def held_here(self) -> bool:
        """Whether this thread holds the baton."""
        return getattr(self._mine, "since", None) is not None

    def overdue(self) -> bool:
        """Whether this thread has held the baton past its slice while another waits."""
        since = getattr(self._mine, "since", None)
        return since is not None and bool(self._waiters) and monotonic() - since > SLICE_SECONDS

    @contextmanager
    def held(self) -> Iterator[None]:
        self.take()
        try:
            yield
        finally:
            self.give()

    @contextmanager
    def passed_on(self) -> Iterator[None]:
        """Let others run while this thread waits (it takes the baton back, in turn, after)."""
        self.give()
        try:
            yield
        finally:
            self.take()


def may_wait(sql: str, *, networked: bool, in_transaction: bool) -> bool:
    """Whether a statement may wait on something other than this process's CPU."""
    if networked:
        return True
    head = sql.lstrip()[:6].upper()
    if head.startswith("BEGIN"):
        return True
    return not in_transaction and head.startswith(_WRITES)


def query_wrapper(baton: Baton) -> Callable[..., Any]:
    """A Django `execute_wrapper` passing `baton` on around the statements that may wait, and at a statement
    of a request past its slice."""

    def around(
        execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
    ) -> Any:
        if not baton.held_here():
            return execute(sql, params, many, context)
        connection = context["connection"]
        networked = connection.vendor != "sqlite"
        if baton.overdue() or may_wait(sql, networked=networked, in_transaction=connection.in_atomic_block):
            with baton.passed_on():
                return execute(sql, params, many, context)
        return execute(sql, params, many, context)

    return around
