"""Member cards as the pages show them: what every member sees of a card is rendered once per card version
and language and kept (kindred.core.fragments); what only this viewer sees (“this is you”, the ties you
share, the invite path) is added per request from the circle's cached roster, without a query."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kindred.core.fragments import Part, fragment, fragments_batch

from ..models import Circle, Membership
from ..selectors import CardContent, Roster, card_contents, members_version
from .industries import industry_label

# Where the viewer's part goes in a cached card (user text is escaped, so it cannot contain this).
VIEWER_SLOT = "<!--viewer-->"


def card_version(roster: Roster, member_id: int) -> tuple[Part, ...]:
    """Everything a card's shared part shows moves one of these: its fields, tags and industries (the
    card's updated_at), the member's role and status."""
    m = roster.members[member_id]
    return (member_id, m.stamp, m.role, m.status)


def _role_label(role: str) -> str:
    return str(Membership.Role(role).label) if role in Membership.Role.values else role


def _render(template: str, roster: Roster, ids: list[int], **extra: object) -> list[str]:
    contents = card_contents(member_ids=ids)
    out: list[str] = []
    for member_id in ids:
        m = roster.members[member_id]
        c: CardContent | None = contents.get(member_id)
        ctx = {"id": member_id, "c": c, "m": m, "role": _role_label(m.role), "slot": mark_safe(VIEWER_SLOT)}  # noqa: S308
        out.append(render_to_string(template, {**ctx, **extra}))
    return out


def _viewer_part(roster: Roster, viewer: Membership, member_id: int, members_url: str) -> SafeString:
    """The directory card's lines for this viewer: it is you, or the members you both know, and whether
    you know each other; the invite path."""
    parts: list[SafeString] = []
    if member_id == viewer.pk:
        parts.append(format_html('<p class="mutual">{}</p>', _("This is you.")))
    else:
        mutual = roster.mutual(viewer.pk, member_id)
        if mutual:
            n = len(mutual)
            label = ngettext("You both know %(n)s member:", "You both know %(n)s members:", n) % {"n": n}
            links = format_html_join(
                "、", '<a href="{}{}/">{}</a>', ((members_url, i, name) for i, name in mutual)
            )
            parts.append(format_html('<p class="mutual">{} {}</p>', label, links))
        if member_id in roster.neighbors.get(viewer.pk, ()):
            parts.append(format_html('<p class="mutual">{}</p>', _("You know each other.")))
    path = format_html_join(" → ", "{}", ((name,) for _i, name in roster.path(member_id)))
    parts.append(format_html('<p class="path">{}: {}</p>', _("Invited via"), path))
    return mark_safe("\n  ".join(parts))  # noqa: S308 - every part is format_html


def directory_cards(
    circle: Circle, roster: Roster, viewer: Membership, ids: list[int], members_url: str
) -> SafeString:
    """The directory's cards for `ids` as `viewer` sees them, as one piece of HTML, kept per viewer under the
    circle's members_version (which every change to a card, a membership or a tie moves): one cache read
    once seen; else the shared parts in one round trip (three queries for those not cached yet) and this
    viewer's lines from the roster."""

    def render() -> str:
        shared = fragments_batch(
            "circles.card",
            ids,
            lambda member_id: (*card_version(roster, member_id), members_url),
            lambda missing: _render("circles/_card.html", roster, missing, members_url=members_url),
        )
        return "".join(
            html.replace(VIEWER_SLOT, _viewer_part(roster, viewer, member_id, members_url), 1)
            for member_id, html in zip(ids, shared, strict=True)
        )

    return fragment("circles.cards", (*members_version(circle), viewer.pk, members_url, *ids), render)


def _selected(options: str, value: str) -> SafeString:
    """`options` with the one whose value is `value` selected (values are escaped as in the options)."""
    if value:
        chosen = f'<option value="{escape(value)}">'
        options = options.replace(chosen, chosen[:-1] + " selected>", 1)
    return mark_safe(options)  # noqa: S308 - format_html output, one attribute added


def directory_filter_options(
    circle: Circle, roster: Roster, *, city: str, industry: str
) -> tuple[SafeString, SafeString]:
    """The <option>s of the directory's city and industry filters (kept per circle members_version and
    language), with the current choices selected."""

    def render() -> str:
        cities = format_html_join("", '<option value="{}">{}</option>', ((c, c) for c in roster.cities))
        industries = format_html_join(
            "", '<option value="{}">{}</option>', ((i.code, industry_label(i)) for i in roster.industries)
        )
        return cities + "\x00" + industries

    both = fragment("circles.filters", members_version(circle), render)
    cities, industries = both.split("\x00", 1)
    return _selected(cities, city), _selected(industries, industry)


def member_card_html(circle: Circle, roster: Roster, member_id: int, members_url: str) -> SafeString:
    """The shared part of a member's card page (name, role, trade, offers, needs, story), kept per card
    version and language: three queries when not cached yet."""
    return fragments_batch(
        "circles.member",
        [member_id],
        lambda i: (*card_version(roster, i), members_url),
        lambda missing: _render("circles/_member_card.html", roster, missing, members_url=members_url),
    )[0]
