"""The health API's shapes. The series are kindred.health.metrics' dataclasses as they are; what needs a
word of explanation in the OpenAPI document is described here."""

from __future__ import annotations

from ninja import Field, Schema

from .metrics import (
    Branch,
    ConversationMonth,
    CountPoint,
    DealMonth,
    Deals,
    DepthCount,
    EngagementMonth,
    GrowthMonth,
    GrowthPoint,
    LostRegular,
    SharePoint,
)


class PhasesOut(Schema):
    friends_inside_at: int | None = Field(
        description="The member count at which the share of newcomers who knew someone inside steps up "
        "(a change point found by ruptures); null when the series shows no step up."
    )
    deals_at: int | None = Field(
        description="The member count at which counted deals begin (a change point of the counted deals "
        "per newcomer); null when there is none."
    )


class NewcomerOut(Schema):
    member_id: int
    n: int = Field(description="The circle's member count right after they joined.")
    knew_inside: bool = Field(
        description="A confirmed tie, created within 30 days of joining, with a member other than their "
        "sponsor who joined before them."
    )


class ConversationOut(Schema):
    messages: int
    posters: int
    asks: int
    caught: int
    median_hours_to_catch: float | None
    top_posters_share: float | None = Field(
        description="The share of messages written by the top 10 posters."
    )
    labelled: bool = Field(
        description="Whether messages carry a topicality label (on-topic, chatter, off-topic). Until they "
        "do, chatter_share and off_topic_share are null."
    )
    chatter_share: float | None
    off_topic_share: float | None
    by_month: list[ConversationMonth]


class EngagementOut(Schema):
    window_days: int
    members: int
    active: int = Field(
        description="Members who posted, grabbed a red envelope, answered a meetup or took part in an "
        "introduction in the last window_days."
    )
    active_share: float | None
    posted: int
    grabbed: int
    rsvped: int
    introduced: int
    lost_regulars: list[LostRegular] = Field(
        description="Members active in at least 3 calendar months before the last 45 days and not since."
    )
    met_offline_ties: int
    tree_depth: int
    by_depth: list[DepthCount]
    branches: list[Branch] = Field(
        description="The invite tree under each member the organizer invited directly: its members and "
        "its active members."
    )
    by_month: list[EngagementMonth]


class HealthOut(Schema):
    members: int
    newcomers: int
    phases: PhasesOut
    friends_inside: list[NewcomerOut] = Field(description="Every newcomer, in join order.")
    friends_inside_share: list[SharePoint] = Field(
        description="The rolling share of newcomers who knew someone inside (the last 10 newcomers)."
    )
    growth_by_month: list[GrowthMonth]
    growth_by_count: list[GrowthPoint]
    deals: Deals
    conversation: ConversationOut
    engagement: EngagementOut
    definitions: dict[str, float]


__all__ = ["CountPoint", "DealMonth", "GrowthPoint", "HealthOut"]
