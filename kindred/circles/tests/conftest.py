"""A card with one contact field per visibility and an organizer's note, and the members who look at it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from kindred.circles import services
from kindred.circles.models import Membership
from kindred.ties.services import tie_record_sponsor

OPEN_EMAIL = "open@example.com"  # visibility: circle
TIES_WECHAT = "wx-secret-ties"  # visibility: ties
NOBODY_PHONE = "13812345678"  # visibility: nobody
NOTE = "NOTE-PRIVATE"


@dataclass
class SecretCard:
    owner: Membership
    stranger: Membership  # a member without a tie to the owner
    friend: Membership  # a confirmed tie of the owner
    admin: Membership
    origin: Membership


@pytest.fixture
def secret_card(origin: Membership, make_member: Callable[..., Membership]) -> SecretCard:
    owner = make_member(display_name="主人")
    services.card_update(
        membership=owner,
        fields={
            "wechat": TIES_WECHAT,
            "wechat_visibility": "ties",
            "phone": NOBODY_PHONE,
            "phone_visibility": "nobody",
            "email": OPEN_EMAIL,
            "email_visibility": "circle",
        },
    )
    services.membership_note_set(membership=owner, actor=origin, note=NOTE)
    stranger = make_member()
    friend = make_member()
    tie_record_sponsor(sponsor=owner, invitee=friend)
    admin = make_member(role=Membership.Role.ADMIN)
    return SecretCard(owner=owner, stranger=stranger, friend=friend, admin=admin, origin=origin)
