"""The shapes of leaving: a member leaves a circle, deletes their account; their own export is a JSON object
(documented by its top-level keys)."""

from __future__ import annotations

from typing import Annotated, Literal

from ninja import Field, Schema

from kindred.core.text import OneLine

USERNAME_MAX_LENGTH = 150


class LeaveIn(Schema):
    confirm: bool = Field(description="true: yes, I leave this circle")


class LeaveOut(Schema):
    member_id: int
    status: str


class AccountDeleteIn(Schema):
    confirm_username: Annotated[str, Field(max_length=USERNAME_MAX_LENGTH), OneLine] = Field(
        description="Your username, typed again to confirm"
    )
    messages: Literal["remove", "anonymize"] = Field(
        description="remove: your messages become tombstones without their text; anonymize: they stay, "
        "shown as 已注销成员"
    )


class AccountDeletedOut(Schema):
    memberships: int
    messages: str
    messages_removed: int
    contacts_deleted: int
