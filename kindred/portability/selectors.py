"""What leaves Kindred, read through the apps' selectors: the organizer's tables (directory, deals, meetup
attendance) and everything Kindred holds about one member."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kindred.accounts.selectors import token_list
from kindred.circles.models import Membership
from kindred.circles.selectors import directory_export_rows, memberships_of_user
from kindred.conversation.selectors import messages_of_member
from kindred.core.services import NotFound
from kindred.deals.selectors import deal_export_rows, deals_of_member
from kindred.invitations.selectors import invitations_of_member
from kindred.matching.selectors import matching_of_member
from kindred.meetups.selectors import attendance_export_rows, meetups_of_member
from kindred.notifications.selectors import notifications_of_member
from kindred.ties.selectors import ties_of_member
from kindred.wallet.selectors import wallet_of_user

from .exports import Table

EXPORTS = ("directory", "deals", "attendance")
EXPORT_FORMAT_VERSION = 1


def require_reviewer(member: Membership) -> None:
    """The exports are the organizer's and the admins': a 404 for everyone else (as for the health page)."""
    if not member.can_review:
        raise NotFound(_("Not found."))


def _yuan(fen: int | None) -> str:
    return "" if fen is None else f"{fen // 100}.{fen % 100:02d}"


def directory_table(*, viewer: Membership) -> Table:
    """Every active member's card as the organizer may see it: contacts only where the member's visibility
    lets the organizer see them, and the organizer's private note."""
    rows = []
    for v in directory_export_rows(viewer=viewer):
        card = v.card
        rows.append(
            [
                v.member_id,
                card.display_name,
                card.company,
                card.title,
                card.city,
                " ".join(i.name_zh for i in v.industries),
                card.offers,
                " ".join(v.offer_tags),
                card.needs,
                " ".join(v.need_tags),
                v.contacts.get("wechat", ""),
                v.contacts.get("phone", ""),
                v.contacts.get("email", ""),
                v.membership.get_role_display(),
                v.membership.joined_at,
                v.path[-2][1] if len(v.path) > 1 else "",
                v.note or "",
            ]
        )
    header = [
        pgettext("export column", "Member ID"),
        pgettext("export column", "Name"),
        pgettext("export column", "Company"),
        pgettext("export column", "Title"),
        pgettext("export column", "City"),
        pgettext("export column", "Industries"),
        pgettext("export column", "Offers"),
        pgettext("export column", "Offer tags"),
        pgettext("export column", "Needs"),
        pgettext("export column", "Need tags"),
        pgettext("export column", "WeChat"),
        pgettext("export column", "Phone"),
        pgettext("export column", "Email"),
        pgettext("export column", "Role"),
        pgettext("export column", "Joined"),
        pgettext("export column", "Sponsor"),
        pgettext("export column", "Private note"),
    ]
    return Table(title=_("Directory"), header=header, rows=rows)


def deals_table(*, viewer: Membership) -> Table:
    """The deals the organizer may see (the counted ones and their own), each amount only where they may
    see it (kindred.deals: the parties, or everyone when the parties made it public)."""
    rows = []
    for v in deal_export_rows(viewer=viewer):
        d = v.deal
        rows.append(
            [
                d.pk,
                d.title,
                d.get_kind_display(),
                d.get_stage_display(),
                d.get_origin_display(),
                " / ".join(p.member.card.display_name for p in v.parties),
                d.outside_party,
                _yuan(v.amount_fen),
                d.created_at,
                d.confirmed_at,
            ]
        )
    header = [
        pgettext("export column", "Deal ID"),
        pgettext("export column", "Deal title"),
        pgettext("export column", "Kind"),
        pgettext("export column", "Stage"),
        pgettext("export column", "Origin"),
        pgettext("export column", "Parties"),
        pgettext("export column", "Outside party"),
        pgettext("export column", "Amount (yuan)"),
        pgettext("export column", "Logged"),
        pgettext("export column", "Counted since"),
    ]
    return Table(title=_("Deals"), header=header, rows=rows)


def attendance_table(*, viewer: Membership) -> Table:
    rows = [
        [
            r["meetup_id"],
            r["meetup__title"],
            r["meetup__city"],
            r["meetup__starts_at"],
            r["member_id"],
            r["member__card__display_name"],
            r["status_label"],
            r["answered_at"],
            r["checked_in_at"],
        ]
        for r in attendance_export_rows(viewer=viewer)
    ]
    header = [
        pgettext("export column", "Meetup ID"),
        pgettext("export column", "Meetup"),
        pgettext("export column", "City"),
        pgettext("export column", "Starts"),
        pgettext("export column", "Member ID"),
        pgettext("export column", "Name"),
        pgettext("export column", "Answer"),
        pgettext("export column", "Answered"),
        pgettext("export column", "Checked in"),
    ]
    return Table(title=_("Meetup attendance"), header=header, rows=rows)


def circle_table(*, viewer: Membership, what: str) -> Table:
    """One of EXPORTS for the organizer or an admin (NotFound for anyone else or an unknown table)."""
    require_reviewer(viewer)
    if what == "directory":
        return directory_table(viewer=viewer)
    if what == "deals":
        return deals_table(viewer=viewer)
    if what == "attendance":
        return attendance_table(viewer=viewer)
    raise NotFound(_("Not found."))


def member_export(*, user: User) -> dict[str, Any]:
    """Everything Kindred holds about `user`, and only theirs, as JSON-ready values (datetimes stay
    datetimes: the caller encodes them). API tokens by name only, never their hashes; no invitation code."""
    memberships = memberships_of_user(user_id=user.pk)
    ids = [m.pk for m in memberships]
    cards = []
    for m in memberships:
        card = m.card
        cards.append(
            {
                "member_id": m.pk,
                "circle_id": m.circle_id,
                **{
                    f: getattr(card, f)
                    for f in (
                        "display_name",
                        "company",
                        "title",
                        "city",
                        "offers",
                        "needs",
                        "bio",
                        "values",
                        "wechat",
                        "wechat_visibility",
                        "phone",
                        "phone_visibility",
                        "email",
                        "email_visibility",
                        "updated_at",
                    )
                },
                "tags": [{"kind": t.kind, "name": t.name} for t in card.tags.all()],
                "industries": [i.code for i in card.industries.all()],
            }
        )
    return {
        "format": "kindred-member-export",
        "version": EXPORT_FORMAT_VERSION,
        "exported_at": timezone.now(),
        "account": {
            "id": user.pk,
            "username": user.get_username(),
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
        },
        "memberships": [
            {
                "member_id": m.pk,
                "circle_id": m.circle_id,
                "circle": m.circle.name,
                "circle_slug": m.circle.slug,
                "role": m.role,
                "status": m.status,
                "sponsor_id": m.sponsor_id,
                "joined_at": m.joined_at,
                "left_at": m.removed_at,
            }
            for m in memberships
        ],
        "cards": cards,
        "ties": ties_of_member(member_ids=ids),
        **invitations_of_member(user_id=user.pk, member_ids=ids),
        "wallet": wallet_of_user(user_id=user.pk, member_ids=ids),
        **matching_of_member(user_id=user.pk, member_ids=ids),
        **meetups_of_member(member_ids=ids),
        "deals": deals_of_member(member_ids=ids),
        "messages": messages_of_member(member_ids=ids),
        "notifications": notifications_of_member(member_ids=ids),
        "api_tokens": [
            {"name": t.name, "created_at": t.created_at, "revoked_at": t.revoked_at}
            for t in token_list(user=user)
        ],
    }
