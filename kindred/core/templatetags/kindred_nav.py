"""The site's navigation: which link is the page being shown (aria-current)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_current(context: dict[str, Any], url: str, exact: bool = False) -> SafeString:
    """` aria-current="page"` on the link to the page being shown, or to the section it is in.

    A section link (the directory, the meetups) is current on its pages below it too (a member's card is in
    the directory); `exact` links (the circle's home, a prefix of every circle page) only on themselves.
    """
    request = context.get("request")
    path = getattr(request, "path", None)
    if not url or path is None:
        return mark_safe("")
    current = path == url if exact else path.startswith(url)
    return mark_safe(' aria-current="page"' if current else "")  # noqa: S308 (a constant)
