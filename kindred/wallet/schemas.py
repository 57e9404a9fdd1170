"""What the wallet API takes and gives. Money is integer fen everywhere."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema

from kindred.core.text import OneLine

from .models import GREETING_TEXT_MAX_LENGTH, PROVIDER_REFERENCE_MAX_LENGTH
from .selectors import MAX_PAGE

MAX_ID = 2**63 - 1
# Bounds at the edge only keep numbers sane (no overflow); the service applies the real limits with a
# message in the user's language.
MAX_FEN = 10**12
MAX_SHARES = 10_000


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)


class TopupIn(Schema):
    amount_fen: int = Field(..., ge=1, le=MAX_FEN, description="Fen to add (1 yuan = 100 fen).")
    reference: str = Field(
        "",
        max_length=PROVIDER_REFERENCE_MAX_LENGTH,
        pattern=r"^[A-Za-z0-9_.:\-]*$",
        description="The payment provider's reference. The same reference again returns the first top-up "
        "(200) and adds nothing. Empty: the provider makes a new one.",
    )


class WithdrawalIn(Schema):
    amount_fen: int = Field(..., ge=1, le=MAX_FEN)


class PaymentOut(Schema):
    id: int
    provider: str
    simulated: bool = Field(..., description="True for the simulated provider: no real money moves.")
    reference: str
    direction: Literal["in", "out"]
    amount_fen: int
    status: Literal["pending", "completed", "refused"] = Field(
        ...,
        description="A top-up is `completed` when booked. A withdrawal is booked (the wallet debited) and "
        "`pending` until the payment provider answers, after the booking commits: `completed` when it paid "
        "out; `refused` when it declined, and then the amount is back in the wallet (a refund entry).",
    )
    settled_at: datetime | None = Field(..., description="When the provider's answer was recorded.")
    balance_fen: int
    created_at: datetime


class EntryOut(Schema):
    id: int
    amount_fen: int = Field(..., description="Into the wallet when positive, out of it when negative.")
    kind: str
    kind_label: str
    description: str
    envelope_id: int | None
    created_at: datetime


class WalletOut(Schema):
    balance_fen: int
    provider: str
    simulated: bool
    page: int
    has_next: bool
    entries: list[EntryOut]


class EnvelopeIn(Schema):
    total_fen: int = Field(..., ge=1, le=MAX_FEN, description="The whole envelope, in fen.")
    shares: int = Field(..., ge=1, le=MAX_SHARES, description="How many members can grab it.")
    mode: Literal["lucky", "equal"] = Field("lucky", description="lucky (拼手气) or equal shares.")
    greeting: Annotated[
        str,
        Field(
            max_length=GREETING_TEXT_MAX_LENGTH,
            description="One line. Empty: the default wish in your language (恭喜发财，大吉大利).",
        ),
        OneLine,
    ] = ""


class MemberRefOut(Schema):
    member_id: int
    display_name: str


class GrabOut(Schema):
    member: MemberRefOut
    amount_fen: int
    grabbed_at: datetime
    luckiest: bool = Field(..., description="手气最佳: marked once every share has gone.")


class EnvelopeOut(Schema):
    id: int
    circle: str
    sender: MemberRefOut
    mode: Literal["lucky", "equal"]
    total_fen: int
    share_count: int
    greeting: str
    is_greeting: bool = Field(
        ..., description="The sender's greeting to the circle (opens their appearance)."
    )
    status: Literal["open", "finished", "expired"]
    created_at: datetime
    expires_at: datetime
    grabbed_count: int
    grabbed_fen: int
    remaining_shares: int
    refunded_fen: int
    my_amount_fen: int | None
    can_grab: bool
    grabs: list[GrabOut]


class GrabResultOut(Schema):
    amount_fen: int
    envelope: EnvelopeOut


class EnvelopeSummaryOut(Schema):
    id: int
    sender: MemberRefOut
    mode: Literal["lucky", "equal"]
    total_fen: int
    share_count: int
    greeting: str
    is_greeting: bool
    status: Literal["open", "finished", "expired"]
    created_at: datetime
    expires_at: datetime
    grabbed_count: int
    my_amount_fen: int | None


class EnvelopeListOut(Schema):
    page: int
    has_next: bool
    greeting_status: Literal["owed", "suggested"] | None = Field(
        ..., description="Whether the viewer is reminded of their own greeting envelope."
    )
    envelopes: list[EnvelopeSummaryOut]


class WalletSettingsIn(Schema):
    sender_may_grab: bool
    greeting_rule: Literal["off", "suggested", "required"]
    greeting_min_total_fen: int = Field(..., ge=1, le=MAX_FEN)
    greeting_min_shares: int = Field(..., ge=1, le=MAX_SHARES)


class WalletSettingsOut(Schema):
    sender_may_grab: bool
    greeting_rule: Literal["off", "suggested", "required"]
    greeting_min_total_fen: int
    greeting_min_shares: int
    required_since: datetime | None


class WaiverOut(Schema):
    member_id: int
    waived_at: datetime
