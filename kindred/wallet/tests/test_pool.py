"""PostgreSQL connections under many requests at once: the pool keeps them bounded and gives them back.

Under ASGI every request's sync code runs in a thread of its own context. With persistent connections
(conn_max_age > 0) each context kept its own connection until PostgreSQL refused clients ("too many
clients"); without them, every request paid a connect. Here 40 grab requests at a time go through the real
ASGI application (as uvicorn calls it, Bearer tokens, the request_finished signal at the end), three
bursts in a row, while a separate connection watches pg_stat_activity: never more connections than the
pool's bound, no growth from burst to burst, every grab answered 200 and the ledger whole.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from kindred.accounts.services import token_create
from kindred.circles.models import Membership
from kindred.wallet.models import Envelope, Share
from kindred.wallet.verify import ledger_verify

CLIENTS = 40
BURSTS = 3


async def _asgi_post(app: Any, path: str, token: str) -> tuple[int, bytes]:
    """One POST through the ASGI application, the way a server calls it: the status and the body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    done = asyncio.Event()
    got: list[dict[str, Any]] = []
    first = True

    async def receive() -> dict[str, Any]:
        nonlocal first
        if first:
            first = False
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()  # the client stays until the answer is out
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        got.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    await app(scope, receive, send)
    done.set()
    status = next(m["status"] for m in got if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in got if m["type"] == "http.response.body")
    return status, body


class _Watcher:
    """The most connections to the test database seen at once, from a connection outside the pool."""

    def __init__(self) -> None:
        params = connection.get_connection_params()
        params.pop("pool", None)
        params.pop("cursor_factory", None)
        params.pop("context", None)
        self.conn = psycopg.connect(**params, autocommit=True)
        self.peak = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run)

    def count(self) -> int:
        row = self.conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
        return int(row[0]) if row else 0

    def _run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, self.count())
            self.stop.wait(0.002)

    def __enter__(self) -> _Watcher:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self.conn.close()


@pytest.mark.postgres
def test_bursts_of_requests_never_hold_more_connections_than_the_pool(
    crowd: Callable[[int], list[Membership]], send: Callable[..., Envelope], origin: Membership
) -> None:
    from kindred.asgi import application

    bound = settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"]
    assert bound < CLIENTS  # more requests at once than connections: they must share
    members = crowd(CLIENTS)
    tokens = [token_create(user=m.user, name="pool test")[1] for m in members]
    envelopes = [send(origin, 100 * CLIENTS, CLIENTS, mode="equal") for _ in range(BURSTS)]
    connection.close()  # the test's own connection back to the pool too

    async def burst(envelope_id: int) -> list[tuple[int, bytes]]:
        path = f"/api/v1/envelopes/{envelope_id}/grab"
        return await asyncio.gather(*(_asgi_post(application, path, t) for t in tokens))

    peaks = []
    with _Watcher() as watcher:
        for env in envelopes:
            watcher.peak = 0
            answers = asyncio.run(burst(env.pk))
            peaks.append(watcher.peak)
            assert [status for status, _body in answers] == [200] * CLIENTS, answers[:3]
            assert all(json.loads(body)["amount_fen"] == 100 for _status, body in answers)
        after = watcher.count()  # psycopg serializes the two threads' use of its connection
    assert max(peaks) <= bound, peaks
    assert after <= bound
    for env in envelopes:
        assert Share.objects.filter(envelope=env, claimed_by__isnull=False).count() == CLIENTS
    assert ledger_verify() == []
