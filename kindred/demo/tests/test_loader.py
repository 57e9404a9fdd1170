"""`kindred demo --no-serve` loads the demo circle through the services; running it again changes nothing."""

from __future__ import annotations

from collections import Counter
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from kindred.circles.models import CardTag, Circle, MemberCard, Membership
from kindred.core.models import AuditEvent
from kindred.demo.loader import DEMO_PASSWORD, DEMO_SLUG, demo_load
from kindred.demo.story import build_story
from kindred.invitations.models import Invitation, Nomination
from kindred.ties.models import Tie
from kindred.ties.selectors import tie_neighbors


def _snapshot() -> dict[str, Any]:
    cards = MemberCard.objects.filter(membership__circle__slug=DEMO_SLUG).order_by(
        "membership__user__username"
    )
    return {
        "counts": {
            model.__name__: model.objects.count()
            for model in (
                User,
                Circle,
                Membership,
                MemberCard,
                CardTag,
                Nomination,
                Invitation,
                Tie,
                AuditEvent,
            )
        },
        "cards": list(
            cards.values_list(
                "membership__user__username", "display_name", "company", "title", "city", "offers", "needs"
            )
        ),
    }


@pytest.mark.django_db
def test_kindred_demo_loads_the_story_once() -> None:
    out = StringIO()
    call_command("demo", "--no-serve", stdout=out)
    printed = out.getvalue()
    assert DEMO_PASSWORD in printed and f"/c/{DEMO_SLUG}/" in printed
    for username in ("laozhou", "linwanqing", "shenyanqiu", "wangxiong", "tangning"):
        assert username in printed
    assert "/invite/" in printed

    first = _snapshot()
    again = demo_load()
    assert not again.created and again.open_invitation_path == ""
    assert _snapshot() == first

    # The cards are the story's, to the letter.
    story = build_story()
    expected = sorted(
        (p.username, p.name, p.company, p.title, p.city, p.offers, p.needs) for p in story.people.values()
    )
    assert first["cards"] == expected

    circle = Circle.objects.get(slug=DEMO_SLUG)
    members = Membership.objects.filter(circle=circle)
    active = members.filter(status=Membership.Status.ACTIVE)
    assert 115 <= active.count() <= 130
    assert members.filter(status=Membership.Status.REMOVED).exclude(removed_reason="").count() == 1
    assert set(active.values_list("card__city", flat=True)) == {
        "北京",
        "上海",
        "杭州",
        "成都",
        "深圳",
        "香港",
    }
    assert Counter(members.values_list("role", flat=True))["admin"] == 2
    origin = members.get(sponsor__isnull=True)
    assert origin.user.username == "laozhou" and origin.joined_at == story.created_at
    assert members.filter(depth__gte=3).exists()

    collector = MemberCard.objects.get(membership__circle=circle, membership__user__username="shenyanqiu")
    assert "PPT" in collector.needs and "技术团队" in collector.needs
    assert collector.tags.filter(kind=CardTag.Kind.NEED, name="PPT").exists()
    assert set(collector.industries.values_list("code", flat=True)) == {"collecting", "culture-tourism"}
    assert "PPT" in collector.membership.organizer_note

    rejected = Nomination.objects.filter(circle=circle, status=Nomination.Status.REJECTED)
    assert rejected.count() >= 3 and not rejected.filter(reject_reason="").exists()
    pending = Nomination.objects.filter(circle=circle, status=Nomination.Status.PENDING)
    assert pending.count() >= 2
    unused = Invitation.objects.filter(circle=circle, accepted_at__isnull=True, revoked_at__isnull=True)
    assert unused.count() == 1 and unused.get().expires_at > timezone.now()

    # Back-dated through the services: joins spread over eight months, the review queue's story intact.
    joined = sorted(members.values_list("joined_at", flat=True))
    assert (joined[-1] - joined[0]).days >= 7 * 30
    assert Invitation.objects.filter(circle=circle, accepted_at__isnull=False).count() == members.count() - 1

    # Late joiners already know members who joined before them, beyond their sponsor.
    ordered = list(active.order_by("joined_at", "id").values_list("id", "joined_at", "sponsor_id"))
    joined_at = {mid: at for mid, at, _ in ordered}
    neighbors = tie_neighbors(circle_id=circle.pk, member_ids=joined_at)
    late = ordered[int(len(ordered) * 0.6) :]
    for mid, at, sponsor_id in late:
        earlier = {n for n in neighbors[mid] if n != sponsor_id and n in joined_at and joined_at[n] < at}
        assert len(earlier) >= 1, mid
    assert Tie.objects.filter(circle=circle, status=Tie.Status.PENDING).count() >= 3

    # Every demo account signs in with the documented password; the pending nominee has no membership.
    assert User.objects.get(username="wangxiong").check_password(DEMO_PASSWORD)
    nominee = User.objects.get(username="tangning")
    assert not Membership.objects.filter(user=nominee).exists()
