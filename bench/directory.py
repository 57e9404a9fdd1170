"""The directory page against the hello view, measured in one run on the demo data.

    .venv/bin/python bench/directory.py [--requests 400] [--concurrency 8] [--workers 1]

1. loads the demo circle (`kindred demo --no-serve`) into a fresh KINDRED_DATA_DIR under a temp dir (SQLite);
2. starts `kindred serve --no-worker` through bench/web.py (uvicorn, DEBUG off, WhiteNoise) on 127.0.0.1 and a free port;
3. signs in as a demo member through the login form (a real session cookie);
4. drives the directory page (/c/<slug>/members/) and the hello view (/hello) with the same load generator
   (httpx, a fixed number of requests at fixed concurrency, after a warm-up), in alternating rounds;
5. prints p50/p99 latency and requests/s for both and their ratios. The LAST line is JSON with all figures.

Loopback only, bounded in count and time; the server and its temp dir are removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import socket
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from web import kindred_server, sign_in

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
KINDRED = Path(sys.executable).with_name("kindred")
START_TIMEOUT_SECONDS = 60
DEMO_TIMEOUT_SECONDS = 600
REQUEST_TIMEOUT_SECONDS = 30
MAX_REQUESTS = 20_000
DEMO_MEMBER = "wangxiong"  # a plain member of the demo circle (see `kindred demo`)
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Sample:
    latencies: list[float] = field(default_factory=list)  # seconds
    elapsed: float = 0.0  # wall time of the measured rounds
    statuses: dict[int, int] = field(default_factory=dict)
    size: int = 0

    def figures(self) -> dict[str, float]:
        lat = sorted(self.latencies)
        return {
            "requests": len(lat),
            "p50_ms": round(_percentile(lat, 50) * 1000, 2),
            "p90_ms": round(_percentile(lat, 90) * 1000, 2),
            "p99_ms": round(_percentile(lat, 99) * 1000, 2),
            "mean_ms": round(statistics.fmean(lat) * 1000, 2),
            "rps": round(len(lat) / self.elapsed, 1),
            "bytes": self.size,
        }


def _percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * pct // 100))  # ceil
    return sorted_values[int(rank) - 1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


async def drive(
    base: str, cookies: httpx.Cookies, path: str, count: int, concurrency: int, out: Sample
) -> None:
    """`count` GETs of `path` by `concurrency` workers sharing one connection pool; adds to `out`."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    remaining = iter(range(count))
    async with httpx.AsyncClient(
        base_url=base, cookies=cookies, limits=limits, timeout=REQUEST_TIMEOUT_SECONDS
    ) as client:

        async def worker() -> None:
            for _ in remaining:
                started = time.perf_counter()
                resp = await client.get(path)
                out.latencies.append(time.perf_counter() - started)
                out.statuses[resp.status_code] = out.statuses.get(resp.status_code, 0) + 1
                out.size = len(resp.content)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        out.elapsed += time.perf_counter() - started


def measure(
    base: str, cookies: httpx.Cookies, targets: dict[str, str], args: argparse.Namespace
) -> dict[str, Sample]:
    for path in targets.values():  # warm-up: imports, caches, connections; not recorded
        asyncio.run(drive(base, cookies, path, args.warmup, args.concurrency, Sample()))
    samples = {name: Sample() for name in targets}
    per_round = max(1, args.requests // args.rounds)
    for _ in range(args.rounds):  # alternate, so drift on a shared machine hits both alike
        for name, path in targets.items():
            asyncio.run(drive(base, cookies, path, per_round, args.concurrency, samples[name]))
    for name, sample in samples.items():
        bad = {code: n for code, n in sample.statuses.items() if code != 200}
        if bad:
            sys.exit(f"{name}: non-200 responses {bad}")
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=400, help="measured requests per target (400)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight (8)")
    parser.add_argument("--warmup", type=int, default=40, help="unrecorded requests per target first (40)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per target (2)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (1)")
    parser.add_argument("--member", default=DEMO_MEMBER, help=f"demo account to sign in as ({DEMO_MEMBER})")
    args = parser.parse_args()
    if not (1 <= args.requests <= MAX_REQUESTS and 1 <= args.concurrency <= 64 and args.rounds >= 1):
        parser.error(f"--requests 1..{MAX_REQUESTS}, --concurrency 1..64, --rounds >= 1")

    username = args.member
    with kindred_server(workers=args.workers) as server:
        cookies = sign_in(server.base, username, server.password)
        targets = {"directory": f"/c/{server.slug}/members/", "hello": "/hello"}
        samples = measure(server.base, cookies, targets, args)

    figures: dict[str, Any] = {name: s.figures() for name, s in samples.items()}
    d, h = figures["directory"], figures["hello"]
    ratios = {
        "p50": round(d["p50_ms"] / h["p50_ms"], 2),
        "p99": round(d["p99_ms"] / h["p99_ms"], 2),
        "rps": round(d["rps"] / h["rps"], 3),
    }
    print(f"\n{'target':<10} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'bytes':>8}")
    for name, f in figures.items():
        print(
            f"{name:<10} {f['requests']:>8} {f['p50_ms']:>8} {f['p99_ms']:>8} {f['rps']:>8} {f['bytes']:>8}"
        )
    print(
        f"directory/hello: p50 x{ratios['p50']}, p99 x{ratios['p99']}, throughput {ratios['rps'] * 100:.1f}%"
    )
    result = {
        **figures,
        "ratios": ratios,
        "concurrency": args.concurrency,
        "workers": args.workers,
        "rounds": args.rounds,
        "paths": targets,
        "member": username,
        "database": "sqlite",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result, ensure_ascii=False, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
