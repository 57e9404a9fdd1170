"""The notifications routes in the authorization matrix (tests/test_authorization_matrix.py): a member's
own inbox, for every active member of the circle."""

from __future__ import annotations

from typing import Any

from kindred.notifications.kinds import MailPolicy, kind_register
from kindred.notifications.services import notification_send
from tests.authz import MEMBERS

MATRIX = kind_register("tests.matrix", text="%(actor)s: matrix", mail=MailPolicy.NEVER)

PAGES = {
    "notifications:inbox": ("GET", MEMBERS, None),
    "notifications:read": ("POST", MEMBERS, None),
    "notifications:mail": ("POST", MEMBERS, lambda w: {"mail": "immediate"}),
}

API = {
    "GET /circles/{slug}/notifications": (MEMBERS, None),
    "POST /circles/{slug}/notifications/read": (MEMBERS, lambda w: {"all": True}),
    "POST /circles/{slug}/notifications/mail": (MEMBERS, lambda w: {"mail": "immediate"}),
}


def setup(world: Any) -> dict[str, Any]:
    """One unread notification for each active member, so marking read changes something."""
    active = [world.members[role] for role in sorted(MEMBERS)]
    notification_send(recipients=active, kind=MATRIX.name, circle=world.circle, email=False)
    return {}
