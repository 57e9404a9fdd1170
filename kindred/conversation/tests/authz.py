"""The conversation's routes in the authorization matrix (tests/test_authorization_matrix.py).

The world gets an ask posted by the plain member (so the member is its author and asker: edit, delete and
mark caught are theirs alone) and a message of the sponsor's that the organizer hid with a reason: its
text and the reason are for the organizer and admins only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from kindred.conversation.receivers import on_envelope_sent, on_meetup_called
from kindred.conversation.services import message_hide, message_post
from kindred.meetups.services import meetup_create
from kindred.wallet.services import envelope_send, topup_create
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
    "GET /circles/{slug}/slow-mode": (MEMBERS, None),
    "PUT /circles/{slug}/slow-mode": (REVIEWERS, lambda w: {"slow_mode_seconds": 30}),
}

# The pages: the circle's home (its conversation), search, the @ suggestions, a message in context, and what
# the page posts. The ask is the plain member's: only they edit, delete and mark it caught; the asker or a
# moderator closes it; moderators hide. Grabbing and answering in place belong to the envelope and meetup
# cards (their own message ids below).
PAGES: dict[str, Any] = {
    "conversation:home": ("GET", MEMBERS, None),
    "conversation:post": ("POST", MEMBERS, lambda w: {"text": "大家好 👋", "client_id": "page-1"}),
    "conversation:read": ("POST", MEMBERS, lambda w: {"last_read_id": w.extra["message_id"]}),
    "conversation:search": ("GET", MEMBERS, None),
    "conversation:mentions": ("GET", MEMBERS, None),
    "conversation:message": ("GET", MEMBERS, None),
    "conversation:edit": ("POST", PARTY, lambda w: {"text": "改一下"}),
    "conversation:delete": ("POST", PARTY, None),
    "conversation:hide": ("POST", REVIEWERS, lambda w: {"reason": "离题"}),
    "conversation:caught": ("POST", PARTY, lambda w: {"member_id": w.members["organizer"].pk}),
    "conversation:close": ("POST", MEMBERS, None),
    "conversation:grab": ("POST", MEMBERS, None),
    "conversation:rsvp": ("POST", MEMBERS, lambda w: {"answer": "yes"}),
    # The organizer's settings: slow mode, for the organizer and admins (as the API's PUT).
    "conversation:settings": ("GET", REVIEWERS, None),
    "conversation:slow_mode": ("POST", REVIEWERS, lambda w: {"slow_mode_seconds": "30"}),
}


def setup(world: Any) -> dict[str, Any]:
    # The matrix is about who may do what, not about the topicality guard: both posts are confirmed.
    ask = message_post(
        author=world.members["member"], text="谁能帮我做PPT？", kind="ask", confirm_off_topic=True
    ).message
    hidden = message_post(author=world.sponsor, text=HIDDEN_TEXT, confirm_off_topic=True).message
    message_hide(message_id=hidden.pk, moderator=world.members["organizer"], reason=HIDDEN_REASON)
    world.secrets[HIDDEN_TEXT] = REVIEWERS
    world.secrets[HIDDEN_REASON] = REVIEWERS
    # An envelope card and a meetup card (their cards written as the events' receivers write them).
    sender = world.sponsor
    topup_create(user=sender.user, amount_fen=10_000)
    envelope = envelope_send(sender=sender, total_fen=600, shares=5, mode="lucky", greeting="恭喜发财")
    envelope_card = on_envelope_sent(
        circle_id=world.circle.pk,
        envelope_id=envelope.pk,
        sender_id=sender.pk,
        total_fen=600,
        shares=5,
        mode="lucky",
        greeting="恭喜发财",
    )
    starts = timezone.now() + timedelta(days=3)
    meetup = meetup_create(
        circle=world.circle,
        host=sender,
        title="北京饭局",
        city="北京",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
    )
    meetup_card = on_meetup_called(
        circle_id=world.circle.pk,
        meetup_id=meetup.pk,
        host_id=sender.pk,
        title=meetup.title,
        city=meetup.city,
        starts_at=meetup.starts_at,
    )
    return {"message_id": ask.pk, "envelope_card_id": envelope_card.pk, "meetup_card_id": meetup_card.pk}
