"""`kindred serve` runs uvicorn with DEBUG off and WhiteNoise serving the collected static files."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.management import CommandError, call_command
from django.test import override_settings

STARTUP_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (our own local server)
        return response.status, response.read()


def test_serve_refuses_to_start_without_htmx(tmp_path: Path) -> None:
    (tmp_path / "kindred").mkdir()
    (tmp_path / "kindred" / "kindred.css").write_text("body{}")
    with override_settings(STATICFILES_DIRS=[tmp_path]), pytest.raises(CommandError, match="make assets"):
        call_command("serve", "--port", "1")


def test_demo_checks_static_files_before_loading(tmp_path: Path) -> None:
    with override_settings(STATICFILES_DIRS=[tmp_path]), pytest.raises(CommandError, match="make assets"):
        call_command("demo")


def test_serve_answers_with_static_files_and_debug_off(tmp_path: Path) -> None:
    if not finders.find("vendor/htmx.min.js"):
        pytest.skip("htmx is not there: run `make assets`")
    port = _free_port()
    env = {
        k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DEBUG", "DATABASE_URL")
    }
    env["KINDRED_DATA_DIR"] = str(tmp_path)
    server = subprocess.Popen(
        [sys.executable, "-m", "kindred", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                status, _body = _get(f"{base}/hello")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    output = server.stdout.read().decode() if server.stdout else ""
                    pytest.fail(f"kindred serve did not answer: {output}")
                time.sleep(0.2)
        assert status == 200
        manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
        hashed = manifest["paths"]["vendor/htmx.min.js"]
        status, body = _get(f"{base}/static/{hashed}")
        assert status == 200 and b"htmx" in body
        status, page = _get(f"{base}/accounts/login/")
        assert status == 200 and f"/static/{hashed}".encode() in page
        # DEBUG is off: an unknown page is the plain 404, not Django's debug page.
        with pytest.raises(urllib.error.HTTPError) as missing:
            _get(f"{base}/no-such-page/")
        assert missing.value.code == 404
        assert b"URLconf" not in missing.value.read()
    finally:
        server.terminate()
        server.wait(timeout=20)
        if server.stdout:
            server.stdout.close()
