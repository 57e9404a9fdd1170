"""Reads of the tie graph. Every function here runs a constant number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    Max,
    OuterRef,
    Q,
    Value,
    When,
)
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kindred.circles.models import MemberCard, Membership
from kindred.circles.selectors import circle_roster, members_version
from kindred.core.fragments import cached_value
from kindred.core.services import NotFound

from .models import (
    SUGGEST_LIMIT_DEFAULT,
    SUGGEST_LIMIT_MAX,
    SUGGEST_WEIGHT_CITY_AND_INDUSTRY,
    SUGGEST_WEIGHT_SAME_COMPANY,
    SUGGEST_WEIGHT_SPONSOR_TIE,
    Tie,
)

# Why a member is suggested: code → label shown to the member.
REASON_SPONSOR_TIE = "sponsor_tie"
REASON_SAME_COMPANY = "same_company"
REASON_CITY_AND_INDUSTRY = "city_and_industry"
REASON_LABELS: dict[str, Promise] = {
    REASON_SPONSOR_TIE: _("A friend of your sponsor"),
    REASON_SAME_COMPANY: _("Same company"),
    REASON_CITY_AND_INDUSTRY: _("Same city, same trade"),
}

MUTUAL = "mutual"
INCOMING = "incoming"
OUTGOING = "outgoing"


def _confirmed_rows(circle_id: int, member_ids: Iterable[int] | None, columns: str) -> list[tuple[Any, ...]]:
    """`columns` of the circle's confirmed ties (those touching `member_ids` when given), in one query.

    Plain SQL: these reads run on most circle pages (the tie marks, the introduction box, the trust graph),
    and the ORM takes ~5× longer to build the query than the database to answer it. Table and column names
    come from the model; every value is a parameter."""
    table = connection.ops.quote_name(Tie._meta.db_table)
    sql = f"SELECT {columns} FROM {table} WHERE circle_id = %s AND status = %s"  # noqa: S608
    params: list[Any] = [circle_id, Tie.Status.CONFIRMED.value]
    if member_ids is not None:
        ids = sorted(set(member_ids))
        if not ids:
            return []
        marks = ", ".join(["%s"] * len(ids))
        sql += f" AND (member_low_id IN ({marks}) OR member_high_id IN ({marks}))"
        params += ids + ids
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def tie_neighbors(*, circle_id: int, member_ids: Iterable[int] | None) -> dict[int, set[int]]:
    """Confirmed tie partners of each given membership id (of every member of the circle for None), in one
    query: {member_id: {partner ids}}."""
    out: dict[int, set[int]] = defaultdict(set)
    ids = None if member_ids is None else set(member_ids)
    for low, high in _confirmed_rows(circle_id, ids, "member_low_id, member_high_id"):
        if ids is None or low in ids:
            out[low].add(high)
        if ids is None or high in ids:
            out[high].add(low)
    return out


# For the trust graph (kindred.matching) and the meetups' trip matches: the tie rows as they read them.
TieEdgeRow = tuple[int, int, str, bool, bool]  # member_low_id, member_high_id, kind, met offline, deal


def tie_edge_rows(*, circle_id: int, member_ids: Iterable[int] | None = None) -> list[TieEdgeRow]:
    """The circle's confirmed ties (those touching `member_ids` when given): (low, high, kind, met offline,
    closed a deal). One query."""
    columns = "member_low_id, member_high_id, kind, met_offline_at IS NOT NULL, deal_at IS NOT NULL"
    return [
        (low, high, kind, bool(met), bool(deal))
        for low, high, kind, met, deal in _confirmed_rows(circle_id, member_ids, columns)
    ]


def tie_pairs(*, circle_id: int) -> list[tuple[int, int]]:
    """Every pair with a tie row of any status (a pending or quietly ignored request too). One query."""
    return list(Tie.objects.filter(circle_id=circle_id).values_list("member_low_id", "member_high_id"))


def tie_state_version(*, circle_id: int) -> tuple[Any, ...]:
    """What changes whenever the circle's ties change in a way the trust graph sees: (count, newest
    confirmation, newest meeting offline, newest deal). One aggregate query."""
    agg = Tie.objects.filter(circle_id=circle_id).aggregate(
        n=Count("id"), confirmed=Max("confirmed_at"), met=Max("met_offline_at"), deal=Max("deal_at")
    )
    return (agg["n"], agg["confirmed"], agg["met"], agg["deal"])


def tie_states_of(*, membership: Membership) -> dict[int, tuple[str, int]]:
    """{partner id: (tie status, declared_by id)} for every tie row of `membership`. One query."""
    return {
        (low if high == membership.pk else high): (status, declared_by)
        for low, high, status, declared_by in Tie.objects.filter(
            Q(member_low_id=membership.pk) | Q(member_high_id=membership.pk)
        ).values_list("member_low_id", "member_high_id", "status", "declared_by_id")
    }


def met_offline_partners(*, membership: Membership, member_ids: Iterable[int]) -> set[int]:
    """Which of `member_ids` met `membership` offline at a circle meetup (a tie of any status). One query."""
    ids = set(member_ids)
    return {
        high if low == membership.pk else low
        for low, high in Tie.objects.filter(
            Q(member_low_id=membership.pk, member_high_id__in=ids)
            | Q(member_high_id=membership.pk, member_low_id__in=ids),
            met_offline_at__isnull=False,
        ).values_list("member_low_id", "member_high_id")
    }


@dataclass(frozen=True)
class TieView:
    """A tie as one of its parties sees it: the partner (with their card) and which way it points."""

    tie: Tie
    partner: Membership
    direction: str  # MUTUAL (confirmed), INCOMING (they asked me), OUTGOING (I asked them)

    @property
    def status(self) -> str:
        """The status this party may see: an ignored request stays "pending" for its declarer."""
        if self.direction == OUTGOING and self.tie.status == Tie.Status.IGNORED:
            return Tie.Status.PENDING
        return self.tie.status

    @property
    def status_label(self) -> str:
        return str(Tie.Status(self.status).label)


@dataclass
class TieOverview:
    confirmed: list[TieView] = field(default_factory=list)
    incoming: list[TieView] = field(default_factory=list)
    outgoing: list[TieView] = field(default_factory=list)


def _party(membership_id: int) -> Q:
    return Q(member_low_id=membership_id) | Q(member_high_id=membership_id)


def _with_cards(qs: Any) -> Any:
    return qs.select_related("member_low__card", "member_high__card")


def _view(tie: Tie, membership_id: int) -> TieView:
    partner = tie.member_high if tie.member_low_id == membership_id else tie.member_low
    return _view_of(tie, membership_id, partner)


def _view_of(tie: Tie, membership_id: int, partner: Membership) -> TieView:
    if tie.status == Tie.Status.CONFIRMED:
        direction = MUTUAL
    elif tie.declared_by_id == membership_id:
        direction = OUTGOING
    else:
        direction = INCOMING
    return TieView(tie=tie, partner=partner, direction=direction)


def tie_overview(*, membership: Membership) -> TieOverview:
    """The member's confirmed ties, the requests waiting for their answer and their own requests still
    open (ignored ones included: ignoring is quiet). Partners who left the circle are left out. One query."""
    out = TieOverview()
    ties = _with_cards(Tie.objects.filter(_party(membership.pk), circle_id=membership.circle_id))
    for tie in ties:
        view = _view(tie, membership.pk)
        if not view.partner.is_active:
            continue
        if view.direction == MUTUAL:
            out.confirmed.append(view)
        elif view.direction == OUTGOING:
            out.outgoing.append(view)
        elif tie.status == Tie.Status.PENDING:
            out.incoming.append(view)
    out.confirmed.sort(key=lambda v: (v.tie.confirmed_at, v.tie.pk), reverse=True)
    return out


def tie_get_for_member(*, membership: Membership, tie_id: int) -> TieView:
    """One tie of `membership` (with the partner's card) as they see it; NotFound for anyone else's tie."""
    tie = (
        _with_cards(Tie.objects.filter(_party(membership.pk), circle_id=membership.circle_id))
        .filter(pk=tie_id)
        .first()
    )
    if tie is None:
        raise NotFound(_("Tie not found."))
    return _view(tie, membership.pk)


# Every field of a tie row (the cached rows of a member, the member's own export).
_TIE_FIELDS = (
    "id",
    "circle_id",
    "member_low_id",
    "member_high_id",
    "declared_by_id",
    "kind",
    "since_year",
    "status",
    "created_at",
    "confirmed_at",
    "met_offline_at",
    "deal_at",
)


def tie_rows_of(*, membership: Membership) -> dict[int, tuple[Any, ...]]:
    """Every tie row of `membership` in its circle ({partner id: the _TIE_FIELDS}), kept in the cache under
    the circle's members_version (every tie service moves it in its transaction): one query, none once kept.
    `membership.circle` must be the one read with it (circles.access)."""

    def read() -> dict[int, tuple[Any, ...]]:
        rows = Tie.objects.filter(_party(membership.pk), circle_id=membership.circle_id).values_list(
            *_TIE_FIELDS
        )
        return {(row[3] if row[2] == membership.pk else row[2]): row for row in rows}

    return cached_value("ties.of", (membership.pk, *members_version(membership.circle)), read)


def _tie_of_row(row: tuple[Any, ...]) -> Tie:
    return Tie(**dict(zip(_TIE_FIELDS, row, strict=True)))


def tie_view_with(*, membership: Membership, other: Membership) -> TieView | None:
    """The tie between `membership` and `other`, as `membership` sees it, if there is one: tie_between from
    the cached tie_rows_of (`other` as given, not read again)."""
    row = tie_rows_of(membership=membership).get(other.pk)
    return _view_of(_tie_of_row(row), membership.pk, other) if row is not None else None


def tie_between(*, membership: Membership, other_id: int) -> TieView | None:
    """The tie between `membership` and member `other_id`, as `membership` sees it, if there is one."""
    low, high = sorted((membership.pk, other_id))
    tie = _with_cards(Tie.objects.filter(member_low_id=low, member_high_id=high)).first()
    return _view(tie, membership.pk) if tie is not None else None


@dataclass(frozen=True)
class Suggestion:
    member: Membership
    score: int
    reasons: tuple[str, ...]

    @property
    def reason_labels(self) -> list[str]:
        return [str(REASON_LABELS[code]) for code in self.reasons]


def _pair_with(membership_id: int) -> Q:
    return Q(member_low_id=membership_id, member_high_id=OuterRef("pk")) | Q(
        member_high_id=membership_id, member_low_id=OuterRef("pk")
    )


def tie_suggestions(*, membership: Membership, limit: int = SUGGEST_LIMIT_DEFAULT) -> list[Suggestion]:
    """The active members `membership` most likely knows, best first, each with its reasons.

    Signals (weights in ties.models): a confirmed tie of their sponsor; the same company; the same city
    and a shared industry. Members with any tie row towards them are left out, whatever its status:
    a request they ignored is shown to its declarer as still pending, so suggesting that member again
    would both duplicate the request and give the quiet ignore away.
    One query (two if the member's card is not loaded yet).
    """
    limit = max(1, min(limit, SUGGEST_LIMIT_MAX))
    card: MemberCard = membership.card
    company, city = card.company.strip(), card.city.strip()
    signals: dict[str, tuple[Any, int]] = {}
    if membership.sponsor_id is not None:
        sponsor_ties = Tie.objects.filter(_pair_with(membership.sponsor_id), status=Tie.Status.CONFIRMED)
        signals[REASON_SPONSOR_TIE] = (Exists(sponsor_ties), SUGGEST_WEIGHT_SPONSOR_TIE)
    if company:
        signals[REASON_SAME_COMPANY] = (Q(card__company__iexact=company), SUGGEST_WEIGHT_SAME_COMPANY)
    if city:
        links = MemberCard.industries.through.objects
        mine = links.filter(membercard_id=card.pk).values("industry_id")
        shared = Exists(links.filter(membercard_id=OuterRef("card__id"), industry_id__in=mine))
        signals[REASON_CITY_AND_INDUSTRY] = (
            Q(card__city__iexact=city) & Q(shared),
            SUGGEST_WEIGHT_CITY_AND_INDUSTRY,
        )
    if not signals:
        return []
    flags = {
        f"s_{code}": ExpressionWrapper(cond, output_field=BooleanField())
        for code, (cond, _w) in signals.items()
    }
    score = sum(
        (
            Case(When(**{f"s_{code}": True}, then=Value(w)), default=Value(0))
            for code, (_c, w) in signals.items()
        ),
        start=Value(0),
    )
    rows = (
        Membership.objects.filter(circle_id=membership.circle_id, status=Membership.Status.ACTIVE)
        .exclude(pk=membership.pk)
        .filter(~Exists(Tie.objects.filter(_pair_with(membership.pk))))
        .select_related("card")
        .annotate(**flags)
        .annotate(score=score)
        .filter(score__gt=0)
        .order_by("-score", "-joined_at", "-pk")[:limit]
    )
    return [
        Suggestion(
            member=m,
            score=m.score,
            reasons=tuple(code for code in signals if getattr(m, f"s_{code}")),
        )
        for m in rows
    ]


def tie_page(*, membership: Membership) -> tuple[TieOverview, list[Suggestion]]:
    """tie_overview and tie_suggestions for the ties page, from what is kept under the circle's
    members_version: the viewer's tie rows (tie_rows_of), the suggestions' ids, scores and reasons, and the
    partners' names, companies, titles and cities (the circle's roster). No query once kept (three before).
    `membership.circle` must be the one read with it (circles.access)."""
    roster = circle_roster(circle=membership.circle)
    out = TieOverview()
    for partner_id, row in tie_rows_of(membership=membership).items():
        if not roster.is_active(partner_id):
            continue
        view = _view_of(_tie_of_row(row), membership.pk, roster.membership(partner_id))
        if view.direction == MUTUAL:
            out.confirmed.append(view)
        elif view.direction == OUTGOING:
            out.outgoing.append(view)
        elif view.tie.status == Tie.Status.PENDING:
            out.incoming.append(view)
    # The order of tie_overview: newest first, confirmed ones by their confirmation.
    for views in (out.incoming, out.outgoing):
        views.sort(key=lambda v: (v.tie.created_at, v.tie.pk), reverse=True)
    out.confirmed.sort(key=lambda v: (v.tie.confirmed_at, v.tie.pk), reverse=True)

    def suggest() -> list[tuple[int, int, tuple[str, ...]]]:
        return [(s.member.pk, s.score, s.reasons) for s in tie_suggestions(membership=membership)]

    kept = cached_value("ties.suggestions", (membership.pk, *members_version(membership.circle)), suggest)
    suggestions = [
        Suggestion(member=roster.membership(pk), score=score, reasons=reasons)
        for pk, score, reasons in kept
        if pk in roster.members
    ]
    return out, suggestions


def tie_timeline(*, circle_id: int) -> list[tuple]:
    """The circle's confirmed ties and every tie met offline, for the health page: (member_low_id,
    member_high_id, confirmed, created_at, met_offline_at, deal_at). One query."""
    return [
        (low, high, status == Tie.Status.CONFIRMED, created, met, deal)
        for low, high, status, created, met, deal in Tie.objects.filter(circle_id=circle_id)
        .filter(Q(status=Tie.Status.CONFIRMED) | Q(met_offline_at__isnull=False))
        .order_by("id")
        .values_list("member_low_id", "member_high_id", "status", "created_at", "met_offline_at", "deal_at")
    ]


def ties_of_member(*, member_ids: list[int]) -> list:
    """Every tie these memberships are part of, for the member's own export. One query."""
    return list(
        Tie.objects.filter(Q(member_low_id__in=member_ids) | Q(member_high_id__in=member_ids))
        .order_by("id")
        .values(*_TIE_FIELDS)
    )
