"""`{% notifications_bell %}`: the header's bell with the unread count of the page's circle (one query),
nothing outside a circle. The layout includes it where the circle's navigation is."""

from __future__ import annotations

from typing import Any

from django import template

from kindred.circles.models import Membership

from .. import selectors

register = template.Library()


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notifications_bell(context: template.Context) -> dict[str, Any]:
    member = context.get("membership")
    if not isinstance(member, Membership) or member.status != Membership.Status.ACTIVE:
        return {"member": None}
    return {"member": member, "slug": member.circle.slug, "unread": selectors.unread_count(member=member)}
