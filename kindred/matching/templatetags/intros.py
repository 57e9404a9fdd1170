"""{% intro_box circle membership member %}: "get introduced by a mutual member", for a member's card.

For a member the viewer does not know yet: a form that asks for an introduction (matching:intro_request)
through a connector the viewer picks among their ties who know the member (best trust first; then those who
know one of the member's ties), with a note, and comes back to the card on a refusal. Nothing for yourself,
for a member you are tied with, or for a member who left. Four queries.
"""

from __future__ import annotations

from typing import Any

from django import template

from kindred.circles.models import Circle, Membership
from kindred.ties.selectors import tie_neighbors

from ..models import INTRO_NOTE_MAX_LENGTH
from ..selectors import intro_connectors

register = template.Library()


@register.inclusion_tag("matching/_intro_box.html", takes_context=True)
def intro_box(
    context: template.Context, circle: Circle, membership: Membership, member: Membership
) -> dict[str, Any]:
    request = context.get("request")
    show = membership.pk != member.pk and membership.is_active and member.is_active
    if show:
        tied = tie_neighbors(circle_id=circle.pk, member_ids=[membership.pk]).get(membership.pk, set())
        show = member.pk not in tied
    connectors = (
        intro_connectors(circle_id=circle.pk, requester_id=membership.pk, target_id=member.pk) if show else []
    )
    return {
        "circle": circle,
        "show": show,
        "member": member,
        "connectors": connectors,
        "self_connected": membership.is_organizer,
        "note_max": INTRO_NOTE_MAX_LENGTH,
        "next": request.get_full_path() if request is not None else "",
        "csrf_token": context.get("csrf_token"),
    }
