"""What the ties API takes and gives. Only the public part of a partner's card goes out."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from .models import EARLIEST_SINCE_YEAR, SUGGEST_LIMIT_DEFAULT, SUGGEST_LIMIT_MAX

DeclarableKind = Literal["colleague", "classmate", "partner", "friend", "other"]
# The upper bound is the current year, checked by the service (a schema bound would go stale).
SINCE_YEAR_SCHEMA_MAX = 2100
MAX_ID = 2**63 - 1


class TieDeclareIn(Schema):
    member_id: int = Field(..., ge=1, le=MAX_ID, description="The member you know (a membership id).")
    kind: DeclarableKind = Field("friend", description="How you know each other.")
    since_year: int | None = Field(
        None, ge=EARLIEST_SINCE_YEAR, le=SINCE_YEAR_SCHEMA_MAX, description="Since which year."
    )


class SuggestionQuery(Schema):
    limit: int = Field(SUGGEST_LIMIT_DEFAULT, ge=1, le=SUGGEST_LIMIT_MAX)


class PartnerOut(Schema):
    member_id: int
    display_name: str
    company: str
    title: str
    city: str


class TieOut(Schema):
    id: int
    kind: str
    since_year: int | None
    status: Literal["pending", "confirmed", "ignored"] = Field(
        ..., description="As the viewer may see it: an ignored request stays pending for its declarer."
    )
    direction: Literal["mutual", "incoming", "outgoing"]
    partner: PartnerOut
    created_at: datetime
    confirmed_at: datetime | None


class TieListOut(Schema):
    confirmed: list[TieOut]
    incoming: list[TieOut]
    outgoing: list[TieOut]


class SuggestionOut(Schema):
    member: PartnerOut
    score: int
    reasons: list[str] = Field(..., description="Codes: sponsor_tie, same_company, city_and_industry.")
    reason_labels: list[str]
