"""The circle's WebSocket: `/ws/circles/<slug>/[?after=ID]` (routes in ws_urls.py, auth in auth.py).

Handshake: only an active member of the circle is accepted. Anyone else (anonymous, an outsider, a pending
nominee, a removed member, a bad `after`) is closed before the accept, which the server answers with HTTP 403:
not a single frame.

Delivery, in order and exactly once per socket:

1. join the circle's group first, so nothing published from now on can pass the socket by;
2. then the backlog from the database: every message after `after` (pages of BACKLOG_PAGE, oldest first);
   without `after`, the socket starts at the circle's latest message;
3. then live frames. The socket keeps `last_sent_id`. A `message` frame whose `prev_id` is `last_sent_id` is
   sent as it is (no query); anything else past `last_sent_id` (a gap, a reordering, a lost push) reads
   everything after `last_sent_id` from the database and sends it in order. The database is the truth; the
   push is a hint. A frame for a message already sent (an edit, a delete, a hide, an ask's status, or the
   push of a message the backlog already sent) goes out as `message_updated`, the message as it is now:
   so the client gets every `message` frame once, in id order, and updates as they come.

Membership: a removed member's sockets close at once (live.py pushes the removal to the circle's group after
the commit), and every socket checks its membership again on a tick (TICK_SECONDS, with jitter) as the
backstop; the tick also reads any message a lost push left behind. Close code 4403.

Heartbeat: uvicorn pings every socket (`kindred serve`: ws ping interval/timeout), so a dead TCP connection is
noticed and closed; browsers cannot send pings, so a client may send `{"type": "ping"}` and gets
`{"type": "pong"}` (the page's script does, and reconnects when no answer comes).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.contrib.auth.models import AnonymousUser

from kindred.circles.models import Membership
from kindred.circles.selectors import membership_for_circle, membership_get
from kindred.core.services import NotFound

from . import live
from .selectors import messages_page

logger = logging.getLogger(__name__)

MAX_ID = 2**63 - 1
BACKLOG_PAGE = 200
BACKLOG_MAX_PAGES = 500  # 100 000 messages at most in one catch-up; past that the client is told to reload
TICK_SECONDS = 30.0
TICK_JITTER = 0.2  # ± this share of the tick, so a circle's sockets do not all read at once
CLIENT_FRAME_MAX = 1000  # characters of a client's frame worth reading
CLOSE_NOT_MEMBER = 4403
CLOSE_TOO_FAR_BEHIND = 4409
PONG = json.dumps({"type": "pong"})


def parse_after(query_string: bytes) -> int | None:
    """`after` from the query: an id, or None when absent; ValueError when it is not a valid id."""
    values = parse_qs(query_string.decode("latin-1"), keep_blank_values=True).get("after")
    if not values:
        return None
    raw = values[-1].strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19 or int(raw) > MAX_ID:
        raise ValueError(raw)
    return int(raw)


def _membership(user: Any, slug: str) -> Membership | None:
    try:
        return membership_for_circle(user=user or AnonymousUser(), slug=slug)
    except NotFound:
        return None


def _latest_id(viewer: Membership) -> int:
    latest = messages_page(viewer=viewer, limit=1)
    return int(latest[-1]["id"]) if latest else 0


def _still_member(circle_id: int, member_id: int) -> bool:
    try:
        return membership_get(circle=circle_id, member_id=member_id).is_active
    except NotFound:
        return False


class CircleConsumer(AsyncWebsocketConsumer):
    membership: Membership | None = None
    group: str = ""
    last_sent_id = 0
    ticker: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        live.bind_loop(asyncio.get_running_loop())
        slug = str(self.scope["url_route"]["kwargs"]["slug"])
        try:
            after = parse_after(self.scope.get("query_string", b""))
        except ValueError:
            membership = None
        else:
            membership = await database_sync_to_async(_membership)(self.scope.get("user"), slug)
        if membership is None:
            await self.close()  # before the accept: the handshake is answered 403
            return
        self.membership = membership
        self.lock = asyncio.Lock()
        self.group = live.group_name(membership.circle_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        async with self.lock:
            latest = await database_sync_to_async(_latest_id)(membership)
            self.last_sent_id = latest if after is None else min(after, latest)
            await self._catch_up()
        self.ticker = asyncio.create_task(self._tick())

    async def disconnect(self, code: int) -> None:
        if self.ticker is not None:
            self.ticker.cancel()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not text_data or len(text_data) > CLIENT_FRAME_MAX:
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            return
        if isinstance(frame, dict) and frame.get("type") == "ping":
            await self.send(text_data=PONG)

    async def live_frame(self, event: dict[str, Any]) -> None:
        """A push from live.publish()."""
        if self.membership is None:
            return
        kind = event.get("kind")
        for_member = event.get("member_id")
        if for_member is not None and for_member != self.membership.pk:
            return  # one member's frame (their removal, their read marker): not for this socket
        if kind == live.MEMBER_REMOVED:
            await self._close_removed()
            return
        async with self.lock:
            message_id, prev_id = int(event.get("id") or 0), int(event.get("prev_id") or 0)
            if kind not in ("message", "message_updated"):
                await self.send(text_data=event["text"])
            elif 0 < message_id <= self.last_sent_id:
                # Already sent (by the backlog, or before it changed): its current state, as an update.
                await self.send(text_data=event.get("update_text") or event["text"])
            elif kind == "message" and prev_id == self.last_sent_id:
                await self.send(text_data=event["text"])  # the fast path: the next one, no query
                self.last_sent_id = message_id
            else:
                await self._catch_up()  # a gap or a reordering: the database, in order, from last_sent_id

    async def _catch_up(self) -> None:
        """Send every message after `last_sent_id` from the database, oldest first (hold the lock)."""
        assert self.membership is not None
        for _page in range(BACKLOG_MAX_PAGES):
            items = await database_sync_to_async(messages_page)(
                viewer=self.membership, after=self.last_sent_id, limit=BACKLOG_PAGE
            )
            for message in items:
                await self.send(text_data=live.encode({"type": "message", "message": message}))
                self.last_sent_id = int(message["id"])
            if len(items) < BACKLOG_PAGE:
                return
        await self.close(code=CLOSE_TOO_FAR_BEHIND)

    async def _close_removed(self) -> None:
        self.membership = None
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = ""
        await self.close(code=CLOSE_NOT_MEMBER)

    async def _tick(self) -> None:
        """The backstop: membership still active, and nothing left behind by a lost push."""
        while self.membership is not None:
            await asyncio.sleep(TICK_SECONDS * (1 + random.uniform(-TICK_JITTER, TICK_JITTER)))
            membership = self.membership
            if membership is None:
                return
            try:
                active = await database_sync_to_async(_still_member)(membership.circle_id, membership.pk)
                if not active:
                    await self._close_removed()
                    return
                async with self.lock:
                    await self._catch_up()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("ws tick failed for member %s", membership.pk, exc_info=True)
