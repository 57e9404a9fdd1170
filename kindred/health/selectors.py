"""The circle's health, read through the other apps' selectors (never their models) and computed by the
Django-free kindred.health.metrics. A constant number of queries, whatever the circle's size (pinned in
kindred/health/tests/test_selectors.py)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kindred.circles.models import Membership
from kindred.circles.selectors import membership_timeline
from kindred.conversation.selectors import ask_timeline, posts_by_member_day
from kindred.core.services import NotFound
from kindred.deals.selectors import counted_deal_parties
from kindred.matching.selectors import introduction_timeline
from kindred.meetups.selectors import rsvp_timeline
from kindred.ties.selectors import tie_timeline
from kindred.wallet.selectors import envelope_grabs

from . import metrics


def require_reviewer(member: Membership) -> None:
    """The health of a circle is for its organizer and admins: a 404 for everyone else, like a page
    that does not exist (the rest of the circle answers non-members the same way)."""
    if not member.can_review:
        raise NotFound(_("Not found."))


def circle_facts(*, circle_id: int) -> metrics.Facts:
    """Every fact the health page needs. Eight queries."""
    members = [
        metrics.Member(
            id=pk,
            joined_at=joined,
            removed_at=removed,
            sponsor_id=sponsor,
            depth=depth,
            ancestors=tuple(int(p) for p in path.strip("/").split("/") if p),
            name=name or "",
        )
        for pk, joined, removed, sponsor, depth, path, name in membership_timeline(circle_id=circle_id)
    ]
    deals: dict[int, tuple[datetime, str, set[int]]] = {}
    for deal_id, confirmed_at, origin, member_id in counted_deal_parties(circle_id=circle_id):
        deals.setdefault(deal_id, (confirmed_at, origin, set()))[2].add(member_id)
    return metrics.Facts(
        members=members,
        ties=[metrics.TieFact(*row) for row in tie_timeline(circle_id=circle_id)],
        deals=[
            metrics.DealFact(id=pk, confirmed_at=at, origin=origin, parties=frozenset(parties))
            for pk, (at, origin, parties) in deals.items()
        ],
        introductions=[metrics.IntroFact(*row) for row in introduction_timeline(circle_id=circle_id)],
        rsvps=[metrics.RsvpFact(*row) for row in rsvp_timeline(circle_id=circle_id)],
        grabs=[metrics.GrabFact(*row) for row in envelope_grabs(circle_id=circle_id)],
        posts=[metrics.PostDay(*row) for row in posts_by_member_day(circle_id=circle_id)],
        asks=[metrics.AskFact(*row) for row in ask_timeline(circle_id=circle_id)],
        # Messages carry no topicality label yet (issue 11's guard adds one): the shares stay None. When
        # they do, a conversation selector's {label: messages} goes here.
        labels=None,
    )


def circle_health(*, circle_id: int, now: datetime | None = None) -> metrics.Health:
    """The organizer's view of the circle. Eight queries."""
    return metrics.health(
        circle_facts(circle_id=circle_id),
        now=now or timezone.now(),
        zone=timezone.get_default_timezone(),
    )
