"""The circle home under servers with different numbers of request threads, against a bare Django hello, in
one run: what sets KINDRED_REQUEST_THREADS's default (kindred/core/baton.py, kindred/settings/base.py).

    .venv/bin/python bench/request_threads.py [--threads 1,4,16] [--seconds 3] [--rounds 4] [--connections 8]

1. serves bench/bare_hello.py and, for each thread count, `kindred serve` over its own demo circle (SQLite,
   one worker, KINDRED_REQUEST_THREADS set), all at once on loopback;
2. signs in as a plain demo member on each;
3. drives the circle home with wrk, the servers in turn each round (the bare hello first), and reads each
   server's own CPU time over each run;
4. prints, per server: the median CPU ms per request over the rounds, every round's, and the ratio bare CPU
   per request ÷ the home's. The LAST line is JSON. Needs Debian's `wrk`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
from contextlib import ExitStack
from typing import Any

from web import bare_server, cookie_header, kindred_server, load, sign_in

DEMO_MEMBER = "wangxiong"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", default="1,4,16", help="comma-separated thread counts (1,4,16)")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per server per round (3)")
    parser.add_argument("--rounds", type=int, default=4, help="rounds (4)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    args = parser.parse_args()
    counts = [int(t) for t in args.threads.split(",")]
    if not (all(1 <= t <= 64 for t in counts) and 1 <= args.seconds <= 60 and 1 <= args.rounds <= 9):
        parser.error("--threads 1..64 each, --seconds 1..60, --rounds 1..9")

    cpu: dict[str, list[float]] = {"bare": [], **{str(t): [] for t in counts}}
    with ExitStack() as stack:
        bare = stack.enter_context(bare_server())
        servers = {}
        for t in counts:
            os.environ["KINDRED_REQUEST_THREADS"] = str(t)  # read by the server the next line starts
            server = stack.enter_context(kindred_server())
            cookies = sign_in(server.base, DEMO_MEMBER, server.password)
            servers[str(t)] = (server, f"/c/{server.slug}/", {"Cookie": cookie_header(cookies)})
        os.environ.pop("KINDRED_REQUEST_THREADS", None)
        load(bare, "/hello", seconds=1, connections=args.connections)  # warm-up
        for server, path, headers in servers.values():
            load(server, path, seconds=1, connections=args.connections, headers=headers)
        for _ in range(args.rounds):
            cpu["bare"].append(
                load(bare, "/hello", seconds=args.seconds, connections=args.connections).cpu_ms_per_request
            )
            for name, (server, path, headers) in servers.items():
                got = load(server, path, seconds=args.seconds, connections=args.connections, headers=headers)
                cpu[name].append(got.cpu_ms_per_request)

    bare_ms = statistics.median(cpu["bare"])
    figures: dict[str, Any] = {}
    print(f"\n{'server':<14} {'cpu ms/req (median)':>20} {'ratio':>7}  rounds")
    for name, runs in cpu.items():
        median = statistics.median(runs)
        ratio = bare_ms / median if median else 0.0
        label = "bare hello" if name == "bare" else f"home, {name} thr"
        print(f"{label:<14} {median:>20.3f} {ratio:>7.3f}  {' '.join(f'{r:.2f}' for r in runs)}")
        figures[name] = {"cpu_ms_per_request": round(median, 4), "cpu_ratio": round(ratio, 3), "rounds": runs}
    result = {
        "bench": "request_threads",
        "page": "home",
        "servers": figures,
        "connections": args.connections,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "database": "sqlite",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
