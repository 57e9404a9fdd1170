"""The periodic runner: every job runs on its own schedule, a failing job does not stop the others, and
`kindred periodic` runs the real jobs once."""

from __future__ import annotations

import threading
from io import StringIO

import pytest
from django.core.management import call_command

from kindred.core import periodic


def test_jobs_run_repeatedly_and_a_failure_does_not_stop_the_others() -> None:
    counts = {"ok": 0, "boom": 0}
    enough = threading.Event()

    def ok() -> None:
        counts["ok"] += 1
        if counts["ok"] >= 3 and counts["boom"] >= 3:
            enough.set()

    def boom() -> None:
        counts["boom"] += 1
        raise RuntimeError("a failing job")

    stop = periodic.start([periodic.Job("ok", 0.01, ok), periodic.Job("boom", 0.01, boom)], tick=0.01)
    try:
        # Waits on the runner's own signal, bounded: no sleeping on a guess.
        assert enough.wait(timeout=20), counts
    finally:
        stop.set()


def test_a_job_named_by_its_dotted_path_is_imported_and_run() -> None:
    job = periodic.Job("version", 1, "django.get_version")
    assert job.run().startswith("5.2")


def test_the_default_jobs_are_the_domains_services() -> None:
    names = {job.name for job in periodic.default_jobs()}
    assert names == {"envelopes-expire", "meetup-reminders", "intros-expire"}
    for job in periodic.default_jobs():
        assert isinstance(job.target, str)
        module, _, attr = job.target.rpartition(".")
        assert callable(getattr(__import__(module, fromlist=[attr]), attr))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_kindred_periodic_runs_every_job_once() -> None:
    out = StringIO()
    call_command("periodic", stdout=out)
    text = out.getvalue()
    assert "envelopes-expire: (0, 0)" in text
    assert "meetup-reminders: 0" in text
    assert "intros-expire: 0" in text
