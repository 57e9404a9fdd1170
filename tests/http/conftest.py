"""The `server` every HTTP test talks to: one real `kindred serve` per test session (per xdist worker).

Every test here is marked `http`. A failing test's report carries what the server wrote to stderr while the
test ran.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Any

import pytest

from .harness import Server, start_server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/tests/http/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.http)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    running, stop = start_server()
    try:
        yield running
    finally:
        stop()


@pytest.fixture(autouse=True)
def _server_stderr_offset(request: pytest.FixtureRequest) -> None:
    if "server" in request.fixturenames:
        srv: Server = request.getfixturevalue("server")
        request.node._http_stderr = (srv, srv.stderr_size())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    mark = getattr(item, "_http_stderr", None)
    if call.when == "call" and report.failed and mark is not None:
        srv, offset = mark
        log = srv.stderr_since(offset).strip()
        if log:
            report.sections.append(("kindred serve stderr", log[-20000:]))
