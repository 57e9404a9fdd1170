"""The site's navigation: the account's links and the circle's links, with the page being shown marked.

base.html shows each nav twice (a bar on wide screens, a menu on narrow ones). Written as included templates they
were most of what every page paid for its shell (~1.5 ms: some forty `{% url %}`, `{% translate %}` and
current-link tags a page). Here a nav is built once per page, and its link table (reversed URLs, translated
labels) once per language, circle and role in a process: URLs and catalogues do not change while a process
runs, and what a page has of its own (the circle's name, the link of the page being shown, the CSRF token of the
sign-out form) is joined in on every page, so nothing shown can be out of date.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

register = template.Library()

CURRENT = ' aria-current="page"'
# (URL name, label, exact). A section link (the directory, the meetups) is current on its pages below it too (a
# member's card is in the directory); an exact link (the circle's home, a prefix of every circle page) only on
# itself. A link whose URL is not installed is left out.
ACCOUNT_LINKS = (
    ("circles:home", _("My circles"), True),
    ("wallet:home", _("Wallet"), False),
    ("accounts:tokens", _("API tokens"), False),
    ("portability:my_data", _("My data"), False),
    ("accounts:password_change", _("Password"), False),
)
SIGNED_OUT_LINKS = (("accounts:login", _("Sign in"), False),)
CIRCLE_LINKS = (
    ("circles:directory", _("Directory"), False),
    ("ties:list", _("Ties"), False),
    ("invitations:nominate", _("Nominate"), False),
)
REVIEWER_LINKS = (  # organizers and admins
    ("invitations:review", _("Review"), False),
    ("health:page", _("Circle health"), False),
    ("portability:exports", _("Exports"), False),
)
MORE_CIRCLE_LINKS = (
    ("matching:matches", _("People to meet"), False),
    ("wallet:circle", _("Red envelopes"), False),
    ("meetups:list", _("Meetups"), False),
    ("deals:list", _("Deals"), False),
    ("invitations:tree", _("Invite tree"), False),
    ("circles:card_edit", _("My card"), False),
)

Table = tuple[tuple[str, str, bool], ...]  # (escaped URL, escaped label, exact)


def _table(links: tuple[tuple[str, Any, bool], ...], args: tuple[str, ...] = ()) -> Table:
    rows = []
    for name, label, exact in links:
        try:
            url = reverse(name, args=args)
        except NoReverseMatch:
            continue
        rows.append((escape(url), escape(str(label)), exact))
    return tuple(rows)


@lru_cache(maxsize=8)
def _account_table(language: str | None) -> tuple[Table, str, str, Table]:
    """The signed-in links, the sign-out form's action and button, and the signed-out link (all escaped)."""
    sign_out = escape(str(_("Sign out")))
    return _table(ACCOUNT_LINKS), escape(reverse("accounts:logout")), sign_out, _table(SIGNED_OUT_LINKS)


@lru_cache(maxsize=1024)
def _circle_table(language: str | None, slug: str, can_review: bool) -> tuple[str, Table]:
    """The circle home's URL and the circle's links for a member (and those of its reviewers)."""
    links = CIRCLE_LINKS + (REVIEWER_LINKS if can_review else ()) + MORE_CIRCLE_LINKS
    return escape(reverse("conversation:home", args=[slug])), _table(links, (slug,))


def _is_current(path: str, url: str, exact: bool) -> bool:
    return path == url if exact else path.startswith(url)


def _links(table: Table, path: str) -> list[str]:
    return [
        f'<a href="{url}"{CURRENT if _is_current(path, url, exact) else ""}>{label}</a>'
        for url, label, exact in table
    ]


@register.simple_tag(takes_context=True)
def account_nav(context: dict[str, Any]) -> SafeString:
    """The account's links and the sign-out form, or the sign-in link."""
    request = context.get("request")
    if request is None:
        return mark_safe("")
    table, logout, sign_out, signed_out = _account_table(get_language())
    path = request.path
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return mark_safe("\n".join(_links(signed_out, path)))  # noqa: S308 (escaped above)
    token = escape(str(context.get("csrf_token", "")))
    form = (
        f'<form method="post" action="{logout}" class="inline">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
        f'<button type="submit" class="linklike">{sign_out}</button></form>'
    )
    return mark_safe("\n".join([*_links(table, path), form]))  # noqa: S308 (escaped above)


@register.simple_tag(takes_context=True)
def circle_nav(context: dict[str, Any]) -> SafeString:
    """The circle's links for the page's membership (empty outside a circle)."""
    request = context.get("request")
    circle = context.get("circle")
    if request is None or not circle:
        return mark_safe("")
    membership = context.get("membership")
    can_review = bool(membership is not None and membership.can_review)
    home, table = _circle_table(get_language(), circle.slug, can_review)
    path = request.path
    name = f'<a href="{home}" class="circlename"{CURRENT if path == home else ""}>{escape(circle.name)}</a>'
    return mark_safe("\n".join([name, *_links(table, path)]))  # noqa: S308 (escaped above)
