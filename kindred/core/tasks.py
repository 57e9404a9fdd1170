"""The background engine: deferred work after a commit, and the timed work of every app.

Why Huey (huey.contrib.djhuey): it runs on SQLite storage with no other server, which keeps the embedded
default (`kindred serve` alone, `make demo`) a single process with a file in the data dir; it runs on Redis
when REDIS_URL is set, for production and CI; periodic tasks are built in, so each app declares its own
schedule next to its own code; it is small, typed enough, and maintained.

How an app uses it (kindred/<app>/tasks.py, found by `autodiscover_modules("tasks")`):

    from kindred.core.tasks import db_task, enqueue_on_commit, periodic

    @db_task()
    def card_changed(member_id: int) -> None: ...           # work after a state change

    enqueue_on_commit(card_changed, member.pk)                # in the service, inside its transaction

    @periodic(every=600, name="intros-expire")              # timed work: every 10 minutes
    def intros_expire() -> int: ...

A task enqueued inside a transaction is sent to the queue only when that transaction commits: a rolled-back
change never runs its follow-up work. `core` names no domain app: the consumer and `kindred periodic` ask
Huey's registry what the apps registered.

Huey's scheduler looks at periodic tasks once a minute. A schedule of `every` seconds that is a multiple of
60 runs on the minutes of the day divisible by every/60; a shorter one that divides 60 (the envelope refunds,
every 30 s) runs at the minute and schedules its own in-between runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from huey.api import Huey, TaskWrapper
from huey.consumer import Consumer
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

__all__ = [
    "HUEY",
    "InProcessConsumer",
    "PeriodicJob",
    "consumer_start",
    "consumer_stop",
    "daily",
    "db_task",
    "enqueue_on_commit",
    "periodic",
    "periodic_jobs",
    "tasks_discover",
]

log = logging.getLogger(__name__)

MINUTE = 60
# The in-process consumer of `kindred serve`: threads, enough for mail and sweeps of a small circle.
SERVE_WORKER_THREADS = 2

F = TypeVar("F", bound=Callable[..., Any])


def tasks_discover() -> None:
    """Import every installed app's tasks.py, so Huey's registry holds every task and schedule."""
    autodiscover_modules("tasks")


def enqueue_on_commit(task: TaskWrapper, /, *args: Any, **kwargs: Any) -> None:
    """Queue `task(*args, **kwargs)` when the current transaction commits (at once outside one).

    A rolled-back transaction queues nothing. The arguments are taken now, so pass ids and plain values.
    Queueing is robust: if the broker is down, the error is logged and the request that committed still
    answers (the work is deferred and may be redone by its periodic sweep), never a 500 after the commit.
    """
    signature = task.s(*args, **kwargs)
    transaction.on_commit(lambda: task.huey.enqueue(signature), robust=True)


def _every_minutes(minutes: int) -> Callable[[datetime], bool]:
    def due(when: datetime) -> bool:
        return (when.hour * 60 + when.minute) % minutes == 0

    return due


def periodic(*, every: int, name: str) -> Callable[[Callable[[], Any]], TaskWrapper]:
    """Run a function of no arguments every `every` seconds on the consumer (a multiple of 60, or a divisor).

    The function stays reachable as `.call_local()`; `kindred periodic` runs it once through the registry.
    """
    if every <= 0 or (every % MINUTE and MINUTE % every):
        raise ValueError(f"every={every}: a multiple of 60 seconds, or a divisor of 60")

    def decorator(func: Callable[[], Any]) -> TaskWrapper:
        if every >= MINUTE:
            wrapper: TaskWrapper = db_periodic_task(_every_minutes(every // MINUTE), name=name, once=func)(
                func
            )
            return wrapper
        # Shorter than the scheduler's minute: run now, and schedule the rest of this minute's runs.
        again = db_task(name=f"{name}:again")(func)

        def run_and_repeat() -> Any:
            result = func()
            for k in range(1, MINUTE // every):
                again.schedule(delay=k * every)
            return result

        run_and_repeat.__module__ = func.__module__
        run_and_repeat.__doc__ = func.__doc__
        wrapper = db_periodic_task(_every_minutes(1), name=name, once=func)(run_and_repeat)
        return wrapper

    return decorator


def daily(*, hour: int, name: str) -> Callable[[Callable[[], Any]], TaskWrapper]:
    """Run a function of no arguments once a day at `hour`:00 in the site's time zone."""

    def due(when: datetime) -> bool:  # Huey hands the scheduler's time in UTC, without a zone
        local = timezone.localtime(when.replace(tzinfo=UTC)) if HUEY.utc else when
        return local.hour == hour and local.minute == 0

    def decorator(func: Callable[[], Any]) -> TaskWrapper:
        wrapper: TaskWrapper = db_periodic_task(due, name=name, once=func)(func)
        return wrapper

    return decorator


class PeriodicJob:
    """One registered periodic task, as `kindred periodic` runs it."""

    def __init__(self, name: str, func: Callable[[], Any]) -> None:
        self.name = name
        self.func = func

    def run(self) -> Any:
        return self.func()


def periodic_jobs(huey: Huey = HUEY) -> list[PeriodicJob]:
    """Every periodic task the installed apps registered, by name (from Huey's registry)."""
    tasks_discover()
    jobs = []
    for task in huey._registry.periodic_tasks:
        once = getattr(type(task), "once", None)
        if once is None:  # registered with Huey's own decorator: run its body
            jobs.append(PeriodicJob(type(task).__name__, task.execute))
        else:
            jobs.append(PeriodicJob(type(task).__name__, once))
    return sorted(jobs, key=lambda job: job.name)


class InProcessConsumer(Consumer):
    """Huey's consumer without its signal handlers: the process it runs in (the web server) owns
    SIGINT/SIGTERM, and stops it with `consumer_stop`. Safe to start from any thread."""

    def _set_signal_handlers(self) -> None:
        return None


def consumer_start(
    *, huey: Huey = HUEY, workers: int = SERVE_WORKER_THREADS, periodic: bool = True, **options: Any
) -> InProcessConsumer:
    """Start worker threads and the scheduler in this process; stop them with `consumer_stop`."""
    tasks_discover()
    consumer = InProcessConsumer(
        huey, workers=workers, periodic=periodic, worker_type="thread", check_worker_health=False, **options
    )
    consumer.start()
    return consumer


def consumer_stop(consumer: Consumer, *, timeout: float | None = 30) -> None:
    """Stop the consumer: no new task starts; running ones get `timeout` seconds to finish."""
    consumer.shutdown_timeout = timeout
    consumer.stop(graceful=True)
    consumer.huey.notify_interrupted_tasks()
