"""Live delivery over a real `kindred serve` (tests/http/harness.py) with real WebSocket clients (`websockets`).

Every wait is a bounded receive on a socket (a frame arrives, or the test fails after FRAME_TIMEOUT): no sleeps.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.http import conftest as http_conftest
from tests.http.harness import KINDRED, SCRUBBED, Server, start_server

pytestmark = pytest.mark.http

server = http_conftest.server  # the black-box suite's fixture: one real `kindred serve` per test session

FRAME_TIMEOUT = 15.0
FRAMES_MAX = 500  # frames read while waiting for one message, at most


@pytest.fixture(autouse=True)
def _server_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """What the server wrote to stderr during a test, shown with its report when it has a traceback."""
    if "server" not in request.fixturenames:
        yield
        return
    srv: Server = request.getfixturevalue("server")
    offset = srv.stderr_size()
    yield
    log = srv.stderr_since(offset)
    if "Traceback" in log:
        print(f"kindred serve stderr:\n{log[-20000:]}")


# --- clients -----------------------------------------------------------------------------------------


def ws_url(server: Server, after: int | None = None) -> str:
    query = f"?after={after}" if after is not None else ""
    return server.base_url.replace("http://", "ws://", 1) + f"/ws/circles/{server.slug}/{query}"


def open_ws(
    server: Server,
    username: str | None = None,
    *,
    after: int | None = None,
    headers: dict[str, str] | None = None,
    origin: str | None = None,
) -> ClientConnection:
    sent = dict(headers or {})
    if username:
        sent["Authorization"] = f"Bearer {server.token(username)}"
    return connect(
        ws_url(server, after),
        additional_headers=sent,
        origin=origin,  # type: ignore[arg-type]
        open_timeout=FRAME_TIMEOUT,
        close_timeout=5,
    )


def refused(server: Server, username: str | None = None, **kwargs: Any) -> int:
    """The handshake's HTTP status: it must not be accepted (so not a single frame can come)."""
    with pytest.raises(InvalidStatus) as refusal:
        open_ws(server, username, **kwargs).close()
    return refusal.value.response.status_code


def next_frame(ws: ClientConnection) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(ws.recv(timeout=FRAME_TIMEOUT))
    return frame


def message_ids_until(ws: ClientConnection, last_id: int) -> list[int]:
    """The ids of the `message` frames received up to and including `last_id`, in order."""
    ids: list[int] = []
    for _ in range(FRAMES_MAX):
        frame = next_frame(ws)
        if frame["type"] == "message":
            ids.append(frame["message"]["id"])
            if frame["message"]["id"] >= last_id:
                return ids
    raise AssertionError(f"{FRAMES_MAX} frames without message {last_id}: {ids[-10:]}")


def post(server: Server, username: str, text: str | None = None, **extra: Any) -> dict[str, Any]:
    # These texts are not about the circle's trade: they are posted anyway (the off-topic check asks first).
    body = {"text": text or f"你好 {secrets.token_hex(3)}", "confirm_off_topic": True, **extra}
    message: dict[str, Any] = server.api(username).ok(
        "POST", f"/api/v1/circles/{server.slug}/messages", 201, json=body
    )
    return message


def latest_id(server: Server, username: str = "laozhou") -> int:
    items = server.api(username).ok("GET", f"/api/v1/circles/{server.slug}/messages?limit=1")["items"]
    return int(items[-1]["id"]) if items else 0


def nominate_account(server: Server, nominator: str, email: str) -> None:
    """A pending nomination of an account holder's e-mail: they are a nominee, not a member."""
    server.api(nominator).ok(
        "POST",
        f"/api/v1/circles/{server.slug}/nominations",
        201,
        json={
            "name": "提名中",
            "email": email,
            "relationship": "colleague",
            "years_known": 3,
            "closeness": 3,
            "reason": "老朋友，做发行的。",
        },
    )


def remove_member(server: Server, username: str) -> None:
    """The organizer removes `username` through the member page's form (there is no API for it)."""
    member_id = server.member_id(username)
    organizer = server.browser("laozhou")
    organizer.get(f"/c/{server.slug}/members/{member_id}/")
    action = f"/c/{server.slug}/members/{member_id}/remove/"
    organizer.submit(organizer.form(action), {"reason": "测试：移出圈子"})
    if any(f.action.endswith(action) and "confirm" in f.names() for f in organizer.forms()):
        organizer.submit(organizer.form(action, field="confirm"))  # the confirmation page, as rendered


# --- delivery ----------------------------------------------------------------------------------------


def test_a_member_receives_a_message_posted_through_the_api(server: Server) -> None:
    with open_ws(server, "alice") as ws:
        posted = post(server, "bob", "周五晚上有空吃饭吗？🍜")
        frame = next_frame(ws)
    assert frame["type"] == "message"
    assert frame["message"]["id"] == posted["id"]
    assert frame["message"]["text"] == "周五晚上有空吃饭吗？🍜"
    assert frame["message"]["author"]["member_id"] == server.member_id("bob")
    assert frame["message"]["author"]["display_name"] == "Bob Chen"


def test_two_connections_of_one_member_both_receive(server: Server) -> None:
    with open_ws(server, "carol") as phone, open_ws(server, "carol") as laptop:
        posted = post(server, "dave")
        assert message_ids_until(phone, posted["id"]) == [posted["id"]]
        assert message_ids_until(laptop, posted["id"]) == [posted["id"]]


def test_resume_after_a_disconnect_sends_what_was_missed_then_live_with_no_gap_and_no_duplicate(
    server: Server,
) -> None:
    with open_ws(server, "alice") as ws:
        seen = post(server, "bob")
        assert message_ids_until(ws, seen["id"])[-1] == seen["id"]
    missed = [post(server, poster)["id"] for poster in ("bob", "carol", "dave", "laozhou", "bob", "admin1")]
    with open_ws(server, "alice", after=seen["id"]) as ws:
        live = [post(server, "carol")["id"], post(server, "dave")["id"]]
        received = message_ids_until(ws, live[-1])
    assert received == missed + live
    # The database agrees: nothing was skipped between the last seen id and the last live one.
    stored = server.api("alice").ok(
        "GET", f"/api/v1/circles/{server.slug}/messages?after={seen['id']}&limit=50"
    )
    assert [m["id"] for m in stored["items"] if m["id"] <= live[-1]] == received


def test_resume_with_a_page_larger_than_the_backlog_page(server: Server) -> None:
    """More missed messages than one backlog page (consumers.BACKLOG_PAGE): pages follow in order."""
    from kindred.conversation.consumers import BACKLOG_PAGE

    start = latest_id(server)
    api = server.api("bob")
    missed = [
        api.ok(
            "POST",
            f"/api/v1/circles/{server.slug}/messages",
            201,
            json={"text": f"第{i}条", "confirm_off_topic": True},
        )["id"]
        for i in range(BACKLOG_PAGE + 5)
    ]
    with open_ws(server, "alice", after=start) as ws:
        assert message_ids_until(ws, missed[-1]) == missed


def test_without_after_the_socket_starts_at_the_latest_message(server: Server) -> None:
    post(server, "bob")
    with open_ws(server, "alice") as ws:
        posted = post(server, "carol")
        assert message_ids_until(ws, posted["id"]) == [posted["id"]]


def test_an_edit_reaches_the_socket_as_an_update(server: Server) -> None:
    posted = post(server, "dave", "明天开会")
    with open_ws(server, "alice", after=posted["id"]) as ws:
        server.api("dave").ok("PATCH", f"/api/v1/messages/{posted['id']}", 200, json={"text": "后天开会"})
        frame = next_frame(ws)
    assert frame["type"] == "message_updated"
    assert frame["message"]["id"] == posted["id"]
    assert frame["message"]["text"] == "后天开会"


def test_ping_gets_pong(server: Server) -> None:
    with open_ws(server, "alice") as ws:
        ws.send(json.dumps({"type": "ping"}))
        assert next_frame(ws) == {"type": "pong"}


# --- who may open a socket -----------------------------------------------------------------------------


def test_anonymous_outsider_and_bad_tokens_are_refused_before_any_frame(server: Server) -> None:
    assert refused(server) == 403
    assert refused(server, "zoe") == 403  # an account in no circle
    assert refused(server, headers={"Authorization": "Bearer kdr_not-a-token"}) == 403
    assert refused(server, headers={"Authorization": "Basic YWxpY2U6eA=="}) == 403
    assert refused(server, "alice", after=-1) == 403


def test_a_bad_after_or_an_unknown_path_is_refused(server: Server) -> None:
    headers = {"Authorization": f"Bearer {server.token('alice')}"}
    for query in ("?after=abc", "?after=-1", "?after=99999999999999999999", "?after=1%00"):
        url = ws_url(server) + query
        with pytest.raises(InvalidStatus) as refusal:
            connect(url, additional_headers=headers, open_timeout=FRAME_TIMEOUT).close()
        assert refusal.value.response.status_code == 403, query
    other = server.base_url.replace("http://", "ws://", 1) + "/ws/nowhere/"
    with pytest.raises(InvalidStatus) as refusal:
        connect(other, additional_headers=headers, open_timeout=FRAME_TIMEOUT).close()
    assert refusal.value.response.status_code == 403
    missing = server.base_url.replace("http://", "ws://", 1) + "/ws/circles/no-such-circle/"
    with pytest.raises(InvalidStatus) as refusal:
        connect(missing, additional_headers=headers, open_timeout=FRAME_TIMEOUT).close()
    assert refusal.value.response.status_code == 403


def test_a_pending_nominee_is_refused(server: Server) -> None:
    nominate_account(server, "alice", "yuki@example.com")
    assert refused(server, "yuki") == 403


def test_the_session_cookie_works_from_the_site_and_nowhere_else(server: Server) -> None:
    browser = server.browser("bob")
    cookie = "; ".join(f"{name}={value}" for name, value in browser.client.cookies.items())
    with open_ws(server, headers={"Cookie": cookie}, origin=server.base_url) as ws:
        posted = post(server, "carol")
        assert message_ids_until(ws, posted["id"]) == [posted["id"]]
    # Another site's page cannot ride on the session, and a client without an Origin needs a token.
    assert refused(server, headers={"Cookie": cookie}, origin="http://evil.example") == 403
    assert refused(server, headers={"Cookie": cookie}) == 403


def test_a_removed_member_is_cut_off_at_once_and_refused_after(server: Server) -> None:
    with open_ws(server, "erin") as ws:
        remove_member(server, "erin")
        frames = []
        with pytest.raises(ConnectionClosed) as closed:
            for _ in range(FRAMES_MAX):
                frames.append(next_frame(ws))
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
        assert frames == []
    assert refused(server, "erin") == 403


def test_serve_refuses_several_workers_without_a_shared_channel_layer(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.update(KINDRED_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="kindred.settings.dev")
    done = subprocess.run(
        [str(KINDRED), "serve", "--port", "1", "--workers", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "--workers 2 needs a shared channel layer: set REDIS_URL" in done.stderr
    assert "Kindred on http" not in done.stdout  # refused before anything starts


# --- several workers on Redis ---------------------------------------------------------------------------


def _worker_of(pids: list[int], server_port: int, client_port: int) -> int | None:
    """Which process holds the server side of the connection from `client_port` (Linux /proc)."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        local, remote = parts[1], parts[2]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == client_port:
            inode = parts[9]
    if inode is None:
        return None
    for pid in pids:
        fd_dir = Path(f"/proc/{pid}/fd")
        try:
            links = [os.readlink(fd) for fd in fd_dir.iterdir()]
        except OSError:
            continue
        if f"socket:[{inode}]" in links:
            return pid
    return None


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: REDIS_URL=redis://127.0.0.1:6379/0")
def test_two_workers_on_redis_deliver_across_workers() -> None:
    running, stop = start_server(workers=2, env_extra={"REDIS_URL": os.environ["REDIS_URL"]})
    try:
        with ExitStack() as sockets:
            workers = _children(running.process.pid)
            assert len(workers) >= 2, workers
            port = int(running.base_url.rsplit(":", 1)[1])
            held: dict[int, ClientConnection] = {}
            for _ in range(60):  # the kernel hands each connection to a worker: open until both hold one
                ws = sockets.enter_context(open_ws(running, "alice"))
                owner = _worker_of(workers, port, ws.socket.getsockname()[1])
                if owner is not None:
                    held.setdefault(owner, ws)
                if len(held) >= 2:
                    break
            assert len(held) >= 2, f"every socket landed on one worker: {held}"
            posted = [post(running, "bob")["id"] for _ in range(4)]  # the posts land on either worker too
            for ws in held.values():
                assert message_ids_until(ws, posted[-1]) == posted
    finally:
        stop()
