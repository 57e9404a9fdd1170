"""What the web benches share: servers on loopback, a C load generator, and the server's own CPU time.

Used by bench/pages.py and bench/envelopes_http.py (`from web import ...`: a bench runs with bench/ on its
path); not a bench by itself.

- `kindred_server()` loads the demo circle into a fresh data dir (SQLite, or a scratch PostgreSQL database when
  a DATABASE_URL is given) and starts `kindred serve --no-worker` on a free port: nothing runs in the
  server but what the requests ask for.
- `bare_server()` serves bench/bare_hello.py (bare Django: one view, no middleware) under the same uvicorn
  with the same worker count: the baseline every ratio is taken against.
- `load()` drives one URL with wrk (Debian's `wrk`: a C load generator, so the client costs the server's
  two cores as little as possible) and reads the server's user + system CPU time, over its whole process
  tree, from /proc before and after. CPU per request is that time over the requests wrk completed: on a
  shared machine req/s swing with whatever else runs; CPU per request holds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
KINDRED = Path(sys.executable).with_name("kindred")
START_TIMEOUT_SECONDS = 60
DEMO_TIMEOUT_SECONDS = 900
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def need_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        sys.exit("wrk is not installed: `apt-get install wrk` (Debian's package; loopback only)")
    return path


# ---------------------------------------------------------------------------------------------- CPU time


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system seconds) of one process, threads included; None once it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) "; comm may hold spaces
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU seconds of `root` and every live descendant (uvicorn's worker processes)."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            got = _stat(int(entry))
            if got is not None:
                parents[int(entry)], cpu[int(entry)] = got
    total, wanted = 0.0, {root}
    changed = True
    while changed:  # the tree is small: a few passes close it
        changed = False
        for pid, parent in parents.items():
            if parent in wanted and pid not in wanted:
                wanted.add(pid)
                changed = True
    for pid in wanted:
        total += cpu.get(pid, 0.0)
    return total


# ----------------------------------------------------------------------------------------------- servers


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    slug: str = ""
    password: str = ""

    @property
    def pid(self) -> int:
        return self.process.pid


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode(errors="replace") if process.stderr else ""
            sys.exit(f"the server exited with {process.returncode}:\n{err}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    sys.exit(f"no answer on {url} within {START_TIMEOUT_SECONDS}s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def kindred_env(
    data_dir: Path, database_url: str | None = None, redis_url: str | None = None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        KINDRED_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="kindred.settings.dev",
        ALLOWED_HOSTS=HOST,
        DEBUG="0",
        LOG_LEVEL="ERROR",
        PYTHONUNBUFFERED="1",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def _scratch_postgres(url: str) -> tuple[str, str]:
    """(url of a new scratch database beside `url`'s, its name): the bench never touches `url`'s data."""
    name = f"kindred_bench_{os.getpid()}"
    base = url.rsplit("/", 1)[0]
    subprocess.run(
        ["dropdb", "--if-exists", "-h", HOST, "-U", "postgres", name], check=False, capture_output=True
    )
    subprocess.run(["createdb", "-h", HOST, "-U", "postgres", name], check=True, capture_output=True)
    return f"{base}/{name}", name


@contextmanager
def kindred_server(
    *, workers: int = 1, database_url: str | None = None, redis_url: str | None = None
) -> Iterator[Server]:
    """`kindred serve --no-worker` over a freshly loaded demo circle; removed (data dir, scratch database)
    at the end."""
    tmp = Path(tempfile.mkdtemp(prefix="kindred-bench-"))
    scratch: str | None = None
    process: subprocess.Popen[bytes] | None = None
    try:
        if database_url:
            database_url, scratch = _scratch_postgres(database_url)
        env = kindred_env(tmp, database_url, redis_url)
        started = time.perf_counter()
        out = subprocess.run(
            [str(KINDRED), "demo", "--no-serve"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=DEMO_TIMEOUT_SECONDS,
            check=False,
        )
        if out.returncode != 0:
            sys.exit(f"`kindred demo --no-serve` failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
        print(f"demo data loaded in {time.perf_counter() - started:.1f}s", flush=True)
        code = (
            "import json, django; django.setup();"
            "from kindred.demo.loader import DEMO_PASSWORD, DEMO_SLUG;"
            "print(json.dumps([DEMO_PASSWORD, DEMO_SLUG]))"
        )
        got = subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
        )
        password, slug = json.loads(got.stdout.strip().splitlines()[-1])
        port = free_port()
        process = subprocess.Popen(
            [
                str(KINDRED),
                "serve",
                "--no-worker",
                "--host",
                HOST,
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        base = f"http://{HOST}:{port}"
        _wait_ready(f"{base}/healthz", process)
        yield Server(base=base, process=process, env=env, slug=slug, password=password)
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(tmp, ignore_errors=True)
        if scratch:
            subprocess.run(
                ["dropdb", "--if-exists", "-h", HOST, "-U", "postgres", scratch],
                check=False,
                capture_output=True,
            )


@contextmanager
def bare_server(*, workers: int = 1) -> Iterator[Server]:
    """bench/bare_hello.py under uvicorn, as `kindred serve` runs Kindred (lifespan off, no access log)."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.bare_hello:application",
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--lifespan",
            "off",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://{HOST}:{port}"
    try:
        _wait_ready(f"{base}/hello", process)
        yield Server(base=base, process=process, env=env)
    finally:
        _stop(process)


def sign_in(base: str, username: str, password: str) -> httpx.Cookies:
    """A real session through the login form, as a browser does it."""
    with httpx.Client(base_url=base, timeout=30) as client:
        page = client.get("/accounts/login/")
        page.raise_for_status()
        match = CSRF_RE.search(page.text)
        if not match:
            sys.exit("no CSRF token on the login page")
        resp = client.post(
            "/accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": match.group(1)},
            headers={"Referer": f"{base}/accounts/login/"},
        )
        if resp.status_code != 302 or "sessionid" not in client.cookies:
            sys.exit(f"signing in as {username} failed: {resp.status_code}")
        return client.cookies


def cookie_header(cookies: httpx.Cookies) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


# -------------------------------------------------------------------------------------------------- load


@dataclass
class Load:
    """One wrk run against one URL, with the server's CPU time over it."""

    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    bad: int  # non-2xx/3xx answers plus socket errors
    cpu_s: float

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu_s / self.requests if self.requests else float("inf")

    def figures(self) -> dict[str, Any]:
        return {**asdict(self), "cpu_ms_per_request": round(self.cpu_ms_per_request, 4)}


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def parse_wrk(out: str) -> tuple[int, float, float, float, float, int]:
    """(requests, seconds, req/s, p50 ms, p99 ms, bad) from wrk's --latency report."""
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    if done is None:
        raise RuntimeError(f"unreadable wrk output:\n{out}")
    requests, seconds = int(done.group(1)), _ms(done.group(2) + done.group(3)) / 1000
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+([\d.]+\w+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+([\d.]+\w+)", out).group(1))  # type: ignore[union-attr]
    bad = 0
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        bad += int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        bad += sum(int(g) for g in m.groups())
    return requests, seconds, rps, p50, p99, bad


def load(
    server: Server,
    path: str,
    *,
    seconds: float = 5.0,
    connections: int = 8,
    threads: int = 2,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    body: str | None = None,
    lua: str | None = None,
) -> Load:
    """wrk on `server.base + path` for `seconds`; the server's CPU seconds over the run come with it.
    `lua` is a wrk script body of one's own (e.g. one request per envelope); otherwise method, headers and
    body make one."""
    wrk = need_wrk()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        if lua is not None:
            script.write(lua)
        else:
            script.write(f"wrk.method = {json.dumps(method)}\n")
            if body is not None:
                script.write(f"wrk.body = {json.dumps(body)}\n")
            for name, value in (headers or {}).items():
                script.write(f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}\n")
    try:
        cmd = [
            wrk,
            f"-t{min(threads, connections)}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "30s",
            "--latency",
            "-s",
            script.name,
            server.base + path,
        ]
        before = tree_cpu_seconds(server.pid)
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        after = tree_cpu_seconds(server.pid)
    finally:
        os.unlink(script.name)
    requests, took, rps, p50, p99, bad = parse_wrk(out)
    return Load(requests, took, rps, round(p50, 3), round(p99, 3), bad, round(after - before, 3))


def combine(loads: list[Load]) -> Load:
    """Rounds of one target as one figure: sums for counts and CPU, medians for latencies."""
    requests = sum(x.requests for x in loads)
    took = sum(x.seconds for x in loads)
    p50s = sorted(x.p50_ms for x in loads)
    p99s = sorted(x.p99_ms for x in loads)
    return Load(
        requests=requests,
        seconds=round(took, 3),
        rps=round(requests / took, 1) if took else 0.0,
        p50_ms=p50s[len(p50s) // 2],
        p99_ms=p99s[len(p99s) // 2],
        bad=sum(x.bad for x in loads),
        cpu_s=round(sum(x.cpu_s for x in loads), 3),
    )
