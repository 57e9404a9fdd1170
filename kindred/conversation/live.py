"""Live delivery of a circle's conversation: the one hook between the conversation's data and the sockets
(kindred/conversation/consumers.py), and the channel-layer group every socket of a circle listens on.

Every change to a circle's stream (a message posted, edited, deleted, hidden; an ask caught or closed; an event
card) calls `publish(circle_id, frame)` after its transaction commits, never before: a frame always describes
something already in the database. Frames are JSON-ready dicts with a `type`:

- `{"type": "message", "message": {...}}`: a new or changed message in the API's shape, with its `id` and
  `prev_id` (the previous message of the same circle); `"message_updated"` says outright that it changed;
- `{"type": "read", "member_id": int, "last_read_id": int}`: a frame with a `member_id` goes to that member's
  own sockets only, never to the rest of the circle.

The push is a hint; the database is the truth. A socket that last sent `prev_id` sends a new message's frame as
it is; any other socket reads what it lacks from the database; a frame for a message the socket already sent
goes out as `message_updated` (its current state). So a lost, late or reordered push costs a query, never a
message, and a client gets each `message` once, in order.

`publish()` is called from synchronous code after the commit (a request's thread, a background task's thread):
the frame is encoded to JSON once here, and the sockets forward that text as it is. It never raises and does
not block for long: a failing push is logged, and the sockets catch up from the database on their next frame
or tick.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, InMemoryChannelLayer, get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models.signals import post_save

from kindred.circles.models import Membership

logger = logging.getLogger(__name__)

PUBLISH_TIMEOUT_SECONDS = 5.0
SWEEP_SECONDS = 1.0  # LocalChannelLayer: how often, at most, expired messages are swept
EVENT_TYPE = "live.frame"  # the consumer's handler: CircleConsumer.live_frame
MEMBER_REMOVED = "member_removed"  # internal: the removed member's sockets close; never sent to a client

# The event loop of this process's sockets (the server's loop), set by the first socket that connects: a thread
# that publishes hands the send to it, so the in-memory layer's queues are only ever touched from their loop.
_loop: asyncio.AbstractEventLoop | None = None


class LocalChannelLayer(InMemoryChannelLayer):
    """Channels' in-memory layer (one process: the embedded default), with its sweep bounded in time.

    The stock layer sweeps every channel and every group membership for expired messages on each receive(),
    so one message to a circle of N sockets cost N sweeps of N: O(N²). Here the sweep runs at most once every
    SWEEP_SECONDS. Set `group_expiry` far off in the settings: a socket stays in its circle's group as long as
    it is open (the stock day would drop a day-old socket from its group).
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._swept_at = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept_at >= SWEEP_SECONDS:
            self._swept_at = now
            super()._clean_expired()


def group_name(circle_id: int) -> str:
    return f"circle.{circle_id}"


def bind_loop(loop: asyncio.AbstractEventLoop) -> None:
    global _loop
    _loop = loop


def encode(frame: dict[str, Any]) -> str:
    return json.dumps(frame, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def event_for(frame: dict[str, Any]) -> dict[str, Any]:
    """The channel-layer event for a client frame: its JSON texts, and what a consumer decides on."""
    message = frame.get("message") or {}
    event: dict[str, Any] = {
        "type": EVENT_TYPE,
        "kind": str(frame.get("type", "")),
        "id": int(message.get("id") or 0),
        "prev_id": int(message.get("prev_id") or 0),
        "text": encode(frame),
    }
    if message:  # the same message as an update, for the sockets that already sent it
        event["update_text"] = encode({**frame, "type": "message_updated"})
    if frame.get("member_id") is not None:  # one member's own frame (a read marker): their sockets only
        event["member_id"] = int(frame["member_id"])
    return event


def publish(circle_id: int, frame: dict[str, Any]) -> None:
    """Tell the sockets of `circle_id` about a committed change. Call after the commit; never raises."""
    try:
        _group_send(group_name(circle_id), event_for(frame))
    except Exception:
        logger.warning(
            "live: the push to circle %s failed; its sockets will read the database", circle_id, exc_info=True
        )


def _group_send(group: str, event: dict[str, Any]) -> None:
    layer: BaseChannelLayer | None = get_channel_layer()
    if layer is None:
        return
    loop = _loop
    if loop is not None and loop.is_running() and not loop.is_closed():
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:  # called from the loop itself: schedule, do not block it
            loop.create_task(layer.group_send(group, event))
            return
        asyncio.run_coroutine_threadsafe(layer.group_send(group, event), loop).result(PUBLISH_TIMEOUT_SECONDS)
        return
    if isinstance(layer, InMemoryChannelLayer):
        return  # no socket was ever opened in this process: nobody to tell
    async_to_sync(layer.group_send)(group, event)


def _member_removed(sender: type[Membership], instance: Membership, **kwargs: Any) -> None:
    """A removed member's open sockets close at once (the consumers' tick is the backstop)."""
    update_fields = kwargs.get("update_fields")
    if instance.status != Membership.Status.REMOVED or (update_fields and "status" not in update_fields):
        return
    circle_id, member_id = instance.circle_id, instance.pk
    event = {"type": EVENT_TYPE, "kind": MEMBER_REMOVED, "id": 0, "prev_id": 0, "member_id": member_id}

    def send() -> None:
        try:
            _group_send(group_name(circle_id), event)
        except Exception:
            logger.warning("live: the removal of member %s was not pushed; the tick will close", member_id)

    transaction.on_commit(send)


post_save.connect(_member_removed, sender=Membership, dispatch_uid="kindred.conversation.live.member_removed")
