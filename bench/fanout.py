"""Fan-out of the circle's live conversation against a bare `websockets` broadcast server, in one run.

    .venv/bin/python bench/fanout.py [--clients 100,500] [--rate 10] [--messages 50] [--mode embedded|redis|both]

For each N in --clients and each mode:

- Kindred: a real `kindred serve` (tests/http/harness.py: a fresh data dir and the small seeded circle; embedded
  = SQLite and the in-memory channel layer, one worker; redis = PostgreSQL (a fresh database on DATABASE_URL)
  and Redis (REDIS_URL, default redis://127.0.0.1:6379/0) with `--workers 2`). N WebSocket clients connect to
  `/ws/circles/<slug>/` (Bearer tokens of the circle's members, round robin: N sockets, not N accounts); a poster
  sends --messages messages at --rate per second through `POST /api/v1/circles/<slug>/messages`.
- Bare: a `websockets` server in a process of its own that broadcasts every text a poster socket sends to every
  other socket; the same N clients (same code), the same messages at the same rate, right after.

Measured per run: delivered messages/s (frames received by all clients / time from the first post to the last
frame), post-to-receive latency p50/p99 (from just before the post is sent to the frame's arrival, one clock),
lost messages (N × messages − distinct (client, message) pairs received: must be 0) and duplicates. A table, the
Kindred/bare ratios, and the LAST line is JSON with every figure.

Loopback only; every loop is bounded in count and time (connect, post, drain deadlines); servers and their data
are removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.http.harness import Server, start_server  # noqa: E402

HOST = "127.0.0.1"
CONNECT_CONCURRENCY = 25
CONNECT_TIMEOUT_SECONDS = 30
DRAIN_SECONDS = 30  # after the last post, the longest wait for the last frame
BARE_START_SECONDS = 20
SETTLE_SECONDS = 120
SETTLE_FRAMES_MAX = 100
MAX_CLIENTS = 2000
MAX_MESSAGES = 2000
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


@dataclass
class Run:
    clients: int
    messages: int
    latencies: list[float] = field(default_factory=list)  # seconds
    received: int = 0
    duplicates: int = 0
    first_post: float = 0.0
    last_frame: float = 0.0
    post_errors: int = 0
    post_latencies: list[float] = field(default_factory=list)  # seconds, the poster's request alone

    def figures(self) -> dict[str, Any]:
        lat = sorted(self.latencies)
        span = max(self.last_frame - self.first_post, 1e-9)
        return {
            "clients": self.clients,
            "messages": self.messages,
            "delivered": self.received,
            "lost": self.clients * self.messages - self.received,
            "duplicates": self.duplicates,
            "post_errors": self.post_errors,
            "delivered_per_s": round(self.received / span, 1),
            "p50_ms": round(_percentile(lat, 50) * 1000, 2),
            "p99_ms": round(_percentile(lat, 99) * 1000, 2),
            "mean_ms": round(statistics.fmean(lat) * 1000, 2) if lat else 0.0,
            "post_p50_ms": round(_percentile(sorted(self.post_latencies), 50) * 1000, 2),
        }


def _percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    index = min(len(values) - 1, max(0, round(pct / 100 * (len(values) - 1))))
    return values[index]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# --- the clients (the same for both servers) ----------------------------------------------------------


async def _open_all(urls_headers: list[tuple[str, dict[str, str]]]) -> list[ClientConnection]:
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one(url: str, headers: dict[str, str]) -> ClientConnection:
        async with gate:
            return await connect(url, additional_headers=headers, open_timeout=CONNECT_TIMEOUT_SECONDS)

    return list(await asyncio.gather(*(one(u, h) for u, h in urls_headers)))


async def _receive(
    ws: ClientConnection, run: Run, prefix: str, sent: dict[int, float], deadline: float
) -> None:
    """Read frames until every message arrived or the deadline passed (bounded by both)."""
    seen: set[int] = set()
    while len(seen) < run.messages:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        try:
            raw = await asyncio.wait_for(ws.recv(), timeout=left)
        except TimeoutError:
            return
        now = time.monotonic()
        frame = json.loads(raw)
        if frame.get("type") != "message":
            continue
        text = str(frame["message"].get("text", ""))
        if not text.startswith(prefix):
            continue
        tail = text[len(prefix) :]
        if not tail.isdigit():
            continue
        seq = int(tail)
        if seq in seen:
            run.duplicates += 1
            continue
        seen.add(seq)
        run.received += 1
        run.last_frame = max(run.last_frame, now)
        started = sent.get(seq)
        if started is not None:
            run.latencies.append(now - started)


async def _settle(sockets: list[ClientConnection], post: Any, marker: str) -> None:
    """One message every socket must receive before the measured run: the server has finished setting up
    every socket (its handshake's reads) and the clients are reading. Not measured."""
    await post(marker)
    deadline = time.monotonic() + SETTLE_SECONDS

    async def one(ws: ClientConnection) -> bool:
        for _ in range(SETTLE_FRAMES_MAX):
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=max(0.1, deadline - time.monotonic()))
            except TimeoutError:
                return False
            if marker in str(raw):
                return True
        return False

    settled = await asyncio.gather(*(one(ws) for ws in sockets))
    if not all(settled):  # measured anyway: what did not arrive counts as lost
        print(f"{settled.count(False)} sockets did not settle in {SETTLE_SECONDS}s", file=sys.stderr)


async def _drive(
    sockets: list[ClientConnection], run: Run, rate: float, prefix: str, post: Any, deadline_total: float
) -> None:
    await _settle(sockets, post, f"{prefix}settle")
    sent: dict[int, float] = {}
    post_seconds = run.messages / rate
    deadline = time.monotonic() + post_seconds + DRAIN_SECONDS
    receivers = [asyncio.create_task(_receive(ws, run, prefix, sent, deadline)) for ws in sockets]
    posts: list[asyncio.Task[None]] = []
    start = time.monotonic() + 0.2
    run.first_post = start
    for seq in range(run.messages):
        due = start + seq / rate
        await asyncio.sleep(max(0.0, due - time.monotonic()))  # pacing the poster at a fixed rate
        sent[seq] = time.monotonic()
        posts.append(asyncio.create_task(post(f"{prefix}{seq}")))
    await asyncio.wait_for(asyncio.gather(*posts), timeout=max(1.0, deadline_total - time.monotonic()))
    await asyncio.gather(*receivers)


# --- Kindred -----------------------------------------------------------------------------------------


async def _kindred_run(server: Server, clients: int, messages: int, rate: float, label: str) -> Run:
    usernames = list(server.members)
    tokens = [server.token(u) for u in usernames]
    url = server.base_url.replace("http://", "ws://", 1) + f"/ws/circles/{server.slug}/"
    sockets = await _open_all(
        [(url, {"Authorization": f"Bearer {tokens[i % len(tokens)]}"}) for i in range(clients)]
    )
    run = Run(clients=clients, messages=messages)
    poster_token = server.token("laozhou")
    path = f"/api/v1/circles/{server.slug}/messages"
    try:
        async with httpx.AsyncClient(
            base_url=server.base_url,
            headers={"Authorization": f"Bearer {poster_token}"},
            timeout=60,
            limits=httpx.Limits(max_connections=20),
        ) as http:

            async def post(text: str) -> None:
                began = time.monotonic()
                response = await http.post(path, json={"text": text, "confirm_off_topic": True})
                run.post_latencies.append(time.monotonic() - began)
                if response.status_code != 201:
                    run.post_errors += 1

            # Warm-up, not measured: the server's first post loads what it loads once (jieba's dictionary).
            for _ in range(3):
                await http.post(path, json={"text": f"warm-up {label}", "confirm_off_topic": True})

            deadline_total = time.monotonic() + messages / rate + DRAIN_SECONDS + 60
            await _drive(sockets, run, rate, f"fanout {label} ", post, deadline_total)
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return run


# --- the bare broadcast server -------------------------------------------------------------------------


def bare_server_main(port: int) -> None:
    """`fanout.py --bare-server PORT`: every text sent on /post goes to every socket on /."""
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    listeners: set[ServerConnection] = set()

    async def handler(ws: ServerConnection) -> None:
        if ws.request is not None and ws.request.path == "/post":
            async for text in ws:
                broadcast(listeners, text)
            return
        listeners.add(ws)
        try:
            await ws.wait_closed()
        finally:
            listeners.discard(ws)

    async def main() -> None:
        async with serve(handler, HOST, port, max_queue=None) as server:
            print("ready", flush=True)
            await server.serve_forever()

    asyncio.run(main())


async def _bare_run(port: int, clients: int, messages: int, rate: float) -> Run:
    url = f"ws://{HOST}:{port}/"
    sockets = await _open_all([(url, {}) for _ in range(clients)])
    run = Run(clients=clients, messages=messages)
    try:
        async with connect(f"ws://{HOST}:{port}/post") as poster:
            counter = iter(range(10**9))

            async def post(text: str) -> None:
                frame = {"type": "message", "message": {"id": next(counter) + 1, "text": text}}
                await poster.send(json.dumps(frame, ensure_ascii=False))

            deadline_total = time.monotonic() + messages / rate + DRAIN_SECONDS + 60
            await _drive(sockets, run, rate, "fanout bare ", post, deadline_total)
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return run


def start_bare() -> tuple[int, subprocess.Popen[str]]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--bare-server", str(port)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    deadline = time.monotonic() + BARE_START_SECONDS
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.strip() == "ready":
            return port, process
        if process.poll() is not None:
            break
    process.kill()
    sys.exit("the bare websockets server did not start")


# --- main ----------------------------------------------------------------------------------------------


def _mode_env(mode: str) -> tuple[int, dict[str, str]]:
    if mode == "embedded":
        return 1, {}
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("--mode redis needs DATABASE_URL=postgres://... (a fresh database is made on that server)")
    return 2, {"REDIS_URL": os.environ.get("REDIS_URL") or DEFAULT_REDIS}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", default="100,500")
    parser.add_argument("--rate", type=float, default=10.0, help="messages per second (default 10)")
    parser.add_argument("--messages", type=int, default=50, help="messages per run (default 50)")
    parser.add_argument("--mode", choices=["embedded", "redis", "both"], default="embedded")
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        bare_server_main(args.bare_server)
        return 0
    counts = [int(c) for c in args.clients.split(",") if c.strip()]
    if not counts or any(not 1 <= c <= MAX_CLIENTS for c in counts) or not 1 <= args.messages <= MAX_MESSAGES:
        sys.exit(f"--clients between 1 and {MAX_CLIENTS}, --messages between 1 and {MAX_MESSAGES}")
    if not 0.1 <= args.rate <= 1000:
        sys.exit("--rate between 0.1 and 1000")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))

    modes = ["embedded", "redis"] if args.mode == "both" else [args.mode]
    results: list[dict[str, Any]] = []
    for mode in modes:
        workers, env_extra = _mode_env(mode)
        server, stop = start_server(workers=workers, env_extra=env_extra)
        port, bare = start_bare()
        try:
            for n in counts:
                kindred = asyncio.run(_kindred_run(server, n, args.messages, args.rate, f"{mode}{n}"))
                baseline = asyncio.run(_bare_run(port, n, args.messages, args.rate))
                k, b = kindred.figures(), baseline.figures()
                results.append({"mode": mode, "workers": workers, "clients": n, "kindred": k, "bare": b})
                print(f"[{mode} N={n}] kindred {k}", file=sys.stderr)
                print(f"[{mode} N={n}] bare    {b}", file=sys.stderr)
        finally:
            bare.terminate()
            bare.wait(timeout=10)
            stop()

    header = f"{'mode':<9}{'N':>5}  {'server':<8}{'msg/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'lost':>6}{'dup':>5}"
    print(header)
    print("-" * len(header))
    for r in results:
        for name in ("kindred", "bare"):
            f = r[name]
            print(
                f"{r['mode']:<9}{r['clients']:>5}  {name:<8}{f['delivered_per_s']:>9}{f['p50_ms']:>9}"
                f"{f['p99_ms']:>9}{f['lost']:>6}{f['duplicates']:>5}"
            )
    print()
    for r in results:
        k, b = r["kindred"], r["bare"]
        r["ratios"] = {
            "delivered_per_s": round(k["delivered_per_s"] / b["delivered_per_s"], 3)
            if b["delivered_per_s"]
            else None,
            "p50": round(k["p50_ms"] / b["p50_ms"], 2) if b["p50_ms"] else None,
            "p99": round(k["p99_ms"] / b["p99_ms"], 2) if b["p99_ms"] else None,
        }
        print(
            f"{r['mode']} N={r['clients']}: Kindred/bare delivered msg/s x{r['ratios']['delivered_per_s']}, "
            f"p50 x{r['ratios']['p50']}, p99 x{r['ratios']['p99']}"
        )
    lost = sum(r["kindred"]["lost"] + r["bare"]["lost"] for r in results)
    summary = {
        "bench": "fanout",
        "rate_per_s": args.rate,
        "messages": args.messages,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "results": results,
        "kindred_lost": sum(r["kindred"]["lost"] for r in results),
        "kindred_duplicates": sum(r["kindred"]["duplicates"] for r in results),
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 1 if summary["kindred_lost"] or summary["kindred_duplicates"] or lost < 0 else 0


if __name__ == "__main__":
    sys.exit(main())
