"""The matching routes in the authorization matrix (tests/test_authorization_matrix.py).

The world gets an introduction asked by the card owner (`target`) to the plain member through the
organizer, still waiting for the organizer (so the member must not see it yet, and its note is the
organizer's to read alone); a fresh member whom nobody is tied to but its sponsor, to ask for; and the
organizer's own imported contact, private to them."""

from __future__ import annotations

from typing import Any

from kindred.circles.models import Membership
from kindred.circles.services import membership_create
from kindred.matching.models import Contact
from kindred.matching.services import contacts_import, intro_request
from kindred.ties.services import tie_record_sponsor
from tests.authz import MEMBERS, NOBODY, ORGANIZER, REVIEWERS

INTRO_NOTE = "引荐留言-Q9K2"
CONTACT_NAME = "通讯录好友-C4T7"
CONTACT_EMAIL = "contact.c4t7@example.com"


def _ask(w: Any) -> dict[str, Any]:
    return {"to_member_id": w.matching_fresh.pk}


PAGES = {
    "matching:matches": ("GET", MEMBERS, None),
    "matching:intros": ("GET", MEMBERS, None),
    "matching:intro_request": ("POST", MEMBERS, _ask),
    "matching:intro_propose": (
        "POST",
        REVIEWERS,
        lambda w: {"member_id": w.members["member"].pk, "other_id": w.matching_fresh.pk},
    ),
    "matching:intro_approve": ("POST", ORGANIZER, None),
    "matching:intro_accept": ("POST", NOBODY, None),  # not approved yet: nobody can accept it
    "matching:intro_decline": ("POST", ORGANIZER, None),  # the connector, whose answer it waits for
    "matching:intro_withdraw": ("POST", NOBODY, None),  # only its requester (not one of the roles)
    "matching:intro_withdraw_confirm": ("GET", NOBODY, None),  # the requester's confirmation step
    "matching:contacts": ("GET", MEMBERS, None),
    "matching:invite_suggestions": ("GET", MEMBERS, None),
    "matching:contact_nominate": ("POST", ORGANIZER, lambda w: {"member_id": w.target.pk}),
}

API = {
    "GET /circles/{slug}/matches": (MEMBERS, None),
    "POST /circles/{slug}/intros": (MEMBERS, _ask),
    "GET /circles/{slug}/intros": (MEMBERS, None),
    "POST /intros/{intro_id}/approve": (ORGANIZER, None),
    "POST /intros/{intro_id}/accept": (NOBODY, None),
    "POST /intros/{intro_id}/decline": (ORGANIZER, None),
    "GET /circles/{slug}/members/{member_id}/invite-suggestions": (MEMBERS, None),
}


def setup(world: Any) -> dict[str, Any]:
    organizer: Membership = world.members["organizer"]
    fresh_user = type(organizer.user).objects.create_user(username="m_fresh", password="x" * 12)
    fresh = membership_create(
        circle=world.circle,
        user=fresh_user,
        sponsor=world.sponsor,
        role=Membership.Role.MEMBER,
        card_fields={"display_name": "新成员", "offers": "短视频发行", "needs": "版权"},
    )
    tie_record_sponsor(sponsor=world.sponsor, invitee=fresh)
    world.matching_fresh = fresh
    intro = intro_request(
        requester=world.target, target=world.members["member"], via=organizer, note=INTRO_NOTE
    )
    vcard = (
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{CONTACT_NAME}\r\nORG:短视频公司\r\nTITLE:运营\r\n"
        f"EMAIL:{CONTACT_EMAIL}\r\nEND:VCARD\r\n"
    )
    contacts_import(owner=organizer.user, filename="c.vcf", data=vcard.encode())
    contact = Contact.objects.get(owner=organizer.user)
    world.secrets[INTRO_NOTE] = ORGANIZER
    world.secrets[CONTACT_NAME] = ORGANIZER
    world.secrets[CONTACT_EMAIL] = frozenset()
    return {"intro_id": intro.pk, "contact_id": contact.pk}
