"""Every state change of deals.

    record (by a member party, who confirms at once) → each other member party confirms → counts
    stage: discussing → signed → closed, or abandoned from any open stage; each with its date

When the last member party confirms, the deal counts for the circle and each pair of member parties gets a
deal tie (kindred.ties.services.tie_record_deal).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from itertools import combinations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kindred.circles.models import Circle, Membership
from kindred.core import events
from kindred.core.services import Conflict, NotFound, PermissionDenied, ServiceError, audit_record
from kindred.core.text import clean_line, clean_multiline
from kindred.meetups.selectors import meetup_for_member
from kindred.meetups.types import Meetup
from kindred.ties.services import tie_record_deal

from .audit import Action
from .models import (
    AMOUNT_MAX_FEN,
    OUTSIDE_PARTY_MAX_LENGTH,
    PARTIES_MAX,
    PARTIES_MIN,
    TEXT_MAX_LENGTH,
    TITLE_LABEL,
    TITLE_MAX_LENGTH,
    Deal,
    DealParty,
)

# Where a stage may go next, and the date it sets.
NEXT_STAGES: dict[str, tuple[str, ...]] = {
    Deal.Stage.DISCUSSING: (Deal.Stage.SIGNED, Deal.Stage.CLOSED, Deal.Stage.ABANDONED),
    Deal.Stage.SIGNED: (Deal.Stage.CLOSED, Deal.Stage.ABANDONED),
    Deal.Stage.CLOSED: (),
    Deal.Stage.ABANDONED: (),
}
STAGE_DATE: dict[str, str] = {
    Deal.Stage.SIGNED: "signed_at",
    Deal.Stage.CLOSED: "closed_at",
    Deal.Stage.ABANDONED: "abandoned_at",
}


def _parties(circle: Circle, creator: Membership, party_ids: Iterable[int]) -> list[Membership]:
    ids = set(party_ids) | {creator.pk}
    if len(ids) < PARTIES_MIN:
        raise ServiceError(_("A deal needs at least two members as parties."), code="too_few_parties")
    if len(ids) > PARTIES_MAX:
        raise ServiceError(
            _("A deal has at most %(n)d parties.") % {"n": PARTIES_MAX}, code="too_many_parties"
        )
    found = list(
        Membership.objects.select_related("user").filter(
            pk__in=ids, circle=circle, status=Membership.Status.ACTIVE
        )
    )
    if len(found) != len(ids):
        raise ServiceError(_("Every party must be an active member of this circle."), code="party_outside")
    return sorted(found, key=lambda m: m.pk)


@transaction.atomic
def deal_create(
    *,
    circle: Circle,
    creator: Membership,
    kind: str,
    title: str,
    party_ids: Iterable[int],
    origin: str,
    description: str = "",
    outside_party: str = "",
    amount_fen: int | None = None,
    amount_public: bool = False,
    stage: str = Deal.Stage.DISCUSSING,
    origin_meetup: Meetup | None = None,
    origin_note: str = "",
    at: datetime | None = None,
) -> Deal:
    """`creator` records a deal they are a party of (and confirms it); the other member parties are asked."""
    if creator.circle_id != circle.pk or not creator.is_active:
        raise NotFound(_("Circle not found."))
    if kind not in Deal.Kind.values:
        raise ServiceError(_("Choose the kind of deal."), code="bad_kind")
    if origin not in Deal.Origin.values:
        raise ServiceError(_("Say where the deal came from."), code="bad_origin")
    if stage not in Deal.Stage.values:
        raise ServiceError(_("Choose a stage."), code="bad_stage")
    if amount_fen is not None and not 0 <= amount_fen <= AMOUNT_MAX_FEN:
        raise ServiceError(_("The amount must be zero or more."), code="bad_amount")
    title = clean_line(title, label=TITLE_LABEL, max_length=TITLE_MAX_LENGTH, required=True)
    description = clean_multiline(description, label=_("Description"), max_length=TEXT_MAX_LENGTH)
    outside_party = clean_line(outside_party, label=_("Outside party"), max_length=OUTSIDE_PARTY_MAX_LENGTH)
    origin_note = clean_line(origin_note, label=_("Where it came from"), max_length=TITLE_MAX_LENGTH)
    if origin_meetup is not None:
        # The creator must be able to see it (an invitation-only dinner stays invisible to others).
        meetup_for_member(member=creator, meetup_id=origin_meetup.pk)
        if origin != Deal.Origin.MEETUP:
            raise ServiceError(_("Name a meetup only when the deal came from one."), code="bad_origin")
    elif origin == Deal.Origin.MEETUP and not origin_note:
        raise ServiceError(_("Say which meetup the deal came from."), code="meetup_missing")
    parties = _parties(circle, creator, party_ids)
    now = at or timezone.now()
    deal = Deal.objects.create(
        circle=circle,
        created_by=creator,
        kind=kind,
        title=title,
        description=description,
        outside_party=outside_party,
        amount_fen=amount_fen,
        amount_public=amount_public,
        stage=stage,
        origin=origin,
        origin_meetup=origin_meetup,
        origin_note=origin_note,
        created_at=now,
        **({STAGE_DATE[stage]: now} if stage in STAGE_DATE else {}),
    )
    DealParty.objects.bulk_create(
        [DealParty(deal=deal, member=m, confirmed_at=now if m.pk == creator.pk else None) for m in parties]
    )
    audit_record(
        at=at,
        action=Action.DEAL_CREATED,
        actor=creator.user,
        circle_id=circle.pk,
        target=deal,
        data={"kind": kind, "parties": [m.pk for m in parties], "origin": origin},
    )
    return deal


def _lock(deal: Deal) -> Deal:
    locked = Deal.objects.select_for_update().filter(pk=deal.pk).first()
    if locked is None:
        raise NotFound(_("Deal not found."))
    return locked


def _party(deal: Deal, member: Membership) -> DealParty:
    party = DealParty.objects.filter(deal=deal, member=member).first()
    if party is None:
        raise NotFound(_("Deal not found."))
    if not member.is_active:
        raise PermissionDenied(_("You are no longer a member of this circle."), code="actor_removed")
    return party


@transaction.atomic
def deal_confirm(*, deal: Deal, member: Membership, at: datetime | None = None) -> Deal:
    """A member party confirms. When every member party has, the deal counts and deal ties are recorded."""
    locked = _lock(deal)
    party = _party(locked, member)
    if party.confirmed_at is not None:
        raise Conflict(_("You have already confirmed this deal."), code="already_confirmed")
    now = at or timezone.now()
    party.confirmed_at = now
    party.save(update_fields=["confirmed_at"])
    audit_record(
        at=at, action=Action.DEAL_CONFIRMED, actor=member.user, circle_id=locked.circle_id, target=locked
    )
    parties = list(DealParty.objects.select_related("member").filter(deal=locked))
    if all(p.confirmed_at is not None for p in parties):
        locked.confirmed_at = now
        locked.save(update_fields=["confirmed_at"])
        active = [p.member for p in parties if p.member.is_active]
        for a, b in combinations(active, 2):
            tie_record_deal(a=a, b=b, at=now)
        audit_record(at=at, action=Action.DEAL_COUNTED, circle_id=locked.circle_id, target=locked)
        if at is None:  # counted live: the circle hears of it (only what the parties made public)
            events.announce(
                events.deal_confirmed,
                sender=Deal,
                circle_id=locked.circle_id,
                deal_id=locked.pk,
                party_ids=[p.member_id for p in parties],
                title=locked.title,
                amount_fen=locked.amount_fen if locked.amount_public else None,
            )
    return locked


@transaction.atomic
def deal_stage_set(*, deal: Deal, member: Membership, stage: str, at: datetime | None = None) -> Deal:
    """A member party moves the deal on (discussing → signed → closed, or abandoned); never backwards."""
    locked = _lock(deal)
    _party(locked, member)
    if stage not in Deal.Stage.values:
        raise ServiceError(_("Choose a stage."), code="bad_stage")
    if stage not in NEXT_STAGES[locked.stage]:
        raise ServiceError(
            _("A deal cannot go from %(a)s to %(b)s.")
            % {"a": Deal.Stage(locked.stage).label, "b": Deal.Stage(stage).label},
            code="bad_transition",
        )
    now = at or timezone.now()
    locked.stage = stage
    setattr(locked, STAGE_DATE[stage], now)
    locked.save(update_fields=["stage", STAGE_DATE[stage]])
    audit_record(
        at=at,
        action=Action.DEAL_STAGE_SET,
        actor=member.user,
        circle_id=locked.circle_id,
        target=locked,
        data={"stage": stage},
    )
    return locked
