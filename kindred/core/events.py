"""Domain events: what happened in a circle, for any app to react to without the sender knowing it.

The app that makes the change sends the signal after its transaction commits, and only for a live change
(a back-dated replay such as the demo loader's sends nothing):

    events.announce(events.meetup_called, sender=Meetup, circle_id=..., ...)

Arrows go one way: the sending apps import this module, never the listeners (the conversation writes each
event into the circle's stream, once). Every argument below is a plain value (ids, text, numbers, aware
datetimes), so a listener needs none of the sender's models; `sender` is the sender's model class. What a
signal carries is what the whole circle may see: the sender leaves out anything private.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.dispatch import Signal


def announce(signal: Signal, /, *, sender: type, **kwargs: Any) -> None:
    """Send `signal` when the current transaction commits. Robust: a listener that fails is logged and the
    change that committed still answers (its announcement is a side effect, never a 500 after the commit)."""
    transaction.on_commit(partial(signal.send, sender=sender, **kwargs), robust=True)


# A member joined the circle through an invitation (the organizer's own founding join sends nothing).
#   membership: kindred.circles.models.Membership (the newcomer, with `sponsor_id` and `circle_id`)
member_joined = Signal()

# The organizer removed a member and the circle tells sponsors of removals (Circle.notify_sponsor_on_removal).
# The reason stays out of it (it is for the sponsor only: the listener reads it from the membership).
#   circle_id: int; membership_id: int (the removed member); sponsor_id: int (membership id)
member_removed = Signal()

# A red envelope was sent to the circle.
#   circle_id: int; envelope_id: int; sender_id: int (membership id); total_fen: int (the total, in fen);
#   shares: int (how many shares); mode: str ("lucky" or "equal"); greeting: str
envelope_sent = Signal()

# A meetup (a dinner, a gathering) was called, open to the circle. Invitation-only meetups send nothing.
#   circle_id: int; meetup_id: int; host_id: int (membership id); title: str; city: str;
#   starts_at: datetime (aware)
meetup_called = Signal()

# A member announced a trip to a city.
#   circle_id: int; trip_id: int; traveller_id: int (membership id); city: str; starts_on: date;
#   ends_on: date
trip_announced = Signal()

# A deal was confirmed by its parties. Only what the parties made public to the circle.
#   circle_id: int; deal_id: int; party_ids: list[int] (membership ids); title: str;
#   amount_fen: int | None (None unless the parties made the amount public)
deal_confirmed = Signal()

# An introduction was completed: both sides accepted (their consent is what makes it public).
#   circle_id: int; intro_id: int; member_ids: tuple[int, int] (the two introduced);
#   connector_id: int | None (who introduced them, if anyone did)
intro_completed = Signal()

__all__ = [
    "deal_confirmed",
    "envelope_sent",
    "intro_completed",
    "meetup_called",
    "member_joined",
    "trip_announced",
]
