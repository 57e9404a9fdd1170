"""API schemas of nominations, invitations and the invite tree: In schemas validate at the edge."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema

from kindred.circles.models import CARD_TEXT_MAX_LENGTH
from kindred.core.text import PASSWORD_MAX_LENGTH, FreeText, OneLine, Verbatim

from .models import CLOSENESS_MAX, CLOSENESS_MIN, CODE_MAX_LENGTH, REASON_MAX_LENGTH, YEARS_KNOWN_MAX
from .services import NAME_MAX_LENGTH, PHONE_MAX_LENGTH, USERNAME_MAX_LENGTH

EMAIL_MAX_LENGTH = 254

Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX_LENGTH), OneLine]
Email = Annotated[
    str, Field(max_length=EMAIL_MAX_LENGTH, description="An email or a phone is required."), OneLine
]
Phone = Annotated[str, Field(max_length=PHONE_MAX_LENGTH), OneLine]
Reason = Annotated[str, Field(max_length=REASON_MAX_LENGTH), FreeText]
RequiredReason = Annotated[str, Field(min_length=1, max_length=REASON_MAX_LENGTH), FreeText]

# A draft card is checked as the card form checks it (the circles app owns the card; these are its limits).
CardText = Annotated[str, Field(max_length=CARD_TEXT_MAX_LENGTH), FreeText]
Line64 = Annotated[str, Field(max_length=64), OneLine]
Line128 = Annotated[str, Field(max_length=128), OneLine]

RelationshipIn = Literal["colleague", "classmate", "partner", "friend", "family", "other"]

__all__ = ["CODE_MAX_LENGTH"]


class DraftCardIn(Schema):
    company: Line128 = ""
    title: Line128 = ""
    city: Line64 = ""
    offers: CardText = ""
    needs: CardText = ""
    bio: CardText = ""


class _ContactIn(Schema):
    name: Name
    email: Email = ""
    phone: Phone = ""
    draft_card: DraftCardIn | None = None


class NominationIn(_ContactIn):
    relationship: RelationshipIn
    years_known: int = Field(..., ge=0, le=YEARS_KNOWN_MAX)
    closeness: int = Field(..., ge=CLOSENESS_MIN, le=CLOSENESS_MAX)
    reason: RequiredReason


class DirectInvitationIn(_ContactIn):
    reason: Reason = ""


class RejectIn(Schema):
    reason: RequiredReason


class AcceptIn(Schema):
    """Anonymous: `username` and `password` create the account. Authenticated: joins the caller's account."""

    username: Annotated[str, Field(max_length=USERNAME_MAX_LENGTH), OneLine] = ""
    password: Annotated[str, Field(max_length=PASSWORD_MAX_LENGTH), Verbatim] = ""
    display_name: Annotated[str, Field(max_length=NAME_MAX_LENGTH), OneLine] = ""
    email: Annotated[str, Field(max_length=EMAIL_MAX_LENGTH), OneLine] = ""


class TrackRecordOut(Schema):
    nominated: int
    pending: int
    approved: int
    rejected: int
    withdrawn: int
    active: int
    removed: int


class InvitationStateOut(Schema):
    id: int
    state: Literal["open", "expired", "revoked", "accepted"]
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None


class NominationOut(Schema):
    id: int
    name: str
    email: str
    phone: str
    relationship: str
    years_known: int
    closeness: int
    reason: str
    draft_card: dict[str, str]
    status: Literal["pending", "approved", "rejected", "withdrawn"]
    reject_reason: str
    created_at: datetime
    reviewed_at: datetime | None
    nominator_id: int
    nominator_name: str
    track_record: TrackRecordOut | None = None
    invitation: InvitationStateOut | None = None


class IssuedOut(Schema):
    invitation_id: int
    code: str
    url: str
    expires_at: datetime


class InvitationOut(InvitationStateOut):
    nomination_id: int
    sponsor_id: int
    revoked_at: datetime | None


class AcceptedOut(Schema):
    circle: str
    member_id: int
    sponsor_id: int
    display_name: str
    joined_at: datetime
    username: str
    token: str | None = Field(None, description="A new API token, when the account was created by this call.")


class TreeNodeOut(Schema):
    member_id: int
    display_name: str
    joined_at: datetime
    status: Literal["active", "removed"]
    depth: int
    subtree_size: int
    subtree_active: int
    subtree_removed: int
    children: list[TreeNodeOut]


TreeNodeOut.model_rebuild()


class TreeOut(Schema):
    circle: str
    size: int
    active: int
    removed: int
    root: TreeNodeOut | None
