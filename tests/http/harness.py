"""A real `kindred serve` on a free port, and the two kinds of outside client that talk to it.

`start_server()` makes a temporary data dir (and, when DATABASE_URL names PostgreSQL, a database of its own),
migrates and seeds the small circle of tests/http/seed.py, starts `kindred serve` and waits until /healthz
answers. `Api` is a cookie-less client with a Bearer token; `Browser` keeps cookies, reads pages and
submits their forms as rendered, with the Origin and Referer a browser sends.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

import httpx

from .html import Form, Override, find_form, parse_forms

ROOT = Path(__file__).resolve().parents[2]
KINDRED = Path(sys.executable).with_name("kindred")
PASSWORD = "correct horse battery staple"
STARTUP_SECONDS = 90
REQUEST_TIMEOUT = 30.0
# The environment of the test process that must not leak into the server (it has its own settings).
SCRUBBED = (
    "DJANGO_SETTINGS_MODULE",
    "KINDRED_TEST_DB_NAME",
    "REDIS_URL",
    "DATABASE_URL",
    "PYTEST_XDIST_WORKER",
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(cmd: list[str], env: dict[str, str], what: str) -> str:
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


class _PostgresDatabase:
    """A database of the server's own on the PostgreSQL server of DATABASE_URL, dropped at the end."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.admin_url = url
        self.name = f"kindred_http_{secrets.token_hex(4)}"
        parts = urlsplit(url)
        self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@dataclass
class Server:
    base_url: str
    slug: str
    members: dict[str, int]
    data_dir: Path
    process: subprocess.Popen[bytes]
    database: str
    stderr_path: Path
    _tokens: dict[str, str] = field(default_factory=dict)
    _sessions: dict[str, httpx.Cookies] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return urljoin(self.base_url, path)

    def stderr_since(self, offset: int) -> str:
        with self.stderr_path.open("rb") as fh:
            fh.seek(offset)
            return fh.read().decode("utf-8", "replace")

    def stderr_size(self) -> int:
        return self.stderr_path.stat().st_size

    def token(self, username: str) -> str:
        """A Bearer token for `username`, made once through POST /api/v1/auth/token."""
        if username not in self._tokens:
            with httpx.Client(base_url=self.base_url, timeout=REQUEST_TIMEOUT) as client:
                r = client.post(
                    "/api/v1/auth/token",
                    json={"username": username, "password": PASSWORD, "name": "http tests"},
                )
            assert r.status_code == 201, (r.status_code, r.text)
            self._tokens[username] = r.json()["token"]
        return self._tokens[username]

    def api(self, username: str | None = None, *, lang: str = "zh-hans") -> Api:
        token = self.token(username) if username else None
        return Api(self, token, lang)

    def browser(self, username: str | None = None, *, lang: str = "zh-hans") -> Browser:
        """A browser signed in as `username` through the sign-in form (once; later ones reuse its cookies)."""
        browser = Browser(self, lang)
        if username in self._sessions:
            browser.client.cookies.update(self._sessions[username])
        elif username:
            browser.sign_in(username)
            self._sessions[username] = httpx.Cookies(browser.client.cookies)
        return browser

    def forget_session(self, username: str) -> None:
        """After a test signs `username` out: the next browser signs in again."""
        self._sessions.pop(username, None)

    def member_id(self, username: str) -> int:
        return self.members[username]


def start_server(*, workers: int = 1, env_extra: dict[str, str] | None = None) -> tuple[Server, Any]:
    """Start the server; returns it and a `stop()` that ends it and removes what it made.

    `workers` and `env_extra` (e.g. a REDIS_URL, which the test process's environment never passes on) are for
    the tests of several workers sharing a channel layer."""
    data_dir = Path(tempfile.mkdtemp(prefix="kindred-http-"))
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.update(
        KINDRED_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="kindred.settings.dev",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    env.update(env_extra or {})
    database: _PostgresDatabase | None = None
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        database = _PostgresDatabase(url)
        env["DATABASE_URL"] = database.url
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env["KINDRED_SITE_URL"] = base_url
    process: subprocess.Popen[bytes] | None = None
    stderr_path = data_dir / "serve.stderr"

    def stop() -> None:
        try:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
        finally:
            if database is not None:
                database.drop()
            shutil.rmtree(data_dir, ignore_errors=True)

    try:
        seeded = json.loads(_run([sys.executable, "-m", "tests.http.seed"], env, "migrate and seed"))
        with (data_dir / "serve.stdout").open("wb") as out, stderr_path.open("wb") as err:
            process = subprocess.Popen(
                [
                    str(KINDRED),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    str(workers),
                ],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=err,
            )
        _wait_healthy(process, base_url, stderr_path)
    except BaseException:
        stop()
        raise
    server = Server(
        base_url=base_url,
        slug=seeded["slug"],
        members=seeded["members"],
        data_dir=data_dir,
        process=process,
        database="postgresql" if database else "sqlite",
        stderr_path=stderr_path,
    )
    return server, stop


def _wait_healthy(process: subprocess.Popen[bytes], base_url: str, stderr_path: Path) -> None:
    """Poll /healthz until it answers 200, the server exits, or the deadline passes."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        try:  # the pause between polls is a wait on the server: it ends early if the server exits
            process.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            continue
        raise RuntimeError(f"kindred serve exited with {process.returncode}:\n{stderr_path.read_text()}")
    raise RuntimeError(
        f"kindred serve did not answer /healthz in {STARTUP_SECONDS}s:\n{stderr_path.read_text()}"
    )


class Api:
    """A cookie-less JSON client: `Authorization: Bearer` when it has a token, nothing else."""

    def __init__(self, server: Server, token: str | None, lang: str) -> None:
        headers = {"Accept-Language": lang, "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.server = server
        self.client = httpx.Client(base_url=server.base_url, headers=headers, timeout=REQUEST_TIMEOUT)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.client.request(method, path, **kwargs)
        assert not self.client.cookies, (
            f"the API set a cookie on a Bearer client: {dict(self.client.cookies)}"
        )
        assert response.status_code < 500, f"{method} {path}: {response.status_code} {response.text[:2000]}"
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, json=json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, json=json, **kwargs)

    def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        assert response.status_code == status, (
            f"{method} {path}: {response.status_code} {response.text[:2000]}"
        )
        return response.json() if response.content else None


class Browser:
    """A browser-like client: keeps cookies, follows redirects, submits forms as rendered."""

    def __init__(self, server: Server, lang: str) -> None:
        self.server = server
        self.client = httpx.Client(
            base_url=server.base_url,
            timeout=REQUEST_TIMEOUT,
            follow_redirects=True,
            headers={
                "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) kindred-http-tests",
                "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                "Accept-Language": lang,
            },
        )
        self.page: httpx.Response | None = None

    def get(self, path: str, *, status: int | None = 200) -> httpx.Response:
        headers = {"Referer": str(self.page.url)} if self.page is not None else {}
        response = self.client.get(path, headers=headers)
        assert response.status_code < 500, f"GET {path}: {response.status_code}\n{response.text[:3000]}"
        if status is not None:
            assert response.status_code == status, (
                f"GET {path}: {response.status_code}\n{response.text[:3000]}"
            )
        self.page = response
        return response

    @property
    def html(self) -> str:
        assert self.page is not None
        return self.page.text

    def forms(self) -> list[Form]:
        return parse_forms(self.html)

    def form(
        self,
        action: str = "",
        *,
        contains: str = "",
        method: str | None = None,
        css_class: str | None = None,
        field: str | None = None,
    ) -> Form:
        return find_form(
            self.html, action, contains=contains, method=method, css_class=css_class, field=field
        )

    def submit(
        self,
        form: Form,
        overrides: Mapping[str, Override] | None = None,
        *,
        button: str | None = None,
        status: int | None = None,
    ) -> httpx.Response:
        """Press `form`'s submit button from the current page, with the headers a browser sends."""
        assert self.page is not None, "open a page first"
        page_url = str(self.page.url)
        target = urljoin(page_url, form.action or page_url)
        data = form.data(overrides, button)
        if form.method == "get":
            response = self.client.get(target, params=urlencode(data), headers={"Referer": page_url})
        else:
            origin = f"{self.page.url.scheme}://{self.page.url.netloc.decode()}"
            response = self.client.post(
                target,
                content=urlencode(data).encode(),
                headers={
                    "Origin": origin,
                    "Referer": page_url,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
        assert response.status_code < 500, (
            f"{form.method} {target}: {response.status_code}\n{response.text[:3000]}"
        )
        if status is not None:
            assert response.status_code == status, (
                f"{form.method} {target}: {response.status_code}\n{response.text[:3000]}"
            )
        self.page = response
        return response

    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        self.get("/accounts/login/")
        self.submit(self.form("/accounts/login/"), {"username": username, "password": password})
        assert "/accounts/login/" not in str(self.page.url if self.page else ""), (
            f"sign-in as {username} failed"
        )
        assert "sessionid" in self.client.cookies

    def api(self, method: str, path: str, json: Any = None, *, csrf: bool = True) -> httpx.Response:
        """The JSON API from this browser session (cookies), with the page's CSRF token when `csrf`."""
        headers = {"Accept": "application/json", "Referer": self.server.base_url + "/"}
        token = self.client.cookies.get("csrftoken")
        if csrf and token:
            headers["X-CSRFToken"] = token
        return self.client.request(method, path, json=json, headers=headers)
