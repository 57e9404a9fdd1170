from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Field, Schema

from .models import MARK_READ_IDS_MAX, MailPreference

MAX_ID = 2**63 - 1


class NotificationOut(Schema):
    id: int
    kind: str
    text: str = Field(description="in the reader's language")
    actor_name: str
    url: str = Field(description="a path on this site, or empty")
    target_type: str
    target_id: int | None
    created_at: datetime
    read: bool


class InboxOut(Schema):
    unread: int
    mail: MailPreference.Mode
    items: list[NotificationOut]


class MarkReadIn(Schema):
    """Either `ids` (some of your notifications) or `all: true`."""

    ids: (
        Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]], Field(max_length=MARK_READ_IDS_MAX)] | None
    ) = None
    all: bool = False


class MarkReadOut(Schema):
    marked: int
    unread: int


class MailPreferenceIn(Schema):
    mail: MailPreference.Mode


class MailPreferenceOut(Schema):
    mail: MailPreference.Mode
