"""The conversation API: the circle's stream (read, post, search), asks (open ones and the catch rate,
caught, closed), editing, deleting and hiding a message, and the read marker. Anyone who is not an active
member of the message's circle gets 404, as everywhere in a circle."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from kindred.circles.selectors import membership_for_circle
from kindred.core.schemas import ERRORS

from . import selectors, services
from .schemas import (
    MAX_ID,
    CaughtIn,
    HideIn,
    MessageEditIn,
    MessageIn,
    MessageOut,
    MessagePageOut,
    MessagePageQuery,
    OffTopicOut,
    OpenAsksOut,
    ReadIn,
    ReadOut,
    SearchOut,
    SearchQuery,
    SlowModeIn,
    SlowModeOut,
)

router = Router(tags=["conversation"])

MessageId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get(
    "/circles/{slug}/messages", response={200: MessagePageOut, **ERRORS}, summary="The circle's messages"
)
def message_list(request: HttpRequest, slug: str, query: Query[MessagePageQuery]) -> dict[str, Any]:
    """Oldest first: `after=ID` gives the first `limit` messages after ID (to catch up), `before=ID` the last
    ones before ID (to scroll back), neither the latest. Deleted and hidden messages keep their place as
    tombstones (no text)."""
    me = membership_for_circle(user=request.user, slug=slug)
    items = selectors.messages_page(viewer=me, after=query.after, before=query.before, limit=query.limit)
    return {"items": items}


@router.post(
    "/circles/{slug}/messages",
    response={201: MessageOut, 200: MessageOut, **ERRORS, 409: OffTopicOut},
    summary="Post a message or an ask",
)
def message_create(request: HttpRequest, slug: str, payload: MessageIn) -> Status[dict[str, Any]]:
    """201 with the message; an ask comes back routed (`ask.routed_to`: the members Kindred asked). The same
    `client_id` again answers 200 with the first message, never a second. @names must be members of the
    circle; `reply_to` a message of the circle.

    A message that looks off-topic for the circle (chatter or another trade, judged by the circle's own
    model) is not posted: 409 with code `off_topic`, its `label`, and a question for the poster alone; the
    same body with `confirm_off_topic: true` posts it. In slow mode a member posting too soon gets 429
    (code `slow_mode`)."""
    me = membership_for_circle(user=request.user, slug=slug)
    try:
        posted = services.message_post(
            author=me,
            text=payload.text,
            kind=payload.kind,
            reply_to_id=payload.reply_to,
            client_id=payload.client_id,
            confirm_off_topic=payload.confirm_off_topic,
        )
    except services.OffTopic as nudge:
        return Status(
            409,
            {"detail": str(nudge.message), "code": nudge.code, "label": nudge.label, "score": nudge.score},
        )
    out = selectors.message_get(viewer=me, message_id=posted.message.pk)
    return Status(201 if posted.created else 200, out)


@router.get(
    "/circles/{slug}/messages/search", response={200: SearchOut, **ERRORS}, summary="Search the conversation"
)
def message_search(request: HttpRequest, slug: str, query: Query[SearchQuery]) -> dict[str, Any]:
    """Messages with every word of `q` (Chinese or English), newest first, each with its neighbours. No `q`:
    no results; a `q` with no word in it (only punctuation): 400."""
    me = membership_for_circle(user=request.user, slug=slug)
    return {"items": selectors.search(viewer=me, q=query.q) if query.q else []}


@router.get("/circles/{slug}/asks", response={200: OpenAsksOut, **ERRORS}, summary="Open asks, catch rate")
def ask_list(request: HttpRequest, slug: str) -> dict[str, Any]:
    me = membership_for_circle(user=request.user, slug=slug)
    asks = selectors.open_asks(viewer=me)
    return {
        "items": asks.items,
        "total": asks.total,
        "open": asks.open,
        "caught": asks.caught,
        "closed": asks.closed,
        "catch_rate": asks.catch_rate,
    }


def _read_out(me: Any) -> dict[str, Any]:
    u = selectors.unread(member=me)
    return {"last_read_id": u.last_read_id, "unread": u.count, "first_unread_id": u.first_unread_id}


@router.get("/circles/{slug}/read-marker", response={200: ReadOut, **ERRORS}, summary="My unread messages")
def read_marker_get(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Where I stopped reading, how many messages of others came since, and the first of them."""
    return _read_out(membership_for_circle(user=request.user, slug=slug))


@router.post("/circles/{slug}/read-marker", response={200: ReadOut, **ERRORS}, summary="Mark read up to")
def read_marker_set(request: HttpRequest, slug: str, payload: ReadIn) -> dict[str, Any]:
    """I have read up to `last_read_id`; the marker never moves back."""
    me = membership_for_circle(user=request.user, slug=slug)
    services.read_marker_set(member=me, last_read_id=payload.last_read_id)
    return _read_out(me)


@router.get("/messages/{message_id}", response={200: MessageOut, **ERRORS}, summary="One message")
def message_get(request: HttpRequest, message_id: MessageId) -> dict[str, Any]:
    _message, me = selectors.message_for_user(user=request.user, message_id=message_id)
    return selectors.message_get(viewer=me, message_id=message_id)


@router.patch("/messages/{message_id}", response={200: MessageOut, **ERRORS}, summary="Edit my message")
def message_edit(request: HttpRequest, message_id: MessageId, payload: MessageEditIn) -> dict[str, Any]:
    """The author, within 10 minutes of posting (403 after)."""
    _message, me = selectors.message_for_user(user=request.user, message_id=message_id)
    services.message_edit(message_id=message_id, member=me, text=payload.text)
    return selectors.message_get(viewer=me, message_id=message_id)


@router.delete("/messages/{message_id}", response={200: MessageOut, **ERRORS}, summary="Delete my message")
def message_delete(request: HttpRequest, message_id: MessageId) -> dict[str, Any]:
    """The author only; the message stays in the stream as a tombstone."""
    _message, me = selectors.message_for_user(user=request.user, message_id=message_id)
    services.message_delete(message_id=message_id, member=me)
    return selectors.message_get(viewer=me, message_id=message_id)


@router.post("/messages/{message_id}/hide", response={200: MessageOut, **ERRORS}, summary="Hide a message")
def message_hide(request: HttpRequest, message_id: MessageId, payload: HideIn) -> dict[str, Any]:
    """The organizer or an admin, with a reason; the author is told."""
    _message, me = selectors.message_for_user(user=request.user, message_id=message_id)
    services.message_hide(message_id=message_id, moderator=me, reason=payload.reason)
    return selectors.message_get(viewer=me, message_id=message_id)


@router.post("/messages/{message_id}/caught", response={200: MessageOut, **ERRORS}, summary="Ask caught")
def ask_caught(request: HttpRequest, message_id: MessageId, payload: CaughtIn) -> dict[str, Any]:
    """The asker says who caught their ask: `member_id`, or `reply_id` (that reply's author)."""
    _message, me = selectors.message_for_user(user=request.user, message_id=message_id)
    services.ask_mark_caught(
        message_id=message_id, member=me, catcher_id=payload.member_id, reply_id=payload.reply_id
    )
    return selectors.message_get(viewer=me, message_id=message_id)


@router.post("/messages/{message_id}/close", response={200: MessageOut, **ERRORS}, summary="Close an ask")
def ask_close(request: HttpRequest, message_id: MessageId) -> dict[str, Any]:
    """The asker, the organizer or an admin closes an open ask nobody caught."""
    _message, me = selectors.message_for_user(user=request.user, message_id=message_id)
    services.ask_close(message_id=message_id, member=me)
    return selectors.message_get(viewer=me, message_id=message_id)


@router.get("/circles/{slug}/slow-mode", response={200: SlowModeOut, **ERRORS}, summary="Slow mode")
def slow_mode_get(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Seconds a member must wait between posts (0: off)."""
    me = membership_for_circle(user=request.user, slug=slug)
    return {"slow_mode_seconds": selectors.slow_mode_seconds(circle_id=me.circle_id)}


@router.put("/circles/{slug}/slow-mode", response={200: SlowModeOut, **ERRORS}, summary="Set slow mode")
def slow_mode_put(request: HttpRequest, slug: str, payload: SlowModeIn) -> dict[str, Any]:
    """The organizer or an admin: at most one post per member every `slow_mode_seconds` (0 turns it off;
    they are exempt themselves)."""
    me = membership_for_circle(user=request.user, slug=slug)
    stream = services.slow_mode_set(moderator=me, seconds=payload.slow_mode_seconds)
    return {"slow_mode_seconds": stream.slow_mode_seconds}
