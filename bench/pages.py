"""Kindred's pages against a bare Django hello, under the same uvicorn, in one run.

    .venv/bin/python bench/pages.py [--seconds 4] [--rounds 2] [--connections 8] [--only directory,hello]

1. serves bench/bare_hello.py (bare Django, one view, no middleware) and `kindred serve` over the demo circle
   (SQLite, fresh data dir), one worker each, on loopback;
2. signs in as a plain demo member through the login form;
3. drives every target with wrk, in alternating rounds, and reads each server's own CPU time over each run;
4. prints, per target: req/s, p50/p99, CPU ms per request, and the ratio bare CPU per request ÷ target's
   (1.0 = as cheap as a bare Django hello; the issue's goals: /hello >= 0.7, directory >= 0.25, every other
   circle page >= 0.2), then the directory's p99/p50 at 16 connections (goal < 4).
The LAST line is JSON with every figure. Needs Debian's `wrk`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys

import httpx
from web import Load, bare_server, combine, cookie_header, kindred_server, load, sign_in

DEMO_MEMBER = "wangxiong"  # a plain member of the demo circle (see `kindred demo`)
GOALS = {"hello": 0.7, "directory": 0.25}
PAGE_GOAL = 0.2
TAIL_GOAL = 4.0  # directory p99 / p50 at 16 connections


def targets(base: str, slug: str, cookies: httpx.Cookies) -> dict[str, str]:
    """The circle pages a member opens, with a real member card and meetup and deal of the demo circle."""
    with httpx.Client(base_url=base, cookies=cookies, timeout=30) as client:
        directory = client.get(f"/c/{slug}/members/").text
        meetups = client.get(f"/c/{slug}/meetups/").text
        deals = client.get(f"/c/{slug}/deals/").text
    members = re.findall(rf"/c/{slug}/members/(\d+)/", directory)
    meetup = re.findall(rf"/c/{slug}/meetups/(\d+)/", meetups)
    deal = re.findall(rf"/c/{slug}/deals/(\d+)/", deals)
    pages = {
        "hello": "/hello",
        "directory": f"/c/{slug}/members/",
        "home": f"/c/{slug}/",
        "member": f"/c/{slug}/members/{members[len(members) // 2]}/" if members else "",
        "ties": f"/c/{slug}/ties/",
        "matches": f"/c/{slug}/matches/",
        "tree": f"/c/{slug}/tree/",
        "meetups": f"/c/{slug}/meetups/",
        "meetup": f"/c/{slug}/meetups/{meetup[0]}/" if meetup else "",
        "deals": f"/c/{slug}/deals/",
        "deal": f"/c/{slug}/deals/{deal[0]}/" if deal else "",
        "wallet": "/wallet/",
        "envelopes": f"/c/{slug}/envelopes/",
    }
    return {name: path for name, path in pages.items() if path}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=4.0, help="seconds per target per round (4)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds (2)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    parser.add_argument("--member", default=DEMO_MEMBER, help=f"demo account to sign in as ({DEMO_MEMBER})")
    parser.add_argument("--only", default="", help="comma-separated target names (default: all)")
    args = parser.parse_args()
    if not (1 <= args.seconds <= 120 and 1 <= args.rounds <= 10 and 1 <= args.connections <= 64):
        parser.error("--seconds 1..120, --rounds 1..10, --connections 1..64")

    rounds: dict[str, list[Load]] = {}
    with bare_server() as bare, kindred_server() as kindred:
        cookies = sign_in(kindred.base, args.member, kindred.password)
        paths = targets(kindred.base, kindred.slug, cookies)
        if args.only:
            wanted = {"hello", *args.only.split(",")}
            paths = {name: path for name, path in paths.items() if name in wanted}
        with httpx.Client(base_url=kindred.base, cookies=cookies, timeout=30) as client:
            for name, path in paths.items():
                status = client.get(path).status_code
                if status != 200:
                    sys.exit(f"{name} ({path}) answered {status}")
        headers = {"Cookie": cookie_header(cookies)}
        load(bare, "/hello", seconds=1, connections=args.connections)  # warm-up, not recorded
        for path in paths.values():
            load(kindred, path, seconds=1, connections=args.connections, headers=headers)
        for _ in range(args.rounds):  # alternate, so drift on a shared machine hits every target alike
            rounds.setdefault("bare", []).append(
                load(bare, "/hello", seconds=args.seconds, connections=args.connections)
            )
            for name, path in paths.items():
                got = load(kindred, path, seconds=args.seconds, connections=args.connections, headers=headers)
                rounds.setdefault(name, []).append(got)
        tail = None
        if "directory" in paths:
            tail = load(kindred, paths["directory"], seconds=args.seconds, connections=16, headers=headers)

    results = {name: combine(loads) for name, loads in rounds.items()}
    bad = {name: r.bad for name, r in results.items() if r.bad}
    if bad:
        sys.exit(f"non-2xx answers or socket errors: {bad}")
    base = results["bare"]
    print(
        f"\n{'target':<10} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'cpu ms/req':>10} {'cpu ratio':>9} {'rps ratio':>9} goal"
    )
    figures: dict[str, dict[str, float]] = {}
    met = True
    for name, r in results.items():
        cpu_ratio = base.cpu_ms_per_request / r.cpu_ms_per_request if r.cpu_ms_per_request else 0.0
        rps_ratio = r.rps / base.rps if base.rps else 0.0
        goal = None if name == "bare" else GOALS.get(name, PAGE_GOAL)
        ok = goal is None or cpu_ratio >= goal
        met = met and ok
        figures[name] = {**r.figures(), "cpu_ratio": round(cpu_ratio, 3), "rps_ratio": round(rps_ratio, 3)}
        mark = "" if goal is None else f">= {goal} {'ok' if ok else 'MISSED'}"
        print(
            f"{name:<10} {r.rps:>8.1f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {r.cpu_ms_per_request:>10.3f}"
            f" {cpu_ratio:>9.3f} {rps_ratio:>9.3f} {mark}"
        )
    result: dict[str, object] = {"targets": figures, "paths": paths}
    if tail is not None:
        spread = tail.p99_ms / tail.p50_ms if tail.p50_ms else float("inf")
        met = met and spread < TAIL_GOAL
        print(
            f"directory at 16 connections: p50 {tail.p50_ms:.2f} ms, p99 {tail.p99_ms:.2f} ms, p99/p50 {spread:.2f}"
            f" (goal < {TAIL_GOAL}: {'ok' if spread < TAIL_GOAL else 'MISSED'})"
        )
        result["directory_16"] = {**tail.figures(), "p99_over_p50": round(spread, 2)}
    result.update(
        goals_met=met,
        connections=args.connections,
        seconds=args.seconds,
        rounds=args.rounds,
        member=args.member,
        database="sqlite",
        python=platform.python_version(),
        cpus=os.cpu_count(),
    )
    print(json.dumps(result, ensure_ascii=False, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
