"""Authorization matrix, the WebSocket rows: every role of tests/authz.py × every way to sign in × the handshake
of `/ws/circles/<slug>/`, in process (kindred.asgi.application through asgiref's ApplicationCommunicator, as
channels' WebsocketCommunicator does: that one needs daphne), on the matrix's own world
(tests/test_authorization_matrix.py).

Active members (member, admin, organizer) are accepted and get a message posted afterwards; anyone else
(anonymous, outsider, pending nominee, removed member) is closed before the accept (HTTP 403 on a real server:
see test_ws_live.py) and gets nothing at all, not even that message.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from channels.db import database_sync_to_async
from django.test import Client

from kindred.asgi import application
from kindred.conversation.services import message_post
from tests.authz import MEMBERS, ROLES
from tests.test_authorization_matrix import World, world  # noqa: F401  (the matrix's fixture)

ORIGIN = (b"origin", b"http://localhost")
TIMEOUT = 10


def _headers(world: World, role: str, how: str) -> list[tuple[bytes, bytes]]:  # noqa: F811
    if role == "anonymous":
        return [ORIGIN]
    if how == "bearer":
        return [(b"authorization", f"Bearer {world.tokens[role]}".encode())]
    client = Client()
    client.force_login(world.users[role])
    return [ORIGIN, (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]


async def _handshake(world: World, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:  # noqa: F811
    path = f"/ws/circles/{world.circle.slug}/"
    scope = {"type": "websocket", "path": path, "query_string": b"", "headers": headers, "subprotocols": []}
    socket = ApplicationCommunicator(application, scope)
    await socket.send_input({"type": "websocket.connect"})
    answer = await socket.receive_output(TIMEOUT)
    outcome: dict[str, Any] = {"accepted": answer["type"] == "websocket.accept", "frames": []}
    author = world.members["member"]
    posted = await database_sync_to_async(message_post)(
        author=author, text="矩阵测试", kind="chat", confirm_off_topic=True
    )
    outcome["posted"] = posted.message.pk
    if outcome["accepted"]:
        frame = await socket.receive_output(TIMEOUT)
        outcome["frames"].append(json.loads(frame["text"]))
        await socket.send_input({"type": "websocket.disconnect", "code": 1000})
        await socket.wait(TIMEOUT)
    else:
        assert answer["type"] == "websocket.close", answer
        outcome["nothing"] = await socket.receive_nothing(0.2)
    return outcome


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("how", ["bearer", "session"])
@pytest.mark.parametrize("role", ROLES)
def test_websocket_handshake(world: World, role: str, how: str) -> None:  # noqa: F811
    outcome = async_to_sync(_handshake)(world, _headers(world, role, how))
    if role in MEMBERS:
        assert outcome["accepted"], f"{role} ({how}) was refused"
        assert [f["type"] for f in outcome["frames"]] == ["message"]
        assert outcome["frames"][0]["message"]["id"] == outcome["posted"]
    else:
        assert not outcome["accepted"], f"{role} ({how}) was let in"
        assert outcome["nothing"], f"{role} ({how}) got a frame"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_session_from_another_site_or_without_an_origin_is_refused(world: World) -> None:  # noqa: F811
    cookie = _headers(world, "member", "session")[1]
    for headers in ([(b"origin", b"http://evil.example"), cookie], [cookie]):
        outcome = async_to_sync(_handshake)(world, headers)
        assert not outcome["accepted"] and outcome["nothing"], headers[0]
