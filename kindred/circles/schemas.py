"""API schemas of circles, members and cards: In schemas validate at the edge, Out schemas say what leaves."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from kindred.core.text import FreeText, OneLine

from .models import (
    CARD_TAGS_MAX,
    CARD_TEXT_MAX_LENGTH,
    MAX_INVITATION_TTL_HOURS,
    MAX_PENDING_NOMINATIONS_CAP,
    TAG_MAX_LENGTH,
)

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_NOMINATE_AFTER_DAYS = 3650
INDUSTRY_CODE_MAX_LENGTH = 64
INDUSTRIES_PER_CARD_MAX = 20

VisibilityIn = Literal["circle", "ties", "nobody"]
# The text rule of kindred.core.text: control characters refused (422), one-line text folded.
Tag = Annotated[str, Field(min_length=1, max_length=TAG_MAX_LENGTH), OneLine]
IndustryCode = Annotated[str, Field(min_length=1, max_length=INDUSTRY_CODE_MAX_LENGTH), OneLine]
CardText = Annotated[str, Field(max_length=CARD_TEXT_MAX_LENGTH), FreeText]
Line32 = Annotated[str, Field(max_length=32), OneLine]
Line64 = Annotated[str, Field(max_length=64), OneLine]
Line128 = Annotated[str, Field(max_length=128), OneLine]
Line254 = Annotated[str, Field(max_length=254), OneLine]
DisplayName = Annotated[str, Field(min_length=1, max_length=64), OneLine]
CircleName = Annotated[str, Field(min_length=1, max_length=80), OneLine]


class StrictIn(Schema):
    """A request body: unknown fields are refused (422)."""

    model_config = ConfigDict(extra="forbid")


class IndustryOut(Schema):
    code: str
    name_zh: str
    name_en: str
    synonyms: str
    parent: str | None
    circle_only: bool


class CircleIn(StrictIn):
    name: CircleName
    slug: str = Field(..., min_length=2, max_length=64, pattern=SLUG_PATTERN)
    description: CardText = ""
    values_statement: CardText = ""
    theme: IndustryCode | None = None
    display_name: Line64 = Field("", description="The organizer's name on their card.")
    nomination_policy: Literal["organizer_only", "members_after_days"] = "members_after_days"
    nominate_after_days: int = Field(30, ge=0, le=MAX_NOMINATE_AFTER_DAYS)
    max_pending_nominations: int = Field(3, ge=0, le=MAX_PENDING_NOMINATIONS_CAP)
    invitation_ttl_hours: int = Field(7 * 24, ge=1, le=MAX_INVITATION_TTL_HOURS)
    notify_sponsor_on_removal: bool = True


class CircleOut(Schema):
    slug: str
    name: str
    description: str
    values_statement: str
    theme: IndustryOut | None
    nomination_policy: str
    nominate_after_days: int
    max_pending_nominations: int
    invitation_ttl_hours: int
    notify_sponsor_on_removal: bool
    created_at: datetime
    member_count: int
    my_role: str
    my_member_id: int


class PersonRef(Schema):
    id: int
    display_name: str


class ContactsOut(Schema):
    """Only the fields the viewer may see are present; the rest are null."""

    wechat: str | None = None
    phone: str | None = None
    email: str | None = None


class MemberOut(Schema):
    id: int
    display_name: str
    company: str
    title: str
    city: str
    industries: list[IndustryOut]
    offers: str
    needs: str
    offer_tags: list[str]
    need_tags: list[str]
    bio: str
    values: str
    role: str
    status: str
    joined_at: datetime
    contacts: ContactsOut
    mutual_ties: list[PersonRef]
    invite_path: list[PersonRef]
    is_tie: bool
    organizer_note: str | None = Field(None, description="Only for the organizer and admins.")


class MemberVisibilityOut(Schema):
    wechat_visibility: str
    phone_visibility: str
    email_visibility: str


class MyCardOut(MemberOut):
    wechat: str
    phone: str
    email: str
    visibility: MemberVisibilityOut


class MemberPageOut(Schema):
    items: list[MemberOut]
    count: int
    page: int
    page_size: int
    num_pages: int
    has_next: bool
    has_previous: bool


class CardIn(StrictIn):
    """Only the fields given are changed; lists replace the whole list. Unknown fields are refused."""

    display_name: DisplayName | None = None
    company: Line128 | None = None
    title: Line128 | None = None
    city: Line64 | None = None
    offers: CardText | None = None
    needs: CardText | None = None
    bio: CardText | None = None
    values: CardText | None = None
    wechat: Line64 | None = None
    wechat_visibility: VisibilityIn | None = None
    phone: Line32 | None = None
    phone_visibility: VisibilityIn | None = None
    email: Line254 | None = None
    email_visibility: VisibilityIn | None = None
    industries: list[IndustryCode] | None = Field(None, max_length=INDUSTRIES_PER_CARD_MAX)
    offer_tags: list[Tag] | None = Field(None, max_length=CARD_TAGS_MAX)
    need_tags: list[Tag] | None = Field(None, max_length=CARD_TAGS_MAX)
