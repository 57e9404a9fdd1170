"""The page shell's top (base.html): the body tag, the top bar with the account's links, the menu, the language
switch, and the circle's links, with the page being shown marked; and the static files' URLs.

base.html shows each nav twice (a bar on wide screens, a menu on narrow ones). Written as template tags they
were most of what every page paid for its shell (~1.5 ms: some forty `{% url %}`, `{% translate %}` and
current-link tags a page; then ~0.5 ms for the two nav tags and the thirty-odd nodes around them). Here the
whole top is one tag: its words and links (reversed URLs, translated labels) are built once per language,
circle and role in a process (URLs and catalogues do not change while a process runs), and what a page has of
its own (the circle's name, the link of the page being shown, the page's path, the CSRF token) is joined in on
every page, so nothing shown can be out of date.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.core.signals import setting_changed
from django.templatetags.static import StaticNode
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


def _hidden_token(token: str) -> str:
    """What `{% csrf_token %}` writes for `token` (nothing for Django's "NOTPROVIDED")."""
    if token == "NOTPROVIDED":  # noqa: S105 - Django's word for no token, not a secret
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(token)}">'


def account_nav(context: Any, token: str) -> str:
    """The account's links and the sign-out form (carrying `token`), or the sign-in link."""
    table, logout, sign_out, signed_out = _account_table(get_language())
    path = context["request"].path
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return "\n".join(_links(signed_out, path))
    form = (
        f'<form method="post" action="{logout}" class="inline">{_hidden_token(token)}'
        f'<button type="submit" class="linklike">{sign_out}</button></form>'
    )
    return "\n".join([*_links(table, path), form])


def circle_nav(context: Any) -> str:
    """The circle's links for the page's membership (empty outside a circle or without a request)."""
    request = context.get("request")
    circle = context.get("circle")
    if request is None or not circle:
        return ""
    membership = context.get("membership")
    can_review = bool(membership is not None and membership.can_review)
    home, table = _circle_table(get_language(), circle.slug, can_review)
    path = request.path
    name = f'<a href="{home}" class="circlename"{CURRENT if path == home else ""}>{escape(circle.name)}</a>'
    return "\n".join([name, *_links(table, path)])


@lru_cache(maxsize=8)
def _top_words(language: str | None) -> tuple[str, str, str, str, str, str]:
    """The top's fixed parts in `language` (escaped): the brand's link, the labels of the account's and the
    circle's navs and of the menu, the language form's action, and its button (the other language)."""
    if language == "en":
        switch = '<button type="submit" name="language" value="zh-hans" class="linklike" lang="zh-Hans">中文</button>'
    else:
        switch = (
            '<button type="submit" name="language" value="en" class="linklike" lang="en">English</button>'
        )
    return (
        escape(reverse("circles:home")),
        escape(str(_("Account"))),
        escape(str(_("Circle"))),
        escape(str(_("Menu"))),
        escape(reverse("set_language")),
        switch,
    )


@register.simple_tag(takes_context=True)
def page_top(context: Any) -> SafeString:
    """The body tag and everything above the page's own content: the top bar (the brand; with a request and a
    CSRF token, the account's nav, the narrow screens' menu and the language switch), then the circle's nav.

    Pages rendered without a request (the 500 page, the CSRF failure page) show the brand only: their forms
    would have no CSRF token, and the user is unknown. The token is the context's (one per page: the same
    lazy value as the page's own forms)."""
    home, account, circle_label, menu, set_language, switch = _top_words(get_language())
    request = context.get("request")
    token = context.get("csrf_token")
    token = str(token) if token else ""
    circle_links = circle_nav(context)
    out = [
        f"""<body hx-headers='{{"X-CSRFToken": "{escape(token)}"}}'>""" if token else "<body>",
        '<header class="topbar">',
        f'  <a class="brand" href="{home}" lang="en">Kindred <span class="brand-zh" lang="zh-Hans">同类</span></a>',
    ]
    if request is not None and token:
        account_links = account_nav(context, token)
        in_menu = f'<nav aria-label="{circle_label}">{circle_links}</nav>' if circle_links else ""
        out += [
            f'  <nav class="account wide" aria-label="{account}">{account_links}</nav>',
            '  <details class="menu narrow">',
            f"    <summary>{menu}</summary>",
            '    <div class="menu-panel">',
            f"      {in_menu}",
            f'      <nav aria-label="{account}">{account_links}</nav>',
            "    </div>",
            "  </details>",
            f'  <form action="{set_language}" method="post" class="inline lang">{_hidden_token(token)}',
            f'    <input name="next" type="hidden" value="{escape(request.get_full_path())}">',
            f"    {switch}",
            "  </form>",
        ]
    out.append("</header>")
    if circle_links:
        out.append(f'<nav class="circlenav wide" aria-label="{circle_label}">{circle_links}</nav>')
    return mark_safe("\n".join(out))  # noqa: S308 (every part escaped above)


@lru_cache(maxsize=256)
def _asset(path: str) -> str:
    return str(escape(StaticNode.handle_simple(path)))


def _assets_forget(**kwargs: Any) -> None:
    _asset.cache_clear()


setting_changed.connect(_assets_forget)  # a test's other storage or STATIC_URL: asked again


@register.simple_tag
def asset(path: str) -> SafeString:
    """`{% static path %}`, asked of the static files' storage once per path in a process (its manifest is read
    once when the process starts, and a file's name does not change while it runs)."""
    return mark_safe(_asset(path))  # noqa: S308 (escaped above)
