"""Reads of the deal log. What a viewer sees of a deal is decided here: a deal still waiting for its
parties is seen by its parties only; the amount by the parties only, unless they made it public."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kindred.circles.models import Circle, MemberCard, Membership
from kindred.core.money import fen_to_yuan
from kindred.core.services import NotFound
from kindred.core.sqlrows import (
    Converters,
    column_converters,
    fetch_converted,
    instance_from_row,
    per_backend,
    select_columns,
)
from kindred.meetups.selectors import active_membership

from .models import FEED_LIMIT, Deal, DealParty

# The origins that are the circle's own doing (the share the organizer watches).
CIRCLE_ORIGINS = (Deal.Origin.INTRODUCTION, Deal.Origin.MEETUP)


@dataclass(frozen=True)
class DealView:
    deal: Deal
    parties: list[DealParty]
    is_party: bool

    @property
    def amount_fen(self) -> int | None:
        """The amount, only for the parties or when they made it public."""
        if self.is_party or self.deal.amount_public:
            return self.deal.amount_fen
        return None

    @property
    def amount_yuan(self) -> str:
        fen = self.amount_fen
        return "" if fen is None else fen_to_yuan(fen)

    @property
    def my_party(self) -> DealParty | None:
        return next((p for p in self.parties if p.is_viewer), None)  # type: ignore[attr-defined]

    @property
    def waiting_for(self) -> list[DealParty]:
        return [p for p in self.parties if p.confirmed_at is None]


def _visible(member: Membership) -> QuerySet[Deal]:
    mine = DealParty.objects.filter(deal_id=OuterRef("pk"), member_id=member.pk)
    return (
        Deal.objects.filter(circle_id=member.circle_id)
        .filter(Q(confirmed_at__isnull=False) | Exists(mine))
        .annotate(is_party=Exists(mine))
        .select_related("origin_meetup")
        .prefetch_related(Prefetch("parties", queryset=DealParty.objects.select_related("member__card")))
    )


def _views(deals: list[Deal], member: Membership) -> list[DealView]:
    out = []
    for d in deals:
        parties = list(d.parties.all())
        for p in parties:
            p.is_viewer = p.member_id == member.pk  # type: ignore[attr-defined]
        out.append(DealView(deal=d, parties=parties, is_party=bool(d.is_party)))  # type: ignore[attr-defined]
    return out


@dataclass
class DealFeed:
    counted: list[DealView]
    waiting: list[DealView]  # my deals not yet confirmed by every party


def deal_feed(*, member: Membership) -> DealFeed:
    """The circle's counted deals (latest first) and the viewer's own deals still waiting. Two queries."""
    deals = list(_visible(member).order_by("-created_at", "-id")[: FEED_LIMIT * 2])
    views = _views(deals, member)
    return DealFeed(
        counted=[v for v in views if v.deal.counts][:FEED_LIMIT],
        waiting=[v for v in views if not v.deal.counts],
    )


@dataclass(frozen=True)
class PageParty:
    member_id: int
    name: str
    confirmed: bool


@dataclass(frozen=True)
class PageDeal:
    """A deal as the deal pages show it: the deal row (with `meetup_title`, its origin meetup's title), its
    parties' names and confirmations, and whether the viewer is one of them."""

    deal: Deal
    parties: list[PageParty]
    is_party: bool
    viewer_id: int

    @property
    def amount_yuan(self) -> str:
        """The amount, only for the parties or when they made it public."""
        shown = self.is_party or self.deal.amount_public
        return fen_to_yuan(self.deal.amount_fen) if shown and self.deal.amount_fen is not None else ""

    @property
    def my_party(self) -> PageParty | None:
        return next((p for p in self.parties if p.member_id == self.viewer_id), None)


# The deal pages' reads in one hand-written query (deals, their origin meetup's title, their parties' names):
# the ORM's visibility subquery and prefetches cost more SQL compilation than the rest of the page. Same
# rule as _visible (kept for the API); tests hold them equal.
_PAGE_SQL = """
SELECT {columns}
FROM (SELECT * FROM {deal} x WHERE x.circle_id = %s AND (x.confirmed_at IS NOT NULL
        OR EXISTS (SELECT 1 FROM {party} y WHERE y.deal_id = x.id AND y.member_id = %s)) {where}
    ORDER BY x.created_at DESC, x.id DESC LIMIT %s) d
LEFT JOIN {meetup} mt ON mt.id = d.origin_meetup_id
LEFT JOIN {party} p ON p.deal_id = d.id LEFT JOIN {card} c ON c.membership_id = p.member_id
ORDER BY d.created_at DESC, d.id DESC, p.id"""
_TABLES = {
    "deal": Deal._meta.db_table,
    "party": DealParty._meta.db_table,
    "meetup": Deal._meta.get_field("origin_meetup").related_model._meta.db_table,  # type: ignore[union-attr]
    "card": MemberCard._meta.db_table,
}


@per_backend
def _one_query() -> tuple[str, list[str], Converters]:
    """deal_page_one's statement: the deal's columns in the model's order (converted as the ORM does, into
    an instance), its origin meetup's title, then each party's id, name and whether they confirmed."""
    qn = connection.ops.quote_name
    fields: list[Any] = list(Deal._meta.concrete_fields)
    columns = ", ".join(f"d.{qn(f.column)}" for f in fields)
    sql = _PAGE_SQL.format(
        **_TABLES,
        columns=f"{columns}, mt.title, p.member_id, c.display_name,"
        " CASE WHEN p.confirmed_at IS NULL THEN 0 ELSE 1 END",
        where="AND x.id = %s",
    )
    return sql, [f.attname for f in fields], column_converters(fields, "d")


# The feed reads only what its cards show, as plain values that need no conversion on any backend (the
# boolean as 0/1 or a bool): no model instances, no converters.
_FEED_SQL = _PAGE_SQL.format(
    **_TABLES,
    columns="d.id, d.title, d.kind, d.stage, d.origin, d.outside_party, mt.title, d.origin_note,"
    " d.amount_fen, d.amount_public, CASE WHEN d.confirmed_at IS NULL THEN 0 ELSE 1 END,"
    " p.member_id, c.display_name",
    where="",
)


@dataclass(frozen=True)
class FeedDeal:
    """A deal as the feed's card shows it to its viewer, in plain values: the amount only where the viewer
    may see it (a party, or the parties made it public), the parties' ids and names."""

    id: int
    title: str
    kind: str
    stage: str
    origin: str
    outside_party: str
    meetup_title: str | None
    origin_note: str
    amount_yuan: str
    counts: bool
    parties: tuple[tuple[int, str], ...]
    is_party: bool

    @property
    def shown(self) -> tuple[object, ...]:
        """Every value its card shows (whether the viewer is a party changes nothing but the amount)."""
        return tuple(vars(self).values())[:-1]

    @property
    def kind_label(self) -> str:
        return str(Deal.Kind(self.kind).label)

    @property
    def stage_label(self) -> str:
        return str(Deal.Stage(self.stage).label)

    @property
    def origin_label(self) -> str:
        return str(Deal.Origin(self.origin).label)


def deal_page_feed(*, member: Membership) -> tuple[list[FeedDeal], list[FeedDeal]]:
    """The feed page's deals as deal_feed reads them: (counted latest first, at most FEED_LIMIT; the
    viewer's own still waiting). ONE query, plain values."""
    with connection.cursor() as cursor:
        cursor.execute(_FEED_SQL, [member.circle_id, member.pk, FEED_LIMIT * 2])
        rows = cursor.fetchall()
    heads: dict[int, Any] = {}
    parties: dict[int, list[tuple[int, str]]] = {}
    for row in rows:
        heads.setdefault(row[0], row)
        people = parties.setdefault(row[0], [])
        if row[11] is not None:
            people.append((row[11], row[12] or ""))
    views = []
    for pk, head in heads.items():
        _id, title, kind, stage, origin, outside, meetup_title, note, amount, public, counts = head[:11]
        people = parties[pk]
        is_party = any(member_id == member.pk for member_id, _name in people)
        shown = amount is not None and (is_party or bool(public))
        views.append(
            FeedDeal(
                id=pk,
                title=title,
                kind=kind,
                stage=stage,
                origin=origin,
                outside_party=outside,
                meetup_title=meetup_title,
                origin_note=note,
                amount_yuan=fen_to_yuan(amount) if shown else "",
                counts=bool(counts),
                parties=tuple(people),
                is_party=is_party,
            )
        )
    return [v for v in views if v.counts][:FEED_LIMIT], [v for v in views if not v.counts]


def deal_page_one(*, member: Membership, deal_id: int) -> PageDeal:
    """One deal the member may see, for its page; NotFound otherwise. ONE query."""
    sql, attnames, converters = _one_query()
    with connection.cursor() as cursor:
        cursor.execute(sql, [member.circle_id, member.pk, deal_id, 1])
        rows = cursor.fetchall()
    if not rows:
        raise NotFound(_("Deal not found."))
    deal: Deal = instance_from_row(Deal, rows[0], 0, attnames, converters)
    n = len(attnames)
    deal.meetup_title = rows[0][n]  # type: ignore[attr-defined]
    parties = [
        PageParty(row[n + 1], row[n + 2] or "", bool(row[n + 3])) for row in rows if row[n + 1] is not None
    ]
    is_party = any(p.member_id == member.pk for p in parties)
    return PageDeal(deal=deal, parties=parties, is_party=is_party, viewer_id=member.pk)


# deals_to_confirm_count's query, hand-written (the ORM compiled its join on every page).
_TO_CONFIRM_SQL = (
    "SELECT COUNT(*) FROM deals_dealparty p INNER JOIN deals_deal d ON d.id = p.deal_id"
    " WHERE p.member_id = %s AND p.confirmed_at IS NULL AND d.circle_id = %s AND d.confirmed_at IS NULL"
)


def deals_to_confirm_count(*, member: Membership) -> int:
    """How many deals of the circle still waiting for their parties wait for this member's confirmation
    (the conversation's to-do panel). One query."""
    with connection.cursor() as cursor:
        cursor.execute(_TO_CONFIRM_SQL, [member.pk, member.circle_id])
        return int(cursor.fetchone()[0])


def deal_for_member(*, member: Membership, deal_id: int) -> DealView:
    deal = _visible(member).filter(pk=deal_id).first()
    if deal is None:
        raise NotFound(_("Deal not found."))
    return _views([deal], member)[0]


def deal_for_user(*, user: object, deal_id: int) -> tuple[DealView, Membership]:
    """For URLs without the circle (/api/v1/deals/{id}): NotFound unless the user may see the deal."""
    circle_id = Deal.objects.filter(pk=deal_id).values_list("circle_id", flat=True).first()
    member = active_membership(user=user, circle_id=circle_id)
    if member is None:
        raise NotFound(_("Deal not found."))
    return deal_for_member(member=member, deal_id=deal_id), member


@dataclass
class DealStats:
    total: int
    from_circle: int
    by_month: list[tuple[str, int]]
    by_origin: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def circle_share(self) -> float:
        return self.from_circle / self.total if self.total else 0.0

    @property
    def circle_share_percent(self) -> int:
        return round(self.circle_share * 100)


@per_backend
def _stats_query() -> tuple[str, Converters]:
    """deal_stats's statement, built once from the model (the organizer's deals page runs it every time)."""
    columns, converters = select_columns([(Deal, "d", name) for name in ("confirmed_at", "origin", "kind")])
    table = connection.ops.quote_name(Deal._meta.db_table)
    sql = f"SELECT {columns} FROM {table} d WHERE d.circle_id = %s AND d.confirmed_at IS NOT NULL"  # noqa: S608
    return sql, converters


def deal_stats(*, circle: Circle) -> DealStats:
    """Counted deals per month (by the day the last party confirmed, Beijing time), and the share that came
    from the circle's own introductions and meetups. One query."""
    sql, converters = _stats_query()
    rows = fetch_converted(sql, [circle.pk], converters)
    months: Counter[str] = Counter()
    origins: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for confirmed_at, origin, kind in rows:
        months[timezone.localtime(confirmed_at).strftime("%Y-%m")] += 1
        origins[origin] += 1
        kinds[kind] += 1
    return DealStats(
        total=len(rows),
        from_circle=sum(origins[o] for o in CIRCLE_ORIGINS),
        by_month=sorted(months.items()),
        by_origin=dict(origins),
        by_kind=dict(kinds),
    )


def counted_deal_parties(*, circle_id: int) -> list[tuple]:
    """One row per member party of each counted deal, for the health page: (deal_id, confirmed_at, origin,
    member_id). One query."""
    return list(
        DealParty.objects.filter(deal__circle_id=circle_id, deal__confirmed_at__isnull=False)
        .order_by("deal_id", "id")
        .values_list("deal_id", "deal__confirmed_at", "deal__origin", "member_id")
    )


def deal_export_rows(*, viewer: Membership) -> list[DealView]:
    """The deals `viewer` (the organizer or an admin) may see, oldest first, for the organizer's export:
    the counted ones and their own, each amount only where the viewer may see it (DealView.amount_fen).
    Two queries."""
    return _views(list(_visible(viewer).order_by("created_at", "id")), viewer)


def deals_of_member(*, member_ids: list[int]) -> list[dict]:
    """The deals these memberships are party to, with every party's id and the amount (a party sees it):
    for the member's own export. Two queries."""
    deals = (
        Deal.objects.filter(parties__member_id__in=member_ids)
        .distinct()
        .order_by("id")
        .prefetch_related("parties")
    )
    return [
        {
            "id": d.pk,
            "circle_id": d.circle_id,
            "kind": d.kind,
            "title": d.title,
            "description": d.description,
            "outside_party": d.outside_party,
            "amount_fen": d.amount_fen,
            "amount_public": d.amount_public,
            "stage": d.stage,
            "origin": d.origin,
            "created_at": d.created_at,
            "confirmed_at": d.confirmed_at,
            "parties": [{"member_id": p.member_id, "confirmed_at": p.confirmed_at} for p in d.parties.all()],
        }
        for d in deals
    ]
