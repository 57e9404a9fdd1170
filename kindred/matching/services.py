"""Every state change of matching: introductions, suppressed pairs, the match cache, contacts, notices.

Introductions are double opt-in:

    request (A → B)  --connector approves-->  awaiting B  --B accepts-->  accepted (introduced tie)
    proposal (organizer, A ↔ B): approved at once  --A and B accept (any order)-->  accepted

Any open introduction may be declined by whoever must answer it now, and expires after INTRO_TTL_DAYS.
A decline is private: the others see the introduction as "closed", exactly as after an expiry, and the
pair is suppressed from suggestions (and from being asked again) for SUPPRESS_DAYS after either.
Contact details are shown only once everyone has said yes.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kindred.circles.models import Circle, Membership
from kindred.core import events
from kindred.core.services import Conflict, Gone, NotFound, PermissionDenied, ServiceError, audit_record
from kindred.core.text import clean_multiline
from kindred.invitations.services import nomination_create
from kindred.invitations.types import Nomination, NominationRelationship
from kindred.notifications.services import notification_send
from kindred.ties.selectors import tie_neighbors
from kindred.ties.services import tie_record_introduced

from . import contacts_parse
from .audit import Action
from .models import (
    CONTACTS_FILE_MAX_BYTES,
    CONTACTS_PER_IMPORT_MAX,
    INTRO_NOTE_MAX_LENGTH,
    INTRO_TTL_DAYS,
    MATCH_REFRESH_DEBOUNCE_SECONDS,
    MATCH_REFRESH_LOST_MINUTES,
    SUPPRESS_DAYS,
    Contact,
    Introduction,
    MatchEntry,
    MatchState,
    SuppressedPair,
)
from .selectors import intro_connectors

# --- notices ---------------------------------------------------------------------------------------------


def notify(
    *,
    member: Membership,
    kind: str,
    params: dict[str, Any],
    circle: Circle | None = None,
    actor: Membership | None = None,
    intro: Introduction | None = None,
    url: str = "",
    at: datetime | None = None,
) -> None:
    """A notice in the member's inbox (kinds in kindred/matching/notices.py, `kind` without the "matching."
    prefix), mailed from the outbox after commit as the kind and the member's preference say. `url` defaults
    to the introductions page; a back-dated `at` (the demo's replay) writes the inbox only."""
    circle = circle or member.circle
    notification_send(
        recipients=[member],
        kind=f"matching.{kind}",
        circle=circle,
        params=params,
        actor=actor,
        target=intro,
        url=url or reverse("matching:intros", kwargs={"slug": circle.slug}),
        at=at,
    )


@transaction.atomic
def growth_suggest_on_join(*, membership: Membership) -> int:
    """Someone joined: tell each reviewer of the circle (organizer and admins) who imported contacts how many
    of their own contacts work in the same trades as the newcomer (the organizer pulls in friends whose
    business overlaps a newcomer's). The suggestions themselves are listed on the member's page. Run by the
    background worker after the join (kindred/matching/tasks.py): the number of reviewers told."""
    from .selectors import invite_suggestions

    reviewers = Membership.objects.select_related("user").filter(
        circle_id=membership.circle_id,
        status=Membership.Status.ACTIVE,
        role__in=(Membership.Role.ORGANIZER, Membership.Role.ADMIN),
        user_id__in=Contact.objects.values("owner_id"),
    )
    told = 0
    for reviewer in reviewers:
        found = invite_suggestions(owner=reviewer.user, member=membership)
        if found:
            notify(
                member=reviewer,
                circle=membership.circle,
                kind="growth",
                params={"count": len(found), "member": membership.card.display_name},
                url=reverse(
                    "matching:invite_suggestions",
                    kwargs={"slug": membership.circle.slug, "member_id": membership.pk},
                ),
            )
            told += 1
    return told


def growth_suggest_on_join_id(*, membership_id: int) -> int:
    """growth_suggest_on_join for the background task, which gets ids: nothing for a membership gone since."""
    membership = (
        Membership.objects.select_related("circle", "card")
        .filter(pk=membership_id, status=Membership.Status.ACTIVE)
        .first()
    )
    return growth_suggest_on_join(membership=membership) if membership is not None else 0


def _name(m: Membership) -> str:
    return m.card.display_name


# --- introductions -----------------------------------------------------------------------------------------


def _lock_members(ids: list[int]) -> dict[int, Membership]:
    """Lock the memberships in id order (no deadlock with ties' pair locks) and check they are active."""
    rows = {
        m.pk: m
        for m in Membership.objects.select_for_update(of=("self",))
        .select_related("user", "card")
        .filter(pk__in=ids)
        .order_by("pk")
    }
    if set(ids) - set(rows):
        raise NotFound(_("Member not found."))
    for m in rows.values():
        if not m.is_active:
            raise ServiceError(_("This member is no longer in the circle."), code="member_removed")
    return rows


def _pair_q(a: int, b: int) -> Q:
    return Q(requester_id=a, target_id=b) | Q(requester_id=b, target_id=a)


def _check_pair_free(circle_id: int, a: int, b: int, now: datetime) -> None:
    if b in tie_neighbors(circle_id=circle_id, member_ids=[a]).get(a, set()):
        raise Conflict(_("You already know each other."), code="already_tied")
    if Introduction.objects.filter(_pair_q(a, b), status__in=Introduction.OPEN, expires_at__gt=now).exists():
        raise Conflict(_("An introduction between you is already under way."), code="intro_open")
    low, high = sorted((a, b))
    if SuppressedPair.objects.filter(member_low_id=low, member_high_id=high, until__gt=now).exists():
        # The same answer after a decline and after an expiry: a decline is private.
        raise Conflict(_("This introduction was asked for recently; try again later."), code="recent")


def best_connector(*, circle: Circle, a: int, b: int) -> Membership | None:
    """The first of `a`'s ties who can introduce them to `b` (kindred.matching.selectors.intro_connectors:
    a mutual tie, else the first go-between on a trust path), else the organizer."""
    found = intro_connectors(circle_id=circle.pk, requester_id=a, target_id=b)
    if found:
        return found[0].member
    return (
        Membership.objects.select_related("card", "user")
        .filter(circle=circle, role=Membership.Role.ORGANIZER, status=Membership.Status.ACTIVE)
        .exclude(pk=b)
        .order_by("pk")
        .first()
    )


def _clean_note(note: str) -> str:
    return clean_multiline(
        note, label=pgettext_lazy("introduction", "Note"), max_length=INTRO_NOTE_MAX_LENGTH
    )


@transaction.atomic
def intro_request(
    *,
    requester: Membership,
    target: Membership,
    via: Membership | None = None,
    note: str = "",
    at: datetime | None = None,
) -> Introduction:
    """`requester` asks to be introduced to `target`, through `via` or the best connector: the requester's
    own tie who knows the target, or who knows one of the target's ties (the first go-between on the trust
    path shown with a match), else the organizer. The note is shown to the connector and the target."""
    now = at or timezone.now()
    note = _clean_note(note)
    if requester.pk == target.pk:
        raise ServiceError(_("You cannot ask to be introduced to yourself."), code="self_intro")
    if requester.circle_id != target.circle_id:
        raise NotFound(_("Member not found."))
    circle = requester.circle
    if via is not None:
        if via.circle_id != circle.pk or via.pk in (requester.pk, target.pk):
            raise ServiceError(_("Choose someone else to introduce you."), code="bad_connector")
        if not via.is_organizer and via.pk not in {
            c.member.pk
            for c in intro_connectors(circle_id=circle.pk, requester_id=requester.pk, target_id=target.pk)
        }:
            raise ServiceError(
                _(
                    "The connector must be someone you know who knows them or one of their ties "
                    "(or the organizer)."
                ),
                code="bad_connector",
            )
        connector: Membership | None = via
    else:
        connector = best_connector(circle=circle, a=requester.pk, b=target.pk)
    if connector is None:
        raise ServiceError(_("Nobody can introduce you yet."), code="no_connector")
    rows = _lock_members(sorted({requester.pk, target.pk, connector.pk}))
    requester, target, connector = rows[requester.pk], rows[target.pk], rows[connector.pk]
    _check_pair_free(circle.pk, requester.pk, target.pk, now)
    self_connected = connector.pk == requester.pk  # the organizer asking needs no go-between
    intro = Introduction.objects.create(
        circle=circle,
        requester=requester,
        target=target,
        connector=connector,
        note=note,
        status=Introduction.Status.AWAITING_PARTIES
        if self_connected
        else Introduction.Status.AWAITING_CONNECTOR,
        connector_approved_at=now if self_connected else None,
        requester_accepted_at=now,
        created_at=now,
        expires_at=now + timedelta(days=INTRO_TTL_DAYS),
    )
    audit_record(
        at=at,
        action=Action.INTRO_REQUESTED,
        actor=requester.user,
        circle_id=circle.pk,
        target=intro,
        data={"target": target.pk, "connector": connector.pk},
    )
    names = {"requester": _name(requester), "target": _name(target), "connector": _name(connector)}
    if self_connected:
        notify(
            member=target,
            circle=circle,
            kind="intro_to_answer",
            params=names,
            actor=requester,
            intro=intro,
            at=at,
        )
    else:
        notify(
            member=connector,
            circle=circle,
            kind="intro_to_approve",
            params=names,
            actor=requester,
            intro=intro,
            at=at,
        )
    matches_invalidate(circle=circle)
    return intro


@transaction.atomic
def intro_propose(
    *,
    organizer: Membership,
    member: Membership,
    other: Membership,
    note: str = "",
    at: datetime | None = None,
) -> Introduction:
    """The organizer (or an admin) proposes to introduce two members; both must accept."""
    now = at or timezone.now()
    note = _clean_note(note)
    if not organizer.can_review:
        raise PermissionDenied(_("Only the organizer and admins can propose introductions."))
    if member.pk == other.pk:
        raise ServiceError(_("Choose two different members."), code="self_intro")
    if organizer.pk in (member.pk, other.pk):
        raise ServiceError(_("Ask for your own introductions from the matches page."), code="own_intro")
    if not member.circle_id == other.circle_id == organizer.circle_id:
        raise NotFound(_("Member not found."))
    rows = _lock_members(sorted({organizer.pk, member.pk, other.pk}))
    organizer, member, other = rows[organizer.pk], rows[member.pk], rows[other.pk]
    _check_pair_free(organizer.circle_id, member.pk, other.pk, now)
    intro = Introduction.objects.create(
        circle_id=organizer.circle_id,
        requester=member,
        target=other,
        connector=organizer,
        proposed=True,
        note=note,
        status=Introduction.Status.AWAITING_PARTIES,
        connector_approved_at=now,
        created_at=now,
        expires_at=now + timedelta(days=INTRO_TTL_DAYS),
    )
    audit_record(
        at=at,
        action=Action.INTRO_PROPOSED,
        actor=organizer.user,
        circle_id=organizer.circle_id,
        target=intro,
        data={"member": member.pk, "other": other.pk},
    )
    for a, b in ((member, other), (other, member)):
        notify(
            member=a,
            circle=organizer.circle,
            kind="intro_proposed",
            actor=organizer,
            intro=intro,
            at=at,
            params={"connector": _name(organizer), "other": _name(b)},
        )
    matches_invalidate(circle=organizer.circle)
    return intro


def _locked_intro(intro_id: int, member: Membership, now: datetime) -> Introduction:
    """Lock the introduction (the parties first, in id order); expire it if its time is up."""
    intro = Introduction.objects.filter(pk=intro_id).first()
    if intro is None or member.pk not in intro.party_ids():
        raise NotFound(_("Introduction not found."))
    _lock_members(sorted(set(intro.party_ids())))
    locked = Introduction.objects.select_for_update().get(pk=intro_id)
    if locked.is_open and locked.expires_at <= now:
        _close(locked, Introduction.Status.EXPIRED, now=now, by=None)
        raise Gone(_("This introduction has expired."), code="expired")
    if not locked.is_open:
        raise Conflict(_("This introduction is closed."), code="closed")
    return locked


def _suppress(intro: Introduction, until: datetime) -> None:
    low, high = sorted((intro.requester_id, intro.target_id))
    SuppressedPair.objects.update_or_create(
        member_low_id=low, member_high_id=high, defaults={"circle_id": intro.circle_id, "until": until}
    )


def _close(intro: Introduction, status: str, *, now: datetime, by: Membership | None) -> None:
    intro.status = status
    intro.closed_at = now
    intro.declined_by = by if status == Introduction.Status.DECLINED else None
    intro.save(update_fields=["status", "closed_at", "declined_by", "updated_at"])
    if status in (Introduction.Status.DECLINED, Introduction.Status.EXPIRED):
        _suppress(intro, now + timedelta(days=SUPPRESS_DAYS))
    audit_record(
        at=now,
        action=Action(f"intro_{status}"),
        actor=by.user if by else None,
        circle_id=intro.circle_id,
        target=intro,
    )
    matches_invalidate(circle=intro.circle_id)


@transaction.atomic
def intro_approve(*, intro: Introduction, member: Membership, at: datetime | None = None) -> Introduction:
    """The connector vouches for the introduction; then the other party (or both, for a proposal) answers."""
    now = at or timezone.now()
    locked = _locked_intro(intro.pk, member, now)
    if member.pk != locked.connector_id:
        raise PermissionDenied(_("Only the connector can approve this introduction."), code="not_connector")
    if locked.status != Introduction.Status.AWAITING_CONNECTOR:
        raise Conflict(_("You have already approved this introduction."), code="approved")
    locked.status = Introduction.Status.AWAITING_PARTIES
    locked.connector_approved_at = now
    locked.save(update_fields=["status", "connector_approved_at", "updated_at"])
    audit_record(
        at=at, action=Action.INTRO_APPROVED, actor=member.user, circle_id=locked.circle_id, target=locked
    )
    parties = Membership.objects.select_related("card", "user").in_bulk(locked.party_ids())
    requester, target, connector = (parties[i] for i in locked.party_ids())
    notify(
        member=target,
        circle=requester.circle,
        kind="intro_to_answer",
        actor=connector,
        intro=locked,
        at=at,
        params={"requester": _name(requester), "target": _name(target), "connector": _name(connector)},
    )
    return locked


@transaction.atomic
def intro_accept(*, intro: Introduction, member: Membership, at: datetime | None = None) -> Introduction:
    """A party says yes. When both have, the introduction is made: an `introduced` tie, contacts shown."""
    now = at or timezone.now()
    locked = _locked_intro(intro.pk, member, now)
    if member.pk not in (locked.requester_id, locked.target_id):
        raise PermissionDenied(_("Only the two members introduced can accept."), code="not_party")
    if locked.status == Introduction.Status.AWAITING_CONNECTOR:
        raise Conflict(_("The connector has not approved this introduction yet."), code="not_approved")
    field = "requester_accepted_at" if member.pk == locked.requester_id else "target_accepted_at"
    if getattr(locked, field) is not None:
        raise Conflict(_("You have already accepted."), code="accepted")
    setattr(locked, field, now)
    locked.save(update_fields=[field, "updated_at"])
    audit_record(
        at=at,
        action=Action.INTRO_PARTY_ACCEPTED,
        actor=member.user,
        circle_id=locked.circle_id,
        target=locked,
    )
    if locked.requester_accepted_at and locked.target_accepted_at:
        locked.status = Introduction.Status.ACCEPTED
        locked.closed_at = now
        locked.save(update_fields=["status", "closed_at", "updated_at"])
        parties = Membership.objects.select_related("card", "user", "circle").in_bulk(locked.party_ids())
        requester, target, connector = (parties[i] for i in locked.party_ids())
        tie_record_introduced(member=requester, other=target, introducer=connector, at=at)
        audit_record(
            at=at, action=Action.INTRO_ACCEPTED, actor=member.user, circle_id=locked.circle_id, target=locked
        )
        for a, b in ((requester, target), (target, requester)):
            notify(
                member=a, circle=a.circle, kind="intro_done", intro=locked, at=at, params={"other": _name(b)}
            )
        matches_invalidate(circle=requester.circle)
        if at is None:  # both said yes, live: their consent makes it public to the circle
            events.announce(
                events.intro_completed,
                sender=Introduction,
                circle_id=locked.circle_id,
                intro_id=locked.pk,
                member_ids=(requester.pk, target.pk),
                connector_id=connector.pk,
            )
    return locked


@transaction.atomic
def intro_decline(*, intro: Introduction, member: Membership, at: datetime | None = None) -> Introduction:
    """Whoever must answer now says no, privately: nobody is told who declined."""
    now = at or timezone.now()
    locked = _locked_intro(intro.pk, member, now)
    waiting_for = (
        {locked.connector_id}
        if locked.status == Introduction.Status.AWAITING_CONNECTOR
        else {
            m
            for m, done in (
                (locked.requester_id, locked.requester_accepted_at),
                (locked.target_id, locked.target_accepted_at),
            )
            if done is None
        }
    )
    if member.pk not in waiting_for:
        raise PermissionDenied(_("This introduction is not waiting for your answer."), code="not_yours")
    _close(locked, Introduction.Status.DECLINED, now=now, by=member)
    return locked


@transaction.atomic
def intro_withdraw(*, intro: Introduction, member: Membership, at: datetime | None = None) -> Introduction:
    now = at or timezone.now()
    locked = _locked_intro(intro.pk, member, now)
    if member.pk != locked.requester_id or locked.proposed:
        raise PermissionDenied(_("Only the member who asked can withdraw."), code="not_requester")
    _close(locked, Introduction.Status.WITHDRAWN, now=now, by=member)
    return locked


def intro_expire_due(*, now: datetime | None = None) -> int:
    """Close every open introduction past its time (a periodic job; pages also show them as closed)."""
    now = now or timezone.now()
    count = 0
    for pk in Introduction.objects.filter(status__in=Introduction.OPEN, expires_at__lte=now).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            intro = Introduction.objects.select_for_update().get(pk=pk)
            if intro.is_open and intro.expires_at <= now:
                _close(intro, Introduction.Status.EXPIRED, now=now, by=None)
                count += 1
    return count


# --- the match cache --------------------------------------------------------------------------------------


def _next_version() -> int:
    # A wall-clock version: bumping never needs to read the row first (no lock, no race on +1).
    return int(time.time() * 1000) % 2_000_000_000


def matches_invalidate(*, circle: Circle | int) -> None:
    """Mark the circle's matches stale and queue their recompute: call it when something the matching reads
    changes outside cards and ties (meetups, deals …). Cheap: the recompute runs on the background worker."""
    circle_id = circle if isinstance(circle, int) else circle.pk
    MatchState.objects.update_or_create(circle_id=circle_id, defaults={"version": _next_version()})
    matches_refresh_soon(circle=circle_id)


def matches_refresh_soon(*, circle: Circle | int, delay: int = MATCH_REFRESH_DEBOUNCE_SECONDS) -> bool:
    """Queue one recompute of the circle's matches on the background worker, `delay` seconds after the
    commit, unless one is queued already: a burst of changes gets one recompute, which sees them all.
    Returns whether this call queued it. A recompute queued long ago and never run is queued again."""
    circle_id = circle if isinstance(circle, int) else circle.pk
    now = timezone.now()
    with transaction.atomic():
        MatchState.objects.get_or_create(circle_id=circle_id)
        claimed = (
            MatchState.objects.filter(circle_id=circle_id)
            .filter(
                Q(refresh_queued_at__isnull=True)
                | Q(refresh_queued_at__lt=now - timedelta(minutes=MATCH_REFRESH_LOST_MINUTES))
            )
            .update(refresh_queued_at=now)
        )
    if claimed:
        from .tasks import matches_refresh  # the task module imports this one

        def queue() -> None:
            if delay:
                matches_refresh.schedule(args=(circle_id,), delay=delay)
            else:
                matches_refresh(circle_id)

        transaction.on_commit(queue, robust=True)
    return bool(claimed)


def matches_refresh_run(*, circle_id: int) -> bool:
    """The queued recompute (kindred.matching.tasks.matches_refresh): changes from now on queue the next
    one; recompute if what the matches read changed. Returns whether they were recomputed."""
    MatchState.objects.filter(circle_id=circle_id).update(refresh_queued_at=None)
    circle = Circle.objects.filter(pk=circle_id).first()
    if circle is None:
        return False
    return matches_fresh(circle=circle)[1]


def matches_recompute(*, circle: Circle, fingerprint: str) -> MatchState:
    """Recompute and store every member's matches and the organizer's pairs for one circle. The ranking
    runs outside any lock (seconds on a large circle); only storing it locks the circle's state row, so a
    change queueing the next recompute meanwhile never waits for this one."""
    from .engine.trust import edges_version
    from .selectors import circle_ranker  # selectors read; this writes what they computed

    started = time.perf_counter()
    ranker = circle_ranker(circle=circle)
    version = edges_version(ranker.tie_edges)
    variant, exact = trust_variant_for(circle_id=circle.pk, version=version)
    ranker.trust_variant = variant  # chosen in the background: a recompute never tunes it
    result = ranker.run()
    seconds = time.perf_counter() - started
    with transaction.atomic():
        state, _created = MatchState.objects.select_for_update().get_or_create(circle=circle)
        if state.fingerprint == fingerprint and state.computed_at is not None:
            return state  # another worker stored the same while this one computed
        MatchEntry.objects.filter(circle=circle).delete()
        rows: list[tuple[str, int, Any]] = [
            (MatchEntry.Kind.MEMBER, rank, m)
            for matches in result.matches.values()
            for rank, m in enumerate(matches, start=1)
        ]
        rows += [(MatchEntry.Kind.PAIR, rank, m) for rank, m in enumerate(result.pairs, start=1)]
        _entries_insert(circle.pk, rows)
        state.fingerprint = fingerprint
        state.computed_at = timezone.now()
        state.seconds = seconds
        state.save(update_fields=["fingerprint", "computed_at", "seconds"])
        _variant_remember({_variant_key("used", circle.pk): variant})
        if not exact:  # no choice for these ties yet: made in the background
            from kindred.core.tasks import enqueue_on_commit

            from .tasks import trust_variant_choose

            enqueue_on_commit(trust_variant_choose, circle.pk)
    return state


# The trust score's variant (kindred.matching.engine.trust.LinkPredictor) is chosen on a circle's own ties,
# which takes a few passes over its graph (seconds at thousands of members): once per version of the ties,
# on the background worker, never in a recompute. The choice is kept in the cache under the version of the
# ties it was made on (a digest of every edge and weight, so it is never taken for another graph), with the
# circle's latest choice beside it for the recompute that runs before the next choice is made.
TRUST_VARIANT_TIMEOUT = 30 * 24 * 60 * 60

log = logging.getLogger(__name__)


def _variant_key(name: str, *parts: int | str) -> str:
    from kindred.core.fragments import fragment_key

    return fragment_key(f"matching.trust-variant.{name}", parts, language=None)


def _variant_remember(values: dict[str, tuple[str, str]]) -> None:
    from django.core.cache import cache

    try:
        cache.set_many(values, TRUST_VARIANT_TIMEOUT)
    except Exception:  # a cache that is down: the next recompute asks for the choice again
        log.exception("trust variant: cache write failed")


def trust_variant_for(*, circle_id: int, version: str) -> tuple[tuple[str, str], bool]:
    """The trust variant a recompute of the circle uses for this version of its ties, and whether it was
    chosen on exactly this version (if not: the circle's latest choice, else the default, until the
    background choice is made). Never tunes."""
    from django.core.cache import cache

    from .engine.trust import BASES, DEFAULT_VARIANT, TIEBREAKS

    exact, latest = _variant_key("of", circle_id, version), _variant_key("latest", circle_id)
    try:
        found = cache.get_many([exact, latest])
    except Exception:
        log.exception("trust variant: cache read failed")
        found = {}
    for key in (exact, latest):
        value = found.get(key)
        if value is not None and len(value) == 2 and value[0] in BASES and value[1] in TIEBREAKS:
            return (str(value[0]), str(value[1])), key == exact
    return DEFAULT_VARIANT, False


def trust_variant_choose(*, circle_id: int) -> tuple[str, str]:
    """Choose the trust variant on the circle's current ties (kindred.matching.tasks.trust_variant_choose,
    queued by a recompute that found no choice for its version of the ties) and keep it. When the circle's
    matches were computed with another variant, their recompute is queued. Returns the choice."""
    from django.core.cache import cache

    from .engine.trust import LinkPredictor, edges_version, keyed_graph
    from .selectors import trust_edges

    edges = trust_edges(circle_id=circle_id)
    version = edges_version(edges)
    variant, exact = trust_variant_for(circle_id=circle_id, version=version)
    if not exact:
        started = time.perf_counter()
        variant = LinkPredictor.choose_variant(keyed_graph(edges)[0])
        log.info(
            "trust variant of circle %s: %s (%d edges, %.1f s)",
            circle_id,
            variant,
            len(edges),
            time.perf_counter() - started,
        )
        _variant_remember(
            {_variant_key("of", circle_id, version): variant, _variant_key("latest", circle_id): variant}
        )
    try:
        used = cache.get(_variant_key("used", circle_id))
    except Exception:
        used = None
    if used is not None and tuple(used) != variant and Circle.objects.filter(pk=circle_id).exists():
        matches_invalidate(circle=circle_id)
    return variant


def matches_fresh(*, circle: Circle) -> tuple[MatchState, bool]:
    """Recompute the circle's matches if what they depend on changed since the last time (on the background
    worker, and in commands such as the demo; never in a request): the state, and whether it recomputed."""
    from .selectors import match_fingerprint

    fingerprint = match_fingerprint(circle=circle)
    state = MatchState.objects.filter(circle=circle).first()
    if state is not None and state.fingerprint == fingerprint and state.computed_at is not None:
        return state, False
    return matches_recompute(circle=circle, fingerprint=fingerprint), True


def matches_current(*, circle: Circle) -> tuple[MatchState | None, bool]:
    """For a page or the API: the circle's last computed matches state (None when there are none yet), and
    whether a recompute is under way. Never recomputes: when what the matches read changed, it queues the
    recompute (at once when there are no matches yet, else after the debounce) and answers with the last
    ones. Five small queries."""
    from .selectors import match_fingerprint

    fingerprint = match_fingerprint(circle=circle)
    state = MatchState.objects.filter(circle=circle).first()
    if state is not None and state.computed_at is not None and state.fingerprint == fingerprint:
        return state, False
    empty = state is None or state.computed_at is None
    matches_refresh_soon(circle=circle, delay=0 if empty else MATCH_REFRESH_DEBOUNCE_SECONDS)
    return (None if empty else state), True


def _entries_insert(circle_id: int, rows: list[tuple[str, int, Any]]) -> None:
    """Insert the computed entries, (kind, rank, engine Match) each, with one executemany: a large circle
    stores tens of thousands, and bulk_create spent most of its time compiling every value (seconds at
    5 000 members). Each value is prepared by its field, as bulk_create would."""
    from django.db import connection

    meta = MatchEntry._meta
    names = ("circle", "kind", "member", "other", "rank", "score", "relevance", "trust", "explanation")
    fields = [meta.get_field(name) for name in names]
    columns = [str(getattr(f, "column", "")) for f in fields]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 (identifiers from the model, quoted)
        quote(meta.db_table), ", ".join(quote(c) for c in columns), ", ".join(["%s"] * len(fields))
    )
    explanation = fields[-1]
    params = [
        (
            circle_id,
            kind,
            m.member,
            m.other,
            rank,
            m.score,
            m.relevance,
            m.trust,
            explanation.get_db_prep_save(_explanation(m), connection),  # type: ignore[union-attr]
        )
        for kind, rank, m in rows
    ]
    if params:
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)


def _explanation(m: Any) -> dict[str, Any]:
    return {
        "they_offer": [[t.need, t.offer] for t in m.they_offer],
        "you_offer": [[t.need, t.offer] for t in m.you_offer],
        "path": list(m.path),
        "city": m.shared_city,
        "industries": list(m.shared_industries),
        "seeks_clients": m.seeks_clients,
        "you_seek_clients": m.you_seek_clients,
    }


# --- contacts ---------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: int
    duplicates: int
    source: str


class ImportRefused(ServiceError):
    """The file had bad rows: nothing was imported. `errors` lists them."""

    def __init__(self, message: Any, errors: list[contacts_parse.RowError]) -> None:
        super().__init__(message, code="bad_rows")
        self.errors = errors


ROW_ERROR_TEXT: dict[str, Any] = {
    "empty": _("no name, email or phone"),
    "bad_email": _("not an email address"),
    "bad_phone": _("not a phone number"),
    "bad_vcard": _("not a readable vCard"),
    "bad_row": _("more fields than the header has"),
    "bad_csv": _("broken CSV"),
    "no_header": _("no name or email column: not a contacts export"),
    "empty_file": _("no contacts in the file"),
    "encoding": _("the file is neither UTF-8 nor GB18030 text"),
}


def row_error_text(error: contacts_parse.RowError) -> str:
    return str(ROW_ERROR_TEXT.get(error.code, error.message))


@transaction.atomic
def contacts_import(*, owner: User, filename: str, data: bytes, at: datetime | None = None) -> ImportResult:
    """Import an address book (vCard 3.0/4.0 or CSV) into `owner`'s private contacts. All or nothing:
    any bad row refuses the whole file with one error per row. Contacts already there are skipped."""
    if not data:
        raise ServiceError(_("The file is empty."), code="empty_file")
    if len(data) > CONTACTS_FILE_MAX_BYTES:
        raise ServiceError(
            _("The file is too large (at most %(n)d MB).") % {"n": CONTACTS_FILE_MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )
    parsed = contacts_parse.parse(filename, data)
    if not parsed.rows and not parsed.errors:
        parsed.errors.append(contacts_parse.RowError(0, "no contacts", "empty_file"))
    if parsed.errors:
        raise ImportRefused(
            _("Nothing was imported: %(n)d rows could not be read.") % {"n": len(parsed.errors)},
            parsed.errors,
        )
    if len(parsed.rows) > CONTACTS_PER_IMPORT_MAX:
        raise ServiceError(
            _("At most %(n)d contacts per file.") % {"n": CONTACTS_PER_IMPORT_MAX}, code="too_many"
        )
    now = at or timezone.now()
    User.objects.select_for_update().filter(pk=owner.pk).first()  # one import per owner at a time
    existing = set(Contact.objects.filter(owner=owner).values_list("name", "email", "phone"))
    fresh: list[Contact] = []
    for row in parsed.rows:
        key = (row.name, row.email, row.phone)
        if key in existing:
            continue
        existing.add(key)
        fresh.append(
            Contact(
                owner=owner,
                name=row.name,
                email=row.email,
                phone=row.phone,
                company=row.company,
                title=row.title,
                city=row.city,
                note=row.note,
                source=parsed.source,
                created_at=now,
            )
        )
    try:
        Contact.objects.bulk_create(fresh)
    except IntegrityError as exc:
        raise Conflict(_("Another import is running; try again."), code="busy") from exc
    audit_record(
        at=at,
        action=Action.CONTACTS_IMPORTED,
        actor=owner,
        data={"created": len(fresh), "source": parsed.source},
    )
    return ImportResult(created=len(fresh), duplicates=len(parsed.rows) - len(fresh), source=parsed.source)


@transaction.atomic
def contact_nominate(
    *, nominator: Membership, contact: Contact, member: Membership, reason: str, at: datetime | None = None
) -> Nomination:
    """One click: the owner's contact becomes a nomination in the circle, with the overlap as the reason."""
    if contact.owner_id != nominator.user_id:
        raise NotFound(_("Contact not found."))
    nomination = nomination_create(
        circle=nominator.circle,
        nominator=nominator,
        name=contact.name[:64],
        email=contact.email,
        phone=contact.phone,
        relationship=NominationRelationship.FRIEND,
        years_known=0,
        closeness=3,
        reason=reason,
        draft_card={"company": contact.company, "title": contact.title, "city": contact.city},
        at=at,
    )
    Contact.objects.filter(pk=contact.pk).update(nominated_in=nominator.circle)
    return nomination


def contacts_delete(*, owner: User) -> int:
    """Delete every contact `owner` imported (their account is being deleted); how many went. Called by
    the account deletion inside its transaction, which writes the audit row."""
    deleted, _by_model = Contact.objects.filter(owner=owner).delete()
    return deleted
