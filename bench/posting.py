"""Posting through the API against the hello view, measured in one run on one `kindred serve`.

    .venv/bin/python bench/posting.py [--clients 8] [--seconds 5] [--rounds 3] [--pg] [--workers 2]

1. starts a real `kindred serve` (tests/http/harness.py: a fresh data dir, the small seeded circle of seven
   members, 127.0.0.1 and a free port). Default: the embedded SQLite database and in-memory channel layer, one
   worker. `--pg`: a fresh database of its own on the PostgreSQL server of DATABASE_URL (dropped at the end).
   `--workers N` (N > 1) or `--redis`: Redis as the channel layer (REDIS_URL, default
   redis://127.0.0.1:6379/0);
2. gets a Bearer token for every member (POST /api/v1/auth/token); client i posts as member i mod 7;
3. C concurrent clients (httpx, one connection pool of C) then, in alternating rounds of --seconds each:
   - posting: `POST /api/v1/circles/<slug>/messages` with an on-topic Chinese text, `confirm_off_topic: true`
     and a unique `client_id` (also written into the text, so the stored messages can be counted by it);
   - hello: `GET /hello` with the same clients and headers;
   after an unrecorded warm-up of both (the first post loads jieba and the circle's topicality model);
4. per target: requests/s, p50/p99 latency, errors, and the server's own CPU time per request (utime + stime
   from /proc of the server process and every descendant, read before and after each round);
5. checks through the API that every acknowledged post (201) is stored exactly once, under the id it was
   acknowledged with: a sample of them is posted again with the same client_id (must answer 200 with the
   same message), then the whole stream is read back (GET …/messages?after=, 200 a page) and counted by
   client_id. Posts that failed are reported (stored or not), never stored twice.

Prints a table and the posting/hello ratios; the LAST line is JSON with every figure. Exit status 1 when a
check fails. Loopback only; every loop is bounded in time and count; the server, its data dir and its
database are removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import secrets
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.http.harness import Server, start_server  # noqa: E402

DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
REQUEST_TIMEOUT_SECONDS = 30
MAX_CLIENTS = 64
MAX_SECONDS = 60
MAX_ROUNDS = 10
MAX_REQUESTS_PER_ROUND = 50_000  # per target and round, whatever the speed
WARMUP_PER_CLIENT = 3
RESEND_SAMPLE = 50
PAGE = 200  # the API's largest page of messages
CLK_TCK = os.sysconf("SC_CLK_TCK")

# On-topic for the seeded circle (film, games, animation, culture): what its members would post.
TEXTS = (
    "求推荐靠谱的动画外包团队，二十集网络动画，预算三百万左右",
    "我们的新电影下个月开机，还缺一位有古装戏经验的美术指导",
    "有没有做游戏发行的朋友？想聊聊海外渠道和买量的成本",
    "上海这边有个剧本杀品牌想找影视公司做联名，感兴趣的私聊",
    "分享一下：今年暑期档动画电影票房比去年涨了三成，家庭观众是主力",
    "我们工作室在招三维动画师，熟悉 Maya 和虚幻引擎优先",
    "请教各位，短剧的版权登记和备案流程现在要多久？",
    "下周在北京有个影视投资沙龙，想一起去的同行可以报名",
    "有人做过游戏和动画的 IP 联动吗？想了解一下授权分成怎么谈",
    "杭州有一家后期调色棚档期空出来了，价格可以谈，需要的找我",
    "我们的纪录片在找联合出品方，题材是非遗手艺人，已经拍了一半",
    "有没有懂配音的朋友推荐几位声优，动画番剧用，男女各两位",
)


@dataclass
class Target:
    """One target's requests over every measured round."""

    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    elapsed: float = 0.0  # seconds of measured wall time
    errors: Counter[str] = field(default_factory=Counter)  # status code or exception name → count
    server_cpu: float = 0.0  # seconds of the server's CPU during the measured rounds
    client_cpu: float = 0.0  # seconds of this process's CPU (the load generator) during them
    rounds_rps: list[float] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        lat = sorted(self.latencies)
        n = len(lat)
        cuts = (
            statistics.quantiles(lat, n=100, method="inclusive") if n > 1 else [lat[0] if lat else 0.0] * 99
        )
        return {
            "requests": n,
            "errors": dict(self.errors),
            "rps": round(n / self.elapsed, 1) if self.elapsed else 0.0,
            "p50_ms": round(cuts[49] * 1000, 1),
            "p99_ms": round(cuts[98] * 1000, 1),
            "mean_ms": round(statistics.fmean(lat) * 1000, 1) if lat else 0.0,
            "server_cpu_ms_per_req": round(self.server_cpu * 1000 / n, 2) if n else None,
            "client_cpu_ms_per_req": round(self.client_cpu * 1000 / n, 2) if n else None,
            "rounds_rps": self.rounds_rps,
        }


@dataclass
class Ledger:
    """What the posting clients were told: client_id → message id (201), and the client_ids that failed."""

    acknowledged: dict[str, int] = field(default_factory=dict)
    repeated: list[str] = field(default_factory=list)  # 200 on a first post: should never happen
    failed: list[str] = field(default_factory=list)


# --- the server's CPU ------------------------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, utime + stime in ticks) of a live process, None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) ": state, ppid, … utime is field 14
    return int(fields[1]), int(fields[11]) + int(fields[12])


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds (user + system) of `root` and every live descendant: uvicorn's workers, for one.
    A descendant that exits between two readings takes its time with it (none do while the bench runs)."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            got = _stat(int(entry))
            if got is not None:
                parents[int(entry)], ticks[int(entry)] = got
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(ticks.get(pid, 0) for pid in tree) / CLK_TCK


# --- the load ----------------------------------------------------------------------------------------------


class Load:
    def __init__(self, server: Server, clients: int, tag: str) -> None:
        self.server = server
        self.clients = clients
        self.tag = tag
        tokens = [server.token(username) for username in server.members]
        self.headers = [
            {"Authorization": f"Bearer {tokens[i % len(tokens)]}", "Accept-Language": "zh-hans"}
            for i in range(clients)
        ]
        self.post_path = f"/api/v1/circles/{server.slug}/messages"
        self.ledger = Ledger()
        self.bodies: dict[str, tuple[int, dict[str, Any]]] = {}  # client_id → (client, body)
        self._seq = 0

    def _body(self, client: int) -> tuple[str, dict[str, Any]]:
        self._seq += 1
        client_id = f"{self.tag}-{client}-{self._seq}"
        text = f"{TEXTS[self._seq % len(TEXTS)]}〔{client_id}〕"
        return client_id, {"text": text, "confirm_off_topic": True, "client_id": client_id}

    async def _post(self, http: httpx.AsyncClient, client: int, out: Target) -> None:
        client_id, body = self._body(client)
        self.bodies[client_id] = (client, body)
        started = time.perf_counter()
        try:
            response = await http.post(self.post_path, json=body, headers=self.headers[client])
        except httpx.HTTPError as exc:
            out.errors[type(exc).__name__] += 1
            self.ledger.failed.append(client_id)
            return
        latency = time.perf_counter() - started
        if response.status_code == 201:
            out.latencies.append(latency)
            self.ledger.acknowledged[client_id] = int(response.json()["id"])
        elif response.status_code == 200:
            out.errors["200 (repeat)"] += 1
            self.ledger.repeated.append(client_id)
        else:
            out.errors[str(response.status_code)] += 1
            self.ledger.failed.append(client_id)

    async def _hello(self, http: httpx.AsyncClient, client: int, out: Target) -> None:
        started = time.perf_counter()
        try:
            response = await http.get("/hello", headers=self.headers[client])
        except httpx.HTTPError as exc:
            out.errors[type(exc).__name__] += 1
            return
        latency = time.perf_counter() - started
        if response.status_code == 200 and response.content == b"hello":
            out.latencies.append(latency)
        else:
            out.errors[str(response.status_code)] += 1

    async def run(
        self, target: str, seconds: float, out: Target, *, count: int = MAX_REQUESTS_PER_ROUND
    ) -> None:
        """C clients send requests back to back for `seconds` (or `count` requests in all, first reached)."""
        one = self._post if target == "posting" else self._hello
        limits = httpx.Limits(max_connections=self.clients, max_keepalive_connections=self.clients)
        left = [count]
        async with httpx.AsyncClient(
            base_url=self.server.base_url, limits=limits, timeout=REQUEST_TIMEOUT_SECONDS
        ) as http:
            await http.get("/healthz")  # a connection is open before the clock starts

            async def client(i: int) -> None:
                while time.monotonic() < end and left[0] > 0:
                    left[0] -= 1
                    await one(http, i, out)

            cpu0, own0 = tree_cpu_seconds(self.server.process.pid), time.process_time()
            started = time.monotonic()
            end = started + seconds
            await asyncio.gather(*(client(i) for i in range(self.clients)))
            out.elapsed += time.monotonic() - started
            out.server_cpu += tree_cpu_seconds(self.server.process.pid) - cpu0
            out.client_cpu += time.process_time() - own0


# --- the checks ----------------------------------------------------------------------------------------------


async def resend(load: Load, sample: list[str]) -> list[str]:
    """Post each sampled acknowledged client_id again: 200 with the first message's id, never a new one."""
    problems: list[str] = []
    async with httpx.AsyncClient(base_url=load.server.base_url, timeout=REQUEST_TIMEOUT_SECONDS) as http:
        for client_id in sample:
            client, body = load.bodies[client_id]
            response = await http.post(load.post_path, json=body, headers=load.headers[client])
            got = response.json().get("id") if response.status_code in (200, 201) else None
            if response.status_code != 200 or got != load.ledger.acknowledged[client_id]:
                problems.append(f"{client_id}: resent → {response.status_code} id {got}")
    return problems


def stored_by_client_id(load: Load) -> tuple[Counter[str], dict[str, int], int]:
    """Read the whole stream back through the API: count of messages per client_id, the id of each, total."""
    marker = re.compile(rf"〔({re.escape(load.tag)}-\d+-\d+)〕$")
    counts: Counter[str] = Counter()
    ids: dict[str, int] = {}
    total, after = 0, 0
    pages_max = (len(load.bodies) + 10 * RESEND_SAMPLE) // PAGE + 20  # the stream cannot be longer
    with httpx.Client(
        base_url=load.server.base_url, headers=load.headers[0], timeout=REQUEST_TIMEOUT_SECONDS
    ) as http:
        for _ in range(pages_max):
            response = http.get(load.post_path, params={"after": after, "limit": PAGE})
            response.raise_for_status()
            items = response.json()["items"]
            if not items:
                break
            for item in items:
                total += 1
                match = marker.search(item["text"])
                if match:
                    counts[match.group(1)] += 1
                    ids[match.group(1)] = int(item["id"])
            after = int(items[-1]["id"])
        else:
            sys.exit(f"the stream did not end within {pages_max} pages")
    return counts, ids, total


def check(load: Load, resend_problems: list[str]) -> dict[str, Any]:
    counts, ids, total = stored_by_client_id(load)
    ledger = load.ledger
    missing = [c for c in ledger.acknowledged if counts[c] == 0]
    twice = [c for c, n in counts.items() if n > 1]
    wrong_id = [c for c, i in ledger.acknowledged.items() if counts[c] == 1 and ids[c] != i]
    failed_stored = [c for c in ledger.failed if counts[c] > 0]
    unknown = [c for c in counts if c not in load.bodies]
    ok = not (missing or twice or wrong_id or unknown or ledger.repeated or resend_problems)
    return {
        "ok": ok,
        "acknowledged": len(ledger.acknowledged),
        "stored_once": sum(1 for c in ledger.acknowledged if counts[c] == 1),
        "missing": len(missing),
        "stored_twice": len(twice),
        "wrong_id": len(wrong_id),
        "repeat_on_first_post": len(ledger.repeated),
        "failed": len(ledger.failed),
        "failed_but_stored": len(failed_stored),
        "resent": min(RESEND_SAMPLE, len(ledger.acknowledged)),
        "resend_problems": resend_problems[:10],
        "stream_messages": total,
        "examples": (missing + twice + wrong_id + unknown)[:10],
    }


# --- main ------------------------------------------------------------------------------------------------------


def _environment(args: argparse.Namespace) -> tuple[str, dict[str, str]]:
    """The database the server gets (the harness reads DATABASE_URL from this process) and its extra env."""
    if args.pg:
        if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
            sys.exit("--pg needs DATABASE_URL=postgres://... (a fresh database is made on that server)")
        database = "postgresql"
    else:
        os.environ.pop("DATABASE_URL", None)  # the embedded default: SQLite in the temp data dir
        database = "sqlite"
    extra: dict[str, str] = {}
    if args.redis or args.workers > 1:
        extra["REDIS_URL"] = os.environ.get("REDIS_URL") or DEFAULT_REDIS
    return database, extra


def _ratio(a: float | None, b: float | None, digits: int) -> float | None:
    return round(a / b, digits) if a is not None and b else None


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (8)")
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per target and round (5)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (3)")
    parser.add_argument("--pg", action="store_true", help="PostgreSQL (a fresh database on DATABASE_URL)")
    parser.add_argument("--redis", action="store_true", help="Redis channel layer (REDIS_URL)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers; > 1 implies --redis (1)")
    args = parser.parse_args()
    if not (
        1 <= args.clients <= MAX_CLIENTS
        and 0.5 <= args.seconds <= MAX_SECONDS
        and 1 <= args.rounds <= MAX_ROUNDS
        and 1 <= args.workers <= 8
    ):
        parser.error(
            f"--clients 1..{MAX_CLIENTS}, --seconds 0.5..{MAX_SECONDS}, --rounds 1..{MAX_ROUNDS}, --workers 1..8"
        )

    database, env_extra = _environment(args)
    load_before = os.getloadavg()
    server, stop = start_server(workers=args.workers, env_extra=env_extra)
    targets = {"posting": Target(), "hello": Target()}
    try:
        load = Load(server, args.clients, f"b{secrets.token_hex(3)}")
        warm = Target()  # not recorded
        for name in targets:
            asyncio.run(load.run(name, MAX_SECONDS, warm, count=WARMUP_PER_CLIENT * args.clients))
        for _ in range(args.rounds):  # alternate, so drift on a shared machine falls on both alike
            for name, target in targets.items():
                before_n, before_t = len(target.latencies), target.elapsed
                asyncio.run(load.run(name, args.seconds, target))
                target.rounds_rps.append(
                    round((len(target.latencies) - before_n) / (target.elapsed - before_t), 1)
                )
        sample = list(load.ledger.acknowledged)[:: max(1, len(load.ledger.acknowledged) // RESEND_SAMPLE)]
        verdict = check(load, asyncio.run(resend(load, sample[:RESEND_SAMPLE])))
    finally:
        stop()
    load_after = os.getloadavg()

    figures = {name: t.figures() for name, t in targets.items()}
    p, h = figures["posting"], figures["hello"]
    ratios = {
        "rps": _ratio(p["rps"], h["rps"], 3),
        "p50": _ratio(p["p50_ms"], h["p50_ms"], 2),
        "p99": _ratio(p["p99_ms"], h["p99_ms"], 2),
        "server_cpu_per_req": _ratio(p["server_cpu_ms_per_req"], h["server_cpu_ms_per_req"], 2),
    }
    print(
        f"\n{database}, {args.workers} worker(s){', Redis' if env_extra else ''}, {args.clients} clients, "
        f"{args.rounds} × {args.seconds:g} s per target; load average {load_before[0]:.1f} → {load_after[0]:.1f} "
        f"on {os.cpu_count()} CPUs"
    )
    header = f"{'target':<8}{'requests':>9}{'errors':>8}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'srv CPU ms/req':>16}"
    print(header)
    print("-" * len(header))
    for name, f in figures.items():
        print(
            f"{name:<8}{f['requests']:>9}{sum(f['errors'].values()):>8}{f['rps']:>8}{f['p50_ms']:>9}"
            f"{f['p99_ms']:>9}{f['server_cpu_ms_per_req']!s:>16}"
        )
    print(
        f"posting/hello: throughput {ratios['rps']}, p50 ×{ratios['p50']}, p99 ×{ratios['p99']}, "
        f"server CPU per request ×{ratios['server_cpu_per_req']}"
    )
    print(
        f"check: {verdict['stored_once']} of {verdict['acknowledged']} acknowledged posts stored exactly once "
        f"({verdict['missing']} missing, {verdict['stored_twice']} twice, {verdict['wrong_id']} under another id); "
        f"{verdict['resent']} resent with their client_id; {verdict['failed']} failed posts, "
        f"{verdict['failed_but_stored']} of them stored: {'OK' if verdict['ok'] else 'FAILED'}"
    )
    result = {
        **figures,
        "ratios": ratios,
        "check": verdict,
        "database": database,
        "redis": bool(env_extra),
        "workers": args.workers,
        "clients": args.clients,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in load_after],
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    print(json.dumps(result, ensure_ascii=False, sort_keys=True))
    return 0 if verdict["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
