"""Every state change of ties.

The life of a tie (one row per unordered pair of members):

    (none) --declare--> pending --confirm (by the other party)--> confirmed
                           |
                           +--ignore (by the other party)--> ignored --confirm / declare back--> confirmed

- Declaring towards someone who already asked me confirms their request (the tie is mutual).
- Ignoring is quiet: the declarer keeps seeing their request as pending, and declaring again tells them
  only "already asked" (the same answer as for a request still pending).
- An ignored tie can be turned into a confirmed one only by the party who ignored it (by confirming it
  or by declaring back); the declarer cannot nag.
- A confirmed tie is final here: declaring it again is a Conflict.
- `sponsor` ties are made only by accepted invitations (`tie_record_sponsor`), never declared.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kindred.circles.models import Membership
from kindred.circles.services import circle_members_touch
from kindred.core.services import Conflict, NotFound, PermissionDenied, ServiceError, audit_record

from .audit import Action
from .models import DECLARABLE_KINDS, EARLIEST_SINCE_YEAR, Tie


def _lock_pair(actor_id: int, other_id: int) -> tuple[Membership, Membership]:
    """Lock both memberships in id order (so two opposite declarations cannot deadlock), check under
    the lock that both are still active, and return fresh copies of (actor, other)."""
    rows = {
        m.pk: m
        for m in Membership.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk__in=(actor_id, other_id))
        .order_by("pk")
    }
    if actor_id not in rows or other_id not in rows:
        raise NotFound(_("Member not found."))
    actor, other = rows[actor_id], rows[other_id]
    if not actor.is_active:
        raise PermissionDenied(_("You are no longer a member of this circle."), code="actor_removed")
    if not other.is_active:
        raise ServiceError(_("This member is no longer in the circle."), code="member_removed")
    return actor, other


def _check_since_year(since_year: int | None, now: datetime) -> None:
    if since_year is None:
        return
    this_year = timezone.localtime(now).year
    if not EARLIEST_SINCE_YEAR <= since_year <= this_year:
        raise ServiceError(
            _("The year you met must be between %(low)d and %(high)d.")
            % {"low": EARLIEST_SINCE_YEAR, "high": this_year},
            code="bad_since_year",
        )


def _confirm(tie: Tie, *, by: Membership, now: datetime) -> Tie:
    tie.status = Tie.Status.CONFIRMED
    tie.confirmed_at = now
    tie.save(update_fields=["status", "confirmed_at"])
    circle_members_touch(circle_id=tie.circle_id)
    audit_record(at=now, action=Action.TIE_CONFIRMED, actor=by.user, circle_id=tie.circle_id, target=tie)
    return tie


@transaction.atomic
def tie_declare(
    *,
    declarer: Membership,
    other: Membership,
    kind: str,
    since_year: int | None = None,
    at: datetime | None = None,
) -> Tie:
    """`declarer` says they know `other`. Returns the pending tie, or the confirmed one when `other` had
    already asked (or asked and was ignored by `declarer`, who now changes their mind)."""
    now = at or timezone.now()
    if kind not in DECLARABLE_KINDS:
        raise ServiceError(_("Choose how you know each other."), code="bad_kind")
    _check_since_year(since_year, now)
    if declarer.pk == other.pk:
        raise ServiceError(_("You cannot declare a tie with yourself."), code="self_tie")
    if declarer.circle_id != other.circle_id:
        raise ServiceError(_("You can only declare ties inside your circle."), code="other_circle")
    declarer, other = _lock_pair(declarer.pk, other.pk)

    low, high = sorted((declarer.pk, other.pk))
    tie = Tie.objects.select_for_update().filter(member_low_id=low, member_high_id=high).first()
    if tie is None:
        tie = Tie.objects.create(
            circle_id=declarer.circle_id,
            member_low_id=low,
            member_high_id=high,
            declared_by_id=declarer.pk,
            kind=kind,
            since_year=since_year,
        )
        if at is not None:
            Tie.objects.filter(pk=tie.pk).update(created_at=at)
            tie.created_at = at
        circle_members_touch(circle_id=tie.circle_id)
        audit_record(
            at=at,
            action=Action.TIE_DECLARED,
            actor=declarer.user,
            circle_id=tie.circle_id,
            target=tie,
            data={"other": other.pk, "kind": kind, "since_year": since_year},
        )
        return tie
    if tie.status == Tie.Status.CONFIRMED:
        raise Conflict(_("You are already tied with this member."), code="already_tied")
    if tie.declared_by_id == declarer.pk:
        # Pending, or ignored by the other party, which the declarer must not learn: same answer.
        raise Conflict(_("You have already asked; waiting for confirmation."), code="already_declared")
    # The other party asked first (pending, or ignored by the declarer who now changes their mind).
    if tie.since_year is None and since_year is not None:
        tie.since_year = since_year
        tie.save(update_fields=["since_year"])
    return _confirm(tie, by=declarer, now=now)


def _locked_for_answer(tie: Tie, member: Membership) -> tuple[Tie, Membership]:
    """Check that `member` is the party who was asked and both are still active, then lock the tie.

    The pair and the declarer of a tie never change, so they are read from `tie`; the locks are taken
    in the same order as `tie_declare` takes them (memberships by id, then the tie): no deadlock."""
    if member.pk not in (tie.member_low_id, tie.member_high_id):
        raise NotFound(_("Tie not found."))
    if member.pk == tie.declared_by_id:
        raise PermissionDenied(_("Only the member you asked can answer this request."), code="not_asked")
    asked, _declarer = _lock_pair(member.pk, tie.declared_by_id)
    locked = Tie.objects.select_for_update().get(pk=tie.pk)
    if locked.status == Tie.Status.CONFIRMED:
        raise Conflict(_("You are already tied with this member."), code="already_tied")
    return locked, asked


@transaction.atomic
def tie_confirm(*, tie: Tie, member: Membership, at: datetime | None = None) -> Tie:
    """The member who was asked confirms (also after ignoring it first). Confirmed ties are mutual."""
    locked, asked = _locked_for_answer(tie, member)
    return _confirm(locked, by=asked, now=at or timezone.now())


@transaction.atomic
def tie_ignore(*, tie: Tie, member: Membership) -> Tie:
    """The member who was asked ignores the request, quietly: the declarer still sees it as pending.
    Ignoring twice is harmless."""
    locked, asked = _locked_for_answer(tie, member)
    if locked.status == Tie.Status.PENDING:
        locked.status = Tie.Status.IGNORED
        locked.save(update_fields=["status"])
        circle_members_touch(circle_id=locked.circle_id)
        audit_record(action=Action.TIE_IGNORED, actor=asked.user, circle_id=locked.circle_id, target=locked)
    return locked


@transaction.atomic
def tie_record_sponsor(*, sponsor: Membership, invitee: Membership, at: datetime | None = None) -> Tie:
    """An accepted invitation makes a confirmed sponsor↔invitee tie (upgrading a pending one)."""
    low, high = sorted((sponsor.pk, invitee.pk))
    now = at or timezone.now()
    tie, created = Tie.objects.select_for_update().get_or_create(
        member_low_id=low,
        member_high_id=high,
        defaults={
            "circle_id": sponsor.circle_id,
            "declared_by_id": sponsor.pk,
            "kind": Tie.Kind.SPONSOR,
            "status": Tie.Status.CONFIRMED,
            "confirmed_at": now,
        },
    )
    if not created and tie.status != Tie.Status.CONFIRMED:
        tie.status = Tie.Status.CONFIRMED
        tie.confirmed_at = now
        tie.save(update_fields=["status", "confirmed_at"])
    actor: User = sponsor.user
    circle_members_touch(circle_id=tie.circle_id)
    audit_record(
        at=at, action=Action.TIE_SPONSOR_RECORDED, actor=actor, circle_id=sponsor.circle_id, target=tie
    )
    return tie


def _record_fact(
    *, a: Membership, b: Membership, field: str, kind: str, action: Action, at: datetime | None
) -> Tie:
    """Record a fact about a pair seen by the circle (met offline, did a deal): a confirmed tie of `kind`
    when the pair had none; otherwise only the first time of the fact (a pending or ignored request keeps
    its status: ignoring stays quiet)."""
    if a.pk == b.pk or a.circle_id != b.circle_id:
        raise ServiceError(_("A tie needs two members of the same circle."), code="bad_pair")
    now = at or timezone.now()
    low, high = sorted((a.pk, b.pk))
    tie, created = Tie.objects.select_for_update().get_or_create(
        member_low_id=low,
        member_high_id=high,
        defaults={
            "circle_id": a.circle_id,
            "declared_by_id": low,
            "kind": kind,
            "status": Tie.Status.CONFIRMED,
            "confirmed_at": now,
            field: now,
        },
    )
    if created and at is not None:
        Tie.objects.filter(pk=tie.pk).update(created_at=at)
        tie.created_at = at
    elif not created and (getattr(tie, field) is None or getattr(tie, field) > now):
        setattr(tie, field, now)
        tie.save(update_fields=[field])
    circle_members_touch(circle_id=tie.circle_id)
    audit_record(at=at, action=action, circle_id=a.circle_id, target=tie)
    return tie


@transaction.atomic
def tie_record_met(*, a: Membership, b: Membership, at: datetime | None = None) -> Tie:
    """`a` and `b` both checked in at the same meetup: they have met offline."""
    return _record_fact(
        a=a, b=b, field="met_offline_at", kind=Tie.Kind.MET, action=Action.TIE_MET_RECORDED, at=at
    )


@transaction.atomic
def tie_record_deal(*, a: Membership, b: Membership, at: datetime | None = None) -> Tie:
    """`a` and `b` are parties of a deal every member party confirmed: they do business together."""
    return _record_fact(
        a=a, b=b, field="deal_at", kind=Tie.Kind.PARTNER, action=Action.TIE_DEAL_RECORDED, at=at
    )


@transaction.atomic
def tie_record_introduced(
    *, member: Membership, other: Membership, introducer: Membership, at: datetime | None = None
) -> Tie:
    """A completed introduction (kindred.matching) makes a confirmed `introduced` tie between the two
    members, confirming a pending or ignored one between them; a confirmed tie is left as it is."""
    low, high = sorted((member.pk, other.pk))
    now = at or timezone.now()
    tie, created = Tie.objects.select_for_update().get_or_create(
        member_low_id=low,
        member_high_id=high,
        defaults={
            "circle_id": member.circle_id,
            "declared_by_id": member.pk,
            "kind": Tie.Kind.INTRODUCED,
            "status": Tie.Status.CONFIRMED,
            "confirmed_at": now,
        },
    )
    if not created and tie.status != Tie.Status.CONFIRMED:
        tie.status = Tie.Status.CONFIRMED
        tie.confirmed_at = now
        tie.save(update_fields=["status", "confirmed_at"])
    circle_members_touch(circle_id=tie.circle_id)
    audit_record(
        at=at,
        action=Action.TIE_INTRODUCED_RECORDED,
        actor=introducer.user,
        circle_id=member.circle_id,
        target=tie,
        data={"introducer": introducer.pk},
    )
    return tie
