"""What the deals API takes and gives. The amount goes out only to the parties, unless made public."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema

from kindred.core.text import FreeText, OneLine

from .models import AMOUNT_MAX_FEN, OUTSIDE_PARTY_MAX_LENGTH, PARTIES_MAX, TEXT_MAX_LENGTH, TITLE_MAX_LENGTH

MAX_ID = 2**63 - 1
MemberId = Annotated[int, Field(ge=1, le=MAX_ID)]
Kind = Literal["cooperation", "joint_venture", "investment", "hiring", "referral", "purchase"]
Stage = Literal["discussing", "signed", "closed", "abandoned"]
Origin = Literal["introduction", "meetup", "ask", "knew_before"]


class DealIn(Schema):
    kind: Kind
    title: Annotated[str, Field(min_length=1, max_length=TITLE_MAX_LENGTH), OneLine]
    party_ids: list[MemberId] = Field(
        ..., min_length=1, max_length=PARTIES_MAX, description="The other member parties (you are one)."
    )
    origin: Origin
    origin_meetup_id: MemberId | None = Field(None, description="The meetup it came from (origin = meetup).")
    origin_note: Annotated[str, Field(max_length=TITLE_MAX_LENGTH), OneLine] = ""
    description: Annotated[str, Field(max_length=TEXT_MAX_LENGTH), FreeText] = ""
    outside_party: Annotated[str, Field(max_length=OUTSIDE_PARTY_MAX_LENGTH), OneLine] = Field(
        "", description="A party outside the circle."
    )
    amount_fen: int | None = Field(None, ge=0, le=AMOUNT_MAX_FEN, description="In fen (1 yuan = 100 fen).")
    amount_public: bool = Field(
        False, description="Show the amount to the whole circle (default: parties only)."
    )
    stage: Stage = "discussing"


class StageIn(Schema):
    stage: Stage


class PartyOut(Schema):
    member_id: int
    display_name: str
    confirmed: bool


class DealOut(Schema):
    id: int
    kind: str
    title: str
    description: str
    outside_party: str
    amount_fen: int | None = Field(
        ..., description="Null unless you are a party or the parties made it public."
    )
    stage: str
    origin: str
    origin_meetup_id: int | None
    origin_note: str
    parties: list[PartyOut]
    counts: bool = Field(..., description="Every member party confirmed: it counts for the circle.")
    created_at: datetime
    signed_at: datetime | None
    closed_at: datetime | None
    abandoned_at: datetime | None
    confirmed_at: datetime | None


class DealFeedOut(Schema):
    counted: list[DealOut]
    waiting: list[DealOut]


class MonthOut(Schema):
    month: str
    deals: int


class DealStatsOut(Schema):
    total: int
    from_circle: int = Field(..., description="Counted deals that came from an introduction or a meetup.")
    circle_share: float
    by_month: list[MonthOut]
    by_origin: dict[str, int]
    by_kind: dict[str, int]
