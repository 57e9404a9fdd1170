"""Envelopes under real concurrency.

PostgreSQL (real threads, connections from the pool): 50 members grabbing a 10-share envelope, 20 times over;
grabs racing the expiry refund. SQLite (a FILE database in a subprocess, see fileworld.py): 8 writer
threads never see "database is locked"; and the crash test: `kindred serve` killed with SIGKILL during a
stream of grabs and top-ups through the API, restarted, then `ledger verify` is clean and every
acknowledged grab and top-up is on record.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import connection

from kindred.circles.models import Membership
from kindred.core.services import ServiceError
from kindred.wallet.models import Account, Envelope, Share
from kindred.wallet.services import envelope_expire, envelope_grab
from kindred.wallet.verify import ledger_verify

ROOT = Path(__file__).resolve().parents[3]
KINDRED = ROOT / ".venv" / "bin" / "kindred"


def _run_threads(target: Callable[..., None], args: list[tuple[Any, ...]]) -> None:
    """Run target(*a) for each a in its own thread (its own connection); re-raise the first failure."""
    failures: list[BaseException] = []

    def wrapped(*a: Any) -> None:
        try:
            target(*a)
        except BaseException as exc:
            failures.append(exc)
            raise
        finally:
            connection.close()

    threads = [threading.Thread(target=wrapped, args=a) for a in args]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]


@pytest.mark.postgres
def test_fifty_members_grab_a_ten_share_envelope_twenty_times(
    crowd: Callable[[int], list[Membership]], send: Callable[..., Envelope], origin: Membership
) -> None:
    members = crowd(50)
    envelopes = [send(origin, 10_000, 10, mode="lucky") for _ in range(20)]
    barrier = threading.Barrier(len(members))
    wins: dict[int, list[int]] = {e.pk: [] for e in envelopes}
    refusals: list[str] = []
    lock = threading.Lock()

    def grabber(me: Membership) -> None:
        for env in envelopes:
            barrier.wait()
            try:
                share = envelope_grab(envelope=Envelope.objects.get(pk=env.pk), member=me)
            except ServiceError as exc:
                with lock:
                    refusals.append(exc.code)
            else:
                with lock:
                    wins[env.pk].append(share.amount_fen)
            finally:
                # Back to the pool, as at the end of a request: 50 threads share its 10 connections
                # instead of each holding one through the barrier.
                connection.close()

    _run_threads(grabber, [(m,) for m in members])
    for env in envelopes:
        assert len(wins[env.pk]) == 10, env.pk
        assert sum(wins[env.pk]) == 10_000
        env.refresh_from_db()
        assert env.status == Envelope.Status.FINISHED and env.luckiest_id is not None
    assert set(refusals) == {"envelope_empty"} and len(refusals) == 20 * 40
    assert ledger_verify() == []


@pytest.mark.postgres
def test_a_grab_racing_the_expiry_refund_never_pays_a_share_twice(
    crowd: Callable[[int], list[Membership]], send: Callable[..., Envelope], origin: Membership
) -> None:
    members = crowd(8)
    for _round in range(15):
        env = send(origin, 800, 8, mode="equal")
        barrier = threading.Barrier(len(members) + 1)
        just_before = env.expires_at - (env.expires_at - env.created_at) / 1_000_000

        def grabber(me: Membership, env: Envelope = env, at: Any = just_before, b: Any = barrier) -> None:
            b.wait()
            with contextlib.suppress(ServiceError):  # the refund took the shares first
                envelope_grab(envelope=Envelope.objects.get(pk=env.pk), member=me, at=at)

        def expirer(env: Envelope = env, b: Any = barrier) -> None:
            b.wait()
            envelope_expire(
                envelope=Envelope.objects.select_related("sender").get(pk=env.pk), at=env.expires_at
            )

        threads = [(grabber, (m,)) for m in members] + [(expirer, ())]
        _run_threads(lambda f, a: f(*a), threads)
        shares = list(Share.objects.filter(envelope=env))
        assert all(not (s.claimed_by_id and s.refunded) for s in shares)
        assert all(s.claimed_by_id or s.refunded for s in shares)
        assert Account.objects.get(pk=env.escrow_id).balance == 0
    assert ledger_verify() == []


# --- SQLite, in a file -----------------------------------------------------------------------------


def _env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "KINDRED_TEST_DB_NAME")
    }
    env.update(
        KINDRED_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="kindred.settings.test", PYTHONUNBUFFERED="1"
    )
    return env


def _fileworld(data_dir: Path, *args: str, timeout: float = 120) -> Any:
    out = subprocess.run(
        [sys.executable, "-m", "kindred.wallet.tests.fileworld", *args],
        cwd=ROOT,
        env=_env(data_dir),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def migrated_file_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per module (migrating takes seconds); each test copies it."""
    if os.environ.get("DATABASE_URL"):
        pytest.skip("the SQLite file tests run in the SQLite pass")
    template = tmp_path_factory.mktemp("sqlite-template")
    subprocess.run([str(KINDRED), "migrate", "-v0"], cwd=ROOT, env=_env(template), check=True, timeout=300)
    return template


@pytest.fixture
def file_db(migrated_file_db: Path, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(migrated_file_db, data)
    return data


def test_sqlite_eight_writer_threads_never_see_database_is_locked(file_db: Path) -> None:
    _fileworld(file_db, "setup", "8")
    result = _fileworld(file_db, "writers", "8")
    assert result["locked"] == [] and result["errors"] == []
    assert result["grabs"] > 0
    assert _fileworld(file_db, "check")["problems"] == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(file_db: Path) -> Iterator[Callable[[], tuple[subprocess.Popen[bytes], str]]]:
    procs: list[subprocess.Popen[bytes]] = []
    port = _free_port()
    env = {**_env(file_db), "DJANGO_SETTINGS_MODULE": "kindred.settings.dev"}

    def start() -> tuple[subprocess.Popen[bytes], str]:
        proc = subprocess.Popen(
            [str(KINDRED), "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    return proc, base
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise RuntimeError("kindred serve exited")
            time.sleep(0.2)  # polling a starting server, not waiting for a result
        raise RuntimeError("kindred serve did not come up")

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)


def test_kill_9_during_grabs_and_topups_loses_nothing_acknowledged(
    file_db: Path, server: Callable[[], tuple[subprocess.Popen[bytes], str]]
) -> None:
    world = _fileworld(file_db, "setup", "6")
    tokens: list[str] = world["tokens"]
    proc, base = server()
    acked_grabs: list[tuple[int, int, int]] = []  # (envelope, amount, member index)
    acked_topups: list[str] = []
    stop = threading.Event()
    lock = threading.Lock()

    def client(i: int) -> httpx.Client:
        return httpx.Client(
            base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {tokens[i]}"}, timeout=10
        )

    def sender() -> None:
        with client(0) as c:
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    c.post(
                        f"/circles/{world['slug']}/envelopes",
                        json={"total_fen": 500, "shares": 5, "mode": "lucky"},
                    )
                    r = c.post("/wallet/topups", json={"amount_fen": 700, "reference": f"crash-s-{n}"})
                    if r.status_code == 201:
                        with lock:
                            acked_topups.append(f"crash-s-{n}")
                except httpx.HTTPError:
                    return

    def grabber(i: int) -> None:
        with client(i) as c:
            n = 0
            while not stop.is_set():
                try:
                    listing = c.get(f"/circles/{world['slug']}/envelopes").json()
                    for env in listing["envelopes"]:
                        if env["status"] == "open" and env["my_amount_fen"] is None:
                            r = c.post(f"/envelopes/{env['id']}/grab")
                            if r.status_code == 200:
                                with lock:
                                    acked_grabs.append((env["id"], r.json()["amount_fen"], i))
                    n += 1
                    r = c.post("/wallet/topups", json={"amount_fen": 300, "reference": f"crash-{i}-{n}"})
                    if r.status_code == 201:
                        with lock:
                            acked_topups.append(f"crash-{i}-{n}")
                except (httpx.HTTPError, ValueError):
                    return

    threads = [threading.Thread(target=sender)] + [
        threading.Thread(target=grabber, args=(i,)) for i in range(1, 6)
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(acked_grabs) < 25:
        time.sleep(0.05)  # watching the stream until enough grabs are acknowledged
    os.kill(proc.pid, signal.SIGKILL)  # mid-stream: requests are in flight
    proc.wait(timeout=20)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert len(acked_grabs) >= 25

    _proc, base = server()  # restart on the same database file
    assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
    state = _fileworld(file_db, "check")
    assert state["problems"] == []
    on_record = {(env, amount, user) for env, _share, amount, user in state["grabs"]}
    for env, amount, i in acked_grabs:
        assert (env, amount, f"fw_{i}") in on_record
    assert set(acked_topups) <= set(state["topups"])
