"""The one hook between the conversation's data and its live delivery.

Every change to a circle's stream (a message posted, edited, deleted, hidden; an ask caught or closed; an
event card) calls `publish(circle_id, frame)` after its transaction commits, never before: a frame always
describes something already in the database. The database is the truth and a frame is a hint: a client that
missed frames asks `GET /api/v1/circles/{slug}/messages?after=ID` and gets everything after ID.

Frames are JSON-ready dicts with a `type`:

- `{"type": "message", "message": {...}}`: a new or changed message, in the API's shape as an ordinary
  member sees it (a deleted or hidden one as a tombstone; moderators fetch the hidden text themselves);
- `{"type": "read", "member_id": int, "last_read_id": int}`: a member's read marker moved; for that
  member's own connections only (`member_id` says whose), never for the rest of the circle.

This body is a stub: the live-delivery layer (Django Channels) replaces it with a send to the circle's
group. It must not raise into the caller (the change is already committed) and must not block for long.
"""

from __future__ import annotations

from typing import Any


def publish(circle_id: int, frame: dict[str, Any]) -> None:
    """Push `frame` to the live connections of circle `circle_id` (a no-op until live delivery exists)."""
    return None
