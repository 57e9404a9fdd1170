"""The wallet's routes in the authorization matrix (tests/test_authorization_matrix.py).

The world gets an equal envelope of 5 shares (one per active member) sent by the card owner (`target`), so that every member
role may grab it and the sender's absence from the roles keeps "may not grab your own" out of the way; the
member, admin and organizer have money to send. Its greeting is visible to members only."""

from __future__ import annotations

from typing import Any

from kindred.wallet.services import envelope_send, topup_create
from tests.authz import MEMBERS, ORGANIZER

GREETING = "见面红包-W3K9"


def _settings(w: Any) -> dict[str, Any]:
    return {
        "sender_may_grab": True,
        "greeting_rule": "required",
        "greeting_min_total_fen": 100,
        "greeting_min_shares": 1,
    }


PAGES = {
    "wallet:circle": ("GET", MEMBERS, None),
    "wallet:send": ("GET", MEMBERS, None),
    "wallet:settings": ("GET", ORGANIZER, None),
    "wallet:waive": ("POST", ORGANIZER, None),
    "wallet:envelope": ("GET", MEMBERS, None),
    "wallet:grab": ("POST", MEMBERS, None),
}

API = {
    "POST /circles/{slug}/envelopes": (
        MEMBERS,
        lambda w: {"total_fen": 300, "shares": 3, "mode": "equal", "greeting": "大家好"},
    ),
    "GET /circles/{slug}/envelopes": (MEMBERS, None),
    "GET /envelopes/{envelope_id}": (MEMBERS, None),
    "POST /envelopes/{envelope_id}/grab": (MEMBERS, None),
    "GET /circles/{slug}/envelope-settings": (MEMBERS, None),
    "PUT /circles/{slug}/envelope-settings": (ORGANIZER, _settings),
    "POST /circles/{slug}/greetings/{member_id}/waive": (ORGANIZER, None),
}


def setup(world: Any) -> dict[str, Any]:
    for role in ("member", "admin", "organizer"):
        topup_create(user=world.members[role].user, amount_fen=10_000, reference=f"authz-{role}")
    topup_create(user=world.target.user, amount_fen=1_000, reference="authz-target")
    envelope = envelope_send(sender=world.target, total_fen=1_000, shares=5, mode="equal", greeting=GREETING)
    world.secrets[GREETING] = MEMBERS
    return {"envelope_id": envelope.pk}
