"""The deals routes in the authorization matrix (tests/test_authorization_matrix.py).

Two deals between the plain member and the sponsor (not the card owner `target`: a counted deal makes a
tie, and the matrix's member must stay no tie of the card's owner): one counted, whose private amount only
the member (a party) may see; one still waiting for the member's confirmation, which nobody else may even
see. The organizer is no party: the amounts stay hidden from them too."""

from __future__ import annotations

from typing import Any

from kindred.deals.models import Deal
from kindred.deals.services import deal_confirm, deal_create
from tests.authz import MEMBERS, ORGANIZER, PARTY

PENDING_TITLE = "待确认合作-D4K9"
PENDING_FEN = 77_123_456
COUNTED_FEN = 55_667_788


def _yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


PAGES = {
    "deals:list": ("GET", MEMBERS, None),
    "deals:create": ("GET", MEMBERS, None),
    "deals:detail": ("GET", PARTY, None),
    "deals:confirm": ("POST", PARTY, None),
    "deals:stage": ("POST", PARTY, lambda w: {"stage": "signed"}),
}

API = {
    "POST /circles/{slug}/deals": (
        MEMBERS,
        lambda w: {"kind": "cooperation", "title": "新合作", "party_ids": [w.target.pk], "origin": "ask"},
    ),
    "GET /circles/{slug}/deals": (MEMBERS, None),
    "GET /circles/{slug}/deals/stats": (ORGANIZER, None),
    "GET /deals/{deal_id}": (PARTY, None),
    "POST /deals/{deal_id}/confirm": (PARTY, None),
    "POST /deals/{deal_id}/stage": (PARTY, lambda w: {"stage": "signed"}),
}


def setup(world: Any) -> dict[str, Any]:
    member, sponsor = world.members["member"], world.sponsor
    counted = deal_create(
        circle=world.circle,
        creator=sponsor,
        kind=Deal.Kind.INVESTMENT,
        title="已确认的投资",
        party_ids=[member.pk],
        origin=Deal.Origin.INTRODUCTION,
        amount_fen=COUNTED_FEN,
    )
    deal_confirm(deal=counted, member=member)
    pending = deal_create(
        circle=world.circle,
        creator=sponsor,
        kind=Deal.Kind.JOINT_VENTURE,
        title=PENDING_TITLE,
        party_ids=[member.pk],
        origin=Deal.Origin.KNEW_BEFORE,
        amount_fen=PENDING_FEN,
    )
    for secret in (PENDING_TITLE, str(PENDING_FEN), _yuan(PENDING_FEN), str(COUNTED_FEN), _yuan(COUNTED_FEN)):
        world.secrets[secret] = PARTY
    return {"deal_id": pending.pk}
