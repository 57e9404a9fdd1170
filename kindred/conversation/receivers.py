"""The circle's events (kindred.core.events) as cards in its stream: each event is written once (its key is
unique in the circle), whatever sends it twice. The signals are sent after the sender's commit; a card that
cannot be written is logged, never raised into the sender's request (its change is already done)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import wraps
from typing import Any

from django.dispatch import Signal

from kindred.circles.models import Membership
from kindred.core import events
from kindred.ties.selectors import tie_neighbors

from .models import Kind, Message
from .services import event_post

log = logging.getLogger(__name__)


def _names(circle_id: int, ids: Iterable[int | None]) -> dict[int, Membership]:
    wanted = {i for i in ids if i is not None}
    return {
        m.pk: m for m in Membership.objects.select_related("card").filter(circle_id=circle_id, pk__in=wanted)
    }


def _name(m: Membership | None) -> str:
    return getattr(getattr(m, "card", None), "display_name", "") if m is not None else ""


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _safe(fn: Callable[..., Any]) -> Callable[..., None]:
    @wraps(fn)
    def run(sender: object, **kwargs: Any) -> None:
        try:
            fn(**kwargs)
        except Exception:  # the sender's change is committed; a missing card must not fail its request
            log.exception("conversation: could not post the event card of %s", fn.__name__)

    return run


def on_member_joined(*, membership: Membership, **_: Any) -> Message:
    circle_id = membership.circle_id
    knows = sorted(tie_neighbors(circle_id=circle_id, member_ids=[membership.pk]).get(membership.pk, set()))
    people = _names(circle_id, [membership.pk, membership.sponsor_id, *knows])
    me = people.get(membership.pk)
    card = getattr(me, "card", None)
    summary = " · ".join(
        part
        for part in (getattr(card, "title", ""), getattr(card, "company", ""), getattr(card, "city", ""))
        if part
    )
    known = [k for k in knows if k != membership.sponsor_id and k in people]
    return event_post(
        circle_id=circle_id,
        kind=Kind.MEMBER_JOINED,
        key=f"membership:{membership.pk}",
        actor=me,
        payload={
            "member_id": membership.pk,
            "display_name": _name(me),
            "summary": summary,
            "sponsor_id": membership.sponsor_id,
            "sponsor_name": _name(people.get(membership.sponsor_id)) if membership.sponsor_id else "",
            "knows": [{"member_id": k, "display_name": _name(people[k])} for k in known],
        },
    )


def on_envelope_sent(
    *,
    circle_id: int,
    envelope_id: int,
    sender_id: int,
    total_fen: int,
    shares: int,
    mode: str,
    greeting: str = "",
    **_: Any,
) -> Message:
    sender = _names(circle_id, [sender_id]).get(sender_id)
    return event_post(
        circle_id=circle_id,
        kind=Kind.ENVELOPE_SENT,
        key=f"envelope:{envelope_id}",
        actor=sender,
        payload={
            "envelope_id": envelope_id,
            "sender_id": sender_id,
            "sender_name": _name(sender),
            "total_fen": total_fen,
            "shares": shares,
            "mode": mode,
            "greeting": greeting,
        },
    )


def on_meetup_called(
    *, circle_id: int, meetup_id: int, host_id: int, title: str, city: str, starts_at: datetime, **_: Any
) -> Message:
    host = _names(circle_id, [host_id]).get(host_id)
    return event_post(
        circle_id=circle_id,
        kind=Kind.MEETUP_CALLED,
        key=f"meetup:{meetup_id}",
        actor=host,
        payload={
            "meetup_id": meetup_id,
            "host_id": host_id,
            "host_name": _name(host),
            "title": title,
            "city": city,
            "starts_at": _iso(starts_at),
        },
    )


def on_trip_announced(
    *, circle_id: int, trip_id: int, traveller_id: int, city: str, starts_on: date, ends_on: date, **_: Any
) -> Message:
    traveller = _names(circle_id, [traveller_id]).get(traveller_id)
    return event_post(
        circle_id=circle_id,
        kind=Kind.TRIP_ANNOUNCED,
        key=f"trip:{trip_id}",
        actor=traveller,
        payload={
            "trip_id": trip_id,
            "traveller_id": traveller_id,
            "traveller_name": _name(traveller),
            "city": city,
            "starts_on": _iso(starts_on),
            "ends_on": _iso(ends_on),
        },
    )


def on_deal_confirmed(
    *,
    circle_id: int,
    deal_id: int,
    party_ids: Iterable[int],
    title: str = "",
    amount_fen: int | None = None,
    **_: Any,
) -> Message:
    ids = list(party_ids)
    people = _names(circle_id, ids)
    return event_post(
        circle_id=circle_id,
        kind=Kind.DEAL_CONFIRMED,
        key=f"deal:{deal_id}",
        payload={
            "deal_id": deal_id,
            "parties": [{"member_id": i, "display_name": _name(people.get(i))} for i in ids if i in people],
            "title": title,
            "amount_fen": amount_fen,
        },
    )


def on_intro_completed(
    *, circle_id: int, intro_id: int, member_ids: Iterable[int], connector_id: int | None = None, **_: Any
) -> Message:
    ids = list(member_ids)
    people = _names(circle_id, [*ids, connector_id])
    connector = people.get(connector_id) if connector_id is not None else None
    return event_post(
        circle_id=circle_id,
        kind=Kind.INTRO_COMPLETED,
        key=f"intro:{intro_id}",
        actor=connector,
        payload={
            "intro_id": intro_id,
            "members": [{"member_id": i, "display_name": _name(people.get(i))} for i in ids if i in people],
            "connector_id": connector_id,
            "connector_name": _name(connector),
        },
    )


RECEIVERS: dict[Signal, Callable[..., Any]] = {
    events.member_joined: on_member_joined,
    events.envelope_sent: on_envelope_sent,
    events.meetup_called: on_meetup_called,
    events.trip_announced: on_trip_announced,
    events.deal_confirmed: on_deal_confirmed,
    events.intro_completed: on_intro_completed,
}
_CONNECTED: list[Callable[..., None]] = []  # strong references: signals hold receivers weakly


def connect() -> None:
    for signal, fn in RECEIVERS.items():
        receiver = _safe(fn)
        _CONNECTED.append(receiver)
        signal.connect(receiver, dispatch_uid=f"conversation-{fn.__name__}")
