"""{% tie_box circle membership member %}: the viewer's tie with one member, for the member card page.

Shows the tie (or the request either way) or an "I know them" form that posts to ties:declare and comes
back to the page. Nothing for yourself, and no form for a member who left. One query (none once the
viewer's ties are cached, see tie_rows_of).
"""

from __future__ import annotations

from typing import Any

from django import template

from kindred.circles.models import Circle, Membership

from ..forms import TieDeclareForm
from ..selectors import tie_view_with

register = template.Library()


@register.inclusion_tag("ties/_tie_box.html", takes_context=True)
def tie_box(
    context: template.Context, circle: Circle, membership: Membership, member: Membership
) -> dict[str, Any]:
    request = context.get("request")
    # Nothing about yourself; nothing to ask of a member who left (an existing tie is still shown).
    view = None if membership.pk == member.pk else tie_view_with(membership=membership, other=member)
    show = membership.pk != member.pk and (view is not None or member.is_active)
    return {
        "circle": circle,
        "show": show,
        "view": view,
        "member_id": member.pk,
        "form": TieDeclareForm(),
        "next": request.get_full_path() if request is not None else "",
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }


@register.inclusion_tag("ties/_declare_form.html", takes_context=True)
def tie_declare_form(context: template.Context, circle: Circle, member_id: int) -> dict[str, Any]:
    """{% tie_declare_form circle member_id %}: the "I know them" form for one member, for other apps' pages
    (they show it without importing the ties app's forms). Comes back to the page it is on. No query."""
    request = context.get("request")
    return {
        "circle": circle,
        "member_id": member_id,
        "form": TieDeclareForm(),
        "next": request.get_full_path() if request is not None else "",
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }
