"""The conversation's routes in the authorization matrix (tests/test_authorization_matrix.py).

The world gets an ask posted by the plain member (so the member is its author and asker: edit, delete and
mark caught are theirs alone) and a message of the sponsor's that the organizer hid with a reason: its
text and the reason are for the organizer and admins only."""

from __future__ import annotations

from typing import Any

from kindred.conversation.services import message_hide, message_post
from tests.authz import MEMBERS, PARTY, REVIEWERS

HIDDEN_TEXT = "被隐藏的内容-H7F3A"
HIDDEN_REASON = "隐藏原因-H7F3A"

API = {
    "GET /circles/{slug}/messages": (MEMBERS, None),
    "POST /circles/{slug}/messages": (MEMBERS, lambda w: {"text": "大家好", "client_id": "matrix-1"}),
    "GET /circles/{slug}/messages/search": (MEMBERS, None),
    "GET /circles/{slug}/asks": (MEMBERS, None),
    "GET /circles/{slug}/read-marker": (MEMBERS, None),
    "POST /circles/{slug}/read-marker": (MEMBERS, lambda w: {"last_read_id": w.extra["message_id"]}),
    "GET /messages/{message_id}": (MEMBERS, None),
    "PATCH /messages/{message_id}": (PARTY, lambda w: {"text": "改一下"}),
    "DELETE /messages/{message_id}": (PARTY, None),
    "POST /messages/{message_id}/hide": (REVIEWERS, lambda w: {"reason": "离题"}),
    "POST /messages/{message_id}/caught": (PARTY, lambda w: {"member_id": w.members["organizer"].pk}),
    "POST /messages/{message_id}/close": (MEMBERS, None),
}

PAGES: dict[str, Any] = {}


def setup(world: Any) -> dict[str, Any]:
    ask = message_post(author=world.members["member"], text="谁能帮我做PPT？", kind="ask").message
    hidden = message_post(author=world.sponsor, text=HIDDEN_TEXT).message
    message_hide(message_id=hidden.pk, moderator=world.members["organizer"], reason=HIDDEN_REASON)
    world.secrets[HIDDEN_TEXT] = REVIEWERS
    world.secrets[HIDDEN_REASON] = REVIEWERS
    return {"message_id": ask.pk}
