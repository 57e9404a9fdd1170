"""What the matching API takes and gives. Only public card fields go out; contacts only once introduced."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Field, Schema

from kindred.core.text import FreeText

from .models import INTRO_NOTE_MAX_LENGTH

MAX_ID = 2**63 - 1


class MatchPersonOut(Schema):
    member_id: int
    display_name: str
    company: str
    title: str
    city: str


class TermPairOut(Schema):
    need: str = Field(..., description="The word as it stands on the card that needs.")
    offer: str = Field(..., description="The word on the card that offers (the same, or a synonym).")


class ExplanationOut(Schema):
    they_offer: list[TermPairOut] = Field(..., description="Your needs met by their offers.")
    you_offer: list[TermPairOut] = Field(..., description="Their needs met by your offers.")
    seeks_clients: str = Field("", description="Their need for clients, which your needs answer.")
    you_seek_clients: str = Field("", description="Your need for clients, which their needs answer.")
    trust_path: list[MatchPersonOut | None] = Field(..., description="You — … — them; empty when too far.")
    shared_city: str
    shared_industries: list[str]


class MatchOut(Schema):
    member: MatchPersonOut
    score: float
    relevance: float
    trust: float
    explanation: ExplanationOut


class PairOut(Schema):
    member: MatchPersonOut
    other: MatchPersonOut
    score: float
    explanation: ExplanationOut


class MatchListOut(Schema):
    matches: list[MatchOut]
    organizer_pairs: list[PairOut] | None = Field(None, description="Organizer and admins only.")
    computed_at: datetime | None
    updating: bool = Field(
        False,
        description="A recompute is under way: these are the last matches computed (none yet if empty).",
    )


class IntroIn(Schema):
    to_member_id: int = Field(..., ge=1, le=MAX_ID)
    via_member_id: int | None = Field(None, ge=1, le=MAX_ID)
    note: Annotated[str, Field(max_length=INTRO_NOTE_MAX_LENGTH), FreeText] = Field(
        "", description="Shown to the connector, and to them once the connector approves."
    )


class IntroOut(Schema):
    id: int
    role: str = Field(..., description="Your part: requester, target or connector.")
    status: str = Field(..., description="As you may know it: a decline by someone else reads 'closed'.")
    status_label: str
    proposed: bool
    requester: MatchPersonOut
    target: MatchPersonOut
    connector: MatchPersonOut
    note: str
    created_at: datetime
    expires_at: datetime
    can_approve: bool
    can_accept: bool
    can_decline: bool
    contacts: dict[str, dict[str, str]] = Field(..., description="Only once everyone has said yes.")


class RowErrorOut(Schema):
    row: int
    message: str


class ImportOut(Schema):
    created: int
    duplicates: int
    source: str


class ImportRefusedOut(Schema):
    detail: str
    code: str | None = None
    errors: list[RowErrorOut] = []


class InviteSuggestionOut(Schema):
    contact_id: int
    name: str
    company: str
    title: str
    score: float
    reason_terms: list[str]
