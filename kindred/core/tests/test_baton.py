"""The request baton (kindred/core/baton.py) with real threads and a real SQLite file: turns in arrival order,
passed on where a request would wait for the write lock, and at a statement of a request past its slice."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from time import monotonic
from typing import Any

import pytest
from django.db import connections
from django.db.backends.sqlite3.base import DatabaseWrapper

from kindred.core.baton import SLICE_SECONDS, Baton, may_wait, query_wrapper

DEADLINE = 10.0  # seconds any wait below may take before the test fails (a stall, not a slow machine)


def until(condition: Callable[[], bool]) -> None:
    """Wait for `condition` (polled), failing after DEADLINE."""
    end = monotonic() + DEADLINE
    pause = threading.Event()
    while not condition():
        assert monotonic() < end, "timed out"
        pause.wait(0.001)


def started(target: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def sqlite_file(tmp_path: Path, django_db_blocker: Any) -> Iterator[Callable[[], DatabaseWrapper]]:
    """A file database in WAL mode, and a factory of real Django connections to it (one per thread), set up as
    Kindred's own: BEGIN IMMEDIATE, a busy timeout longer than the test's deadline."""
    path = tmp_path / "baton.sqlite3"
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
    settings = connections.configure_settings(
        {
            "default": {"ENGINE": "django.db.backends.dummy"},
            "baton": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(path),
                "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 3 * DEADLINE},
            },
        }
    )["baton"]
    opened: list[DatabaseWrapper] = []

    def connect() -> DatabaseWrapper:
        wrapper = DatabaseWrapper(settings, alias="baton")
        opened.append(wrapper)
        return wrapper

    with django_db_blocker.unblock():
        yield connect
        for wrapper in opened:
            wrapper.inc_thread_sharing()  # opened in the test's threads, closed here
            wrapper.close()


def test_turns_in_arrival_order() -> None:
    baton = Baton()
    order: list[str] = []
    baton.take()

    def request(name: str) -> Callable[[], None]:
        def run() -> None:
            with baton.held():
                order.append(name)

        return run

    first = started(request("first"))
    until(lambda: baton.waiting() == 1)
    second = started(request("second"))
    until(lambda: baton.waiting() == 2)
    order.append("holder")
    baton.give()
    first.join(DEADLINE)
    second.join(DEADLINE)
    assert order == ["holder", "first", "second"]
    assert not baton.busy() and baton.waiting() == 0


@pytest.mark.parametrize(
    ("sql", "networked", "in_transaction", "waits"),
    [
        ("SELECT 1", True, False, True),  # PostgreSQL: every round trip
        ("SELECT 1", False, False, False),  # SQLite reads under WAL never wait
        ("BEGIN IMMEDIATE", False, False, True),  # the write lock
        ("  insert into note values (1)", False, False, True),  # a write outside a transaction takes it
        ("INSERT INTO note VALUES (1)", False, True, False),  # inside one, it is already held
        ('UPDATE "note" SET body = 1', False, True, False),
        ("SAVEPOINT s1", False, True, False),
    ],
)
def test_which_statements_may_wait(sql: str, networked: bool, in_transaction: bool, waits: bool) -> None:
    assert may_wait(sql, networked=networked, in_transaction=in_transaction) is waits


def test_a_request_waiting_for_the_write_lock_lets_the_others_run(
    sqlite_file: Callable[[], DatabaseWrapper], tmp_path: Path
) -> None:
    baton = Baton()
    around = query_wrapper(baton)
    blocker = sqlite3.connect(tmp_path / "baton.sqlite3", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process (or the background worker) is writing
    blocker.execute("INSERT INTO note (body) VALUES ('held')")
    wrote = threading.Event()
    read: list[int] = []

    def writer() -> None:
        db = sqlite_file()
        with baton.held(), db.execute_wrapper(around), db.cursor() as cursor:
            cursor.execute("BEGIN IMMEDIATE")  # waits for the blocker, without the baton
            cursor.execute("INSERT INTO note (body) VALUES ('mine')")
            cursor.execute("COMMIT")
        wrote.set()

    def reader() -> None:
        db = sqlite_file()
        with baton.held(), db.execute_wrapper(around), db.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM note")
            read.append(cursor.fetchone()[0])

    writing = started(writer)
    until(lambda: not baton.busy())  # the writer is in BEGIN IMMEDIATE and passed the baton on
    reading = started(reader)
    reading.join(DEADLINE)
    assert read == [0] and not wrote.is_set()  # the read ran while the write lock was still taken
    blocker.execute("COMMIT")
    blocker.close()
    writing.join(DEADLINE)
    assert wrote.is_set()


def test_a_request_past_its_slice_passes_the_baton_at_its_next_statement(
    sqlite_file: Callable[[], DatabaseWrapper],
) -> None:
    baton = Baton()
    around = query_wrapper(baton)
    order: list[str] = []
    db = sqlite_file()
    baton.take()

    def short_request() -> None:
        with baton.held():
            order.append("short")

    short = started(short_request)
    until(lambda: baton.waiting() == 1)
    begun = monotonic()
    while monotonic() - begun <= SLICE_SECONDS:  # a long request's own work, holding the baton
        pass
    with db.execute_wrapper(around), db.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM note")
        order.append("long, after its statement")
    baton.give()
    short.join(DEADLINE)
    assert order == ["short", "long, after its statement"]


def test_a_request_within_its_slice_keeps_the_baton(sqlite_file: Callable[[], DatabaseWrapper]) -> None:
    baton = Baton()
    around = query_wrapper(baton)
    order: list[str] = []
    db = sqlite_file()
    baton.take()

    def other() -> None:
        with baton.held():
            order.append("other")

    waiter = started(other)
    until(lambda: baton.waiting() == 1)
    with db.execute_wrapper(around), db.cursor() as cursor:
        cursor.execute("SELECT 1")  # a read on SQLite, within the slice: no turn taken
        order.append("holder")
    baton.give()
    waiter.join(DEADLINE)
    assert order == ["holder", "other"]
