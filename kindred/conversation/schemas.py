"""What the conversation API takes and gives."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict, model_validator

from kindred.core.text import FreeText, OneLine

from .models import (
    CLIENT_ID_MAX_LENGTH,
    EVENT_KINDS,
    HIDE_REASON_MAX_LENGTH,
    MESSAGE_MAX_LENGTH,
    PAGE_DEFAULT,
    PAGE_MAX,
    SEARCH_QUERY_MAX_LENGTH,
    SLOW_MODE_MAX_SECONDS,
)

MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
MessageText = Annotated[str, Field(max_length=MESSAGE_MAX_LENGTH), FreeText]


class ConversationIn(Schema):
    """A request body: unknown fields are refused (422)."""

    model_config = ConfigDict(extra="forbid")


class MessageIn(ConversationIn):
    text: MessageText
    kind: Literal["chat", "ask"] = "chat"
    reply_to: Id | None = None
    client_id: Annotated[str, Field(max_length=CLIENT_ID_MAX_LENGTH), OneLine] | None = Field(
        None,
        description="Your id for this post: the same id again returns the first message, never a second.",
    )
    confirm_off_topic: bool = Field(
        False,
        description="Post it even though it looks off-topic for the circle: send the same body again with "
        "true after a 409 `off_topic`.",
    )


class OffTopicOut(Schema):
    """409: the message looks off-topic for the circle and was not posted; say `confirm_off_topic: true` to
    post it anyway."""

    detail: str = Field(..., description="The question to the poster, in their language.")
    code: Literal["off_topic"]
    label: Literal["chatter", "off_industry"] = Field(..., description="What the message looks like.")
    score: float = Field(..., description="The model's probability of that label (0..1).")


class SlowModeIn(ConversationIn):
    slow_mode_seconds: int = Field(
        ..., ge=0, le=SLOW_MODE_MAX_SECONDS, description="Seconds between a member's posts; 0 turns it off."
    )


class SlowModeOut(Schema):
    slow_mode_seconds: int = Field(
        ..., description="Seconds between a member's posts (0: off); the organizer and admins are exempt."
    )


class MessageEditIn(ConversationIn):
    text: MessageText


class HideIn(ConversationIn):
    reason: Annotated[str, Field(min_length=1, max_length=HIDE_REASON_MAX_LENGTH), OneLine]


class CaughtIn(ConversationIn):
    """Who caught the ask: a member (`member_id`) or the author of a reply to it (`reply_id`)."""

    member_id: Id | None = None
    reply_id: Id | None = None

    @model_validator(mode="after")
    def _one(self) -> CaughtIn:
        if (self.member_id is None) == (self.reply_id is None):
            raise ValueError("give member_id or reply_id")
        return self


class ReadIn(ConversationIn):
    last_read_id: Id


class MessagePageQuery(Schema):
    after: int | None = Field(None, ge=0, le=MAX_ID)
    before: int | None = Field(None, ge=1, le=MAX_ID)
    limit: int = Field(PAGE_DEFAULT, ge=1, le=PAGE_MAX)


class SearchQuery(Schema):
    q: Annotated[str, Field(max_length=SEARCH_QUERY_MAX_LENGTH), OneLine] = ""


class MessageAuthorOut(Schema):
    member_id: int
    display_name: str


class ReplyOut(Schema):
    id: int
    author: MessageAuthorOut | None
    quote: str = Field(..., description="The start of the parent's text; empty when it was removed.")
    removed: bool


class AskOut(Schema):
    status: Literal["open", "caught", "closed"]
    routed_to: list[int] = Field(..., description="Member ids the ask was routed to, best first.")
    caught_by: int | None
    caught_reply_id: int | None
    caught_at: datetime | None
    closed_at: datetime | None


class MessageOut(Schema):
    id: int = Field(..., description="The message's place in the circle's stream.")
    prev_id: int | None = Field(..., description="The previous message of the same circle (None: the first).")
    kind: str = Field(..., description="chat, ask, or an event kind: " + ", ".join(EVENT_KINDS))
    text: str = Field(..., description="Empty for a deleted or hidden message (a tombstone).")
    author: MessageAuthorOut | None
    reply_to: ReplyOut | None
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    hidden: bool
    hidden_reason: str | None = Field(..., description="Only for the organizer and admins.")
    mentions: list[MessageAuthorOut]
    ask: AskOut | None
    payload: dict[str, Any] | None = Field(..., description="An event card's content.")


class MessagePageOut(Schema):
    items: list[MessageOut]


class SearchHitOut(Schema):
    message: MessageOut
    before: MessageOut | None
    after: MessageOut | None


class SearchOut(Schema):
    items: list[SearchHitOut]


class OpenAsksOut(Schema):
    items: list[MessageOut]
    total: int
    open: int
    caught: int
    closed: int
    catch_rate: float | None = Field(..., description="Caught asks among all asks; null before the first.")


class ReadOut(Schema):
    last_read_id: int
    unread: int
    first_unread_id: int | None
