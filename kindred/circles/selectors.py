"""Reads of circles, memberships and cards. Everything a viewer may see of a card is decided here."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypedDict, Unpack

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kindred.core.fragments import cached_value
from kindred.core.services import NotFound, ServiceError
from kindred.core.sqlrows import column_converters, instance_from_row

from . import text
from .models import DIRECTORY_PAGE_SIZE, CardTag, Circle, Industry, MemberCard, Membership, Visibility

CONTACT_FIELDS = ("wechat", "phone", "email")
MAX_PAGE = 100_000

# A card shows the mutual ties of viewer and member, but the tie graph belongs to the ties app, which depends on
# circles: it hands its reader in at start-up (kindred.ties.apps), so circles never imports ties (no app cycle).
TieNeighbors = Callable[..., dict[int, set[int]]]
_tie_neighbors: list[TieNeighbors] = []


def tie_neighbors_provide(reader: TieNeighbors) -> None:
    """Called once by the ties app: `reader(circle_id=..., member_ids=...)` → {member id: {tie partner ids}}
    (of every member of the circle for member_ids=None)."""
    _tie_neighbors[:] = [reader]


def _neighbors(*, circle_id: int, member_ids: Iterable[int] | None) -> dict[int, set[int]]:
    if not _tie_neighbors:
        raise RuntimeError("kindred.ties is not installed: no tie graph to read")
    return _tie_neighbors[0](circle_id=circle_id, member_ids=member_ids)


def membership_for_circle(*, user: AbstractBaseUser | AnonymousUser, slug: str) -> Membership:
    """The viewer's active membership in the circle `slug`, with the circle (its theme and the theme's
    parent) and the card, in one query.

    Everything inside a circle is for its members only: anyone else (anonymous, a non-member, a removed
    member, a pending nominee) gets the same NotFound as for a circle that does not exist.
    """
    if not getattr(user, "is_authenticated", False) or "\x00" in slug:
        raise NotFound(_("Circle not found."))
    membership = _MembershipWithCircle.read(slug=slug, user_id=user.pk)  # type: ignore[arg-type]
    if membership is None:
        raise NotFound(_("Circle not found."))
    return membership


class _MembershipWithCircle:
    """The query of membership_for_circle, which every circle page runs first: what
    `Membership.objects.select_related("circle", "circle__theme__parent", "card").filter(...)` reads, as one
    SQL statement built once from the models (and the backend's converters for each column, applied as the
    ORM does), since building it through the ORM took most of its time. A test holds it equal to the ORM's."""

    JOINS = (  # (model, alias, how it joins)
        (Membership, "m", ""),
        (Circle, "c", "INNER JOIN {table} c ON c.id = m.circle_id"),
        (Industry, "t", "LEFT OUTER JOIN {table} t ON t.id = c.theme_id"),
        (Industry, "tp", "LEFT OUTER JOIN {table} tp ON tp.id = t.parent_id"),
        (MemberCard, "k", "LEFT OUTER JOIN {table} k ON k.membership_id = m.id"),
    )
    _built: dict[str, tuple[str, list[tuple[Any, list[str], list[Any]]]]] = {}

    @classmethod
    def _build(cls) -> tuple[str, list[tuple[Any, list[str], list[Any]]]]:
        qn = connection.ops.quote_name
        columns: list[str] = []
        parts: list[tuple[Any, list[str], list[Any]]] = []
        joins: list[str] = []
        for model, alias, join in cls.JOINS:
            fields: list[Any] = list(model._meta.concrete_fields)
            columns += [f"{alias}.{qn(f.column)}" for f in fields]
            parts.append((model, [f.attname for f in fields], column_converters(fields, alias)))
            joins.append(
                join.format(table=qn(model._meta.db_table)) if join else f"{qn(model._meta.db_table)} m"
            )
        # Names come from the models; the slug, user and status are parameters.
        sql = (
            f"SELECT {', '.join(columns)} FROM {' '.join(joins)} "  # noqa: S608
            "WHERE c.slug = %s AND m.user_id = %s AND m.status = %s LIMIT 1"
        )
        return sql, parts

    @classmethod
    def read(cls, *, slug: str, user_id: int) -> Membership | None:
        built = cls._built.get(connection.vendor)
        if built is None:
            built = cls._built[connection.vendor] = cls._build()
        sql, parts = built
        with connection.cursor() as cursor:
            cursor.execute(sql, [slug, user_id, Membership.Status.ACTIVE.value])
            row = cursor.fetchone()
        if row is None:
            return None
        objects: list[Any] = []
        start = 0
        for model, attnames, converters in parts:
            if row[start] is None:  # a LEFT JOIN without a row (no theme, no parent, no card)
                objects.append(None)
            else:
                objects.append(instance_from_row(model, row, start, attnames, converters))
            start += len(attnames)
        membership, circle, theme, parent, card = objects
        relations: list[tuple[Any, str, Any, Any]] = [
            (Membership, "circle", membership, circle),
            (Circle, "theme", circle, theme),
            (Industry, "parent", theme, parent),
            (Membership, "card", membership, card),  # the reverse one-to-one, as select_related sets it
            (MemberCard, "membership", card, membership),
        ]
        for model, name, holder, value in relations:
            if holder is not None:
                model._meta.get_field(name).set_cached_value(holder, value)
        return membership


def circle_list_for_user(*, user: AbstractBaseUser) -> list[Membership]:
    return list(
        Membership.objects.select_related("circle", "circle__theme")
        .filter(user=user, status=Membership.Status.ACTIVE)  # type: ignore[misc]
        .order_by("circle__name")
    )


def membership_get(*, circle: Circle | int, member_id: int) -> Membership:
    """A membership (active or removed) of `circle` by id, with its card and user; NotFound otherwise."""
    circle_id = circle if isinstance(circle, int) else circle.pk
    membership = (
        Membership.objects.select_related("circle", "card", "user")
        .filter(circle_id=circle_id, pk=member_id)
        .first()
    )
    if membership is None:
        raise NotFound(_("Member not found."))
    return membership


def circle_member_count(*, circle: Circle) -> int:
    return Membership.objects.filter(circle=circle, status=Membership.Status.ACTIVE).count()


def circle_member_counts(*, circle_ids: list[int]) -> dict[int, int]:
    """Active members per circle, in one query."""
    rows = (
        Membership.objects.filter(circle_id__in=circle_ids, status=Membership.Status.ACTIVE)
        .values("circle_id")
        .annotate(n=Count("id"))
        .values_list("circle_id", "n")
    )
    return dict(rows)


def industry_list(*, circle: Circle | None = None) -> list[Industry]:
    """The curated taxonomy, plus the industries `circle`'s organizer added, in display order."""
    cond = Q(circle__isnull=True)
    if circle is not None:
        cond |= Q(circle=circle)
    return list(Industry.objects.filter(cond).order_by("circle_id", "position", "code"))


def circle_industries(*, circle: Circle) -> list[Industry]:
    """Only the industries the organizer added to this circle."""
    return list(Industry.objects.filter(circle=circle).order_by("position", "code"))


def circle_cities(*, circle: Circle) -> list[str]:
    """The cities active members give on their cards, for the directory filter."""
    rows = (
        MemberCard.objects.filter(membership__circle=circle, membership__status=Membership.Status.ACTIVE)
        .exclude(city="")
        .values_list("city", flat=True)
        .distinct()
        .order_by("city")
    )
    return list(rows)


# --- The roster: what the circle's pages need of every member, cached ---------------------------------


class RosterMember(NamedTuple):
    name: str  # the card's display name
    status: str
    role: str
    stamp: str  # the card's updated_at: with role and status, the version of what the card shows
    ancestors: tuple[int, ...]  # the invite path from the origin down to the sponsor
    joined: str  # the day of joining, "YYYY-MM-DD" (local time)
    company: str
    title: str
    city: str


class RosterIndustry(NamedTuple):
    id: int
    code: str
    name_zh: str
    name_en: str
    parent: str  # the parent's code, "" for a top-level industry
    grandparent: str


@dataclass(frozen=True)
class Roster:
    """Every membership of one circle with what its pages show of it, the tie graph, the cities and the
    industries of the directory's filters: read in four queries, kept in the cache under the circle's
    members_version (which every change to any of it moves, in the same transaction)."""

    members: dict[int, RosterMember]
    order: tuple[int, ...]  # active members, in the order of joining
    neighbors: dict[int, frozenset[int]]  # confirmed tie partners
    cities: tuple[str, ...]
    industries: tuple[RosterIndustry, ...]

    def is_active(self, member_id: int) -> bool:
        m = self.members.get(member_id)
        return m is not None and m.status == Membership.Status.ACTIVE

    def mutual(self, viewer_id: int, member_id: int) -> list[tuple[int, str]]:
        """The active members both know, by name."""
        common = self.neighbors.get(viewer_id, frozenset()) & self.neighbors.get(member_id, frozenset())
        pairs = [(i, self.members[i].name) for i in common - {viewer_id, member_id} if self.is_active(i)]
        return sorted(pairs, key=lambda p: p[1])

    def path(self, member_id: int) -> list[tuple[int, str]]:
        """The invite path from the origin down to the member, by name."""
        m = self.members[member_id]
        names = [(i, self.members[i].name if i in self.members else "?") for i in m.ancestors]
        return [*names, (member_id, m.name)]

    def membership(self, member_id: int) -> Membership:
        """Member `member_id` as an unsaved Membership with its card's name, company, title and city (what a
        list of members shows), without a query."""
        m = self.members[member_id]
        out = Membership(pk=member_id, role=m.role, status=m.status)
        out.card = MemberCard(
            membership_id=member_id, display_name=m.name, company=m.company, title=m.title, city=m.city
        )
        return out

    def industry_ids(self, code: str) -> list[int]:
        """The industry `code`, its children and theirs (as industry_ids_for_filter, without a query)."""
        return [i.id for i in self.industries if code in (i.code, i.parent, i.grandparent)]


def _roster_build(circle_id: int) -> Roster:
    members: dict[int, RosterMember] = {}
    order: list[int] = []
    cities: set[str] = set()
    rows = (
        Membership.objects.filter(circle_id=circle_id)
        .order_by("joined_at", "id")
        .values_list(
            "id",
            "status",
            "role",
            "tree_path",
            "joined_at",
            "card__display_name",
            "card__updated_at",
            "card__company",
            "card__title",
            "card__city",
        )
    )
    for pk, status, role, tree_path, joined_at, name, updated_at, company, title, city in rows:
        ancestors = tuple(int(part) for part in tree_path.strip("/").split("/") if part)
        stamp = updated_at.isoformat() if updated_at is not None else ""
        joined = timezone.localtime(joined_at).date().isoformat()
        members[pk] = RosterMember(
            name or "?", status, role, stamp, ancestors, joined, company or "", title or "", city or ""
        )
        if status == Membership.Status.ACTIVE:
            order.append(pk)
            if city:
                cities.add(city)
    graph = _neighbors(circle_id=circle_id, member_ids=None)
    industries = tuple(
        RosterIndustry(pk, code, zh, en, parent or "", grandparent or "")
        for pk, code, zh, en, parent, grandparent in Industry.objects.filter(
            Q(circle__isnull=True) | Q(circle_id=circle_id)
        )
        .order_by("circle_id", "position", "code")
        .values_list("id", "code", "name_zh", "name_en", "parent__code", "parent__parent__code")
    )
    return Roster(
        members=members,
        order=tuple(order),
        neighbors={pk: frozenset(partners) for pk, partners in graph.items()},
        cities=tuple(sorted(cities)),
        industries=industries,
    )


# Changes this process made, per circle id: part of every key kept under a circle's members_version, so that
# an object read before a change (a membership held across a service call in the same process) never finds
# what was kept before it. Other processes read members_version from the database with each request.
_changes_here: dict[int, int] = {}


def members_version_changed_here(*, circle_id: int) -> None:
    """Called by circles.services.circle_members_touch, at the change."""
    _changes_here[circle_id] = _changes_here.get(circle_id, 0) + 1


def members_version(circle: Circle) -> tuple[int, int, int]:
    """The version parts of what is kept of `circle`'s members (kindred.core.fragments): the circle, its
    members_version as read with it, and the changes this process made since it started."""
    return (circle.pk, circle.members_version, _changes_here.get(circle.pk, 0))


def circle_roster(*, circle: Circle) -> Roster:
    """The circle's roster at its members_version (read with the circle, so with the viewer's membership):
    from this process's memory or the cache, or three queries. Kept in this process too: its version parts
    never come back (the changes this process made only grow). Shared: never change it."""
    return cached_value(
        "circles.roster", members_version(circle), lambda: _roster_build(circle.pk), here=True
    )


# --- What a viewer sees of a card -------------------------------------------------------------------


@dataclass
class CardView:
    """One card as one viewer may see it: contacts filtered by visibility, the organizer's note only for
    the organizer and admins, the mutual ties of viewer and member, and the invite path from the origin."""

    membership: Membership
    card: MemberCard
    offer_tags: list[str]
    need_tags: list[str]
    industries: list[Industry]
    mutual: list[tuple[int, str]]
    path: list[tuple[int, str]]
    contacts: dict[str, str]
    note: str | None
    is_tie: bool
    is_self: bool

    @property
    def member_id(self) -> int:
        return self.membership.pk


def card_contacts(*, card: MemberCard, viewer: Membership, viewer_is_tie: bool) -> dict[str, str]:
    """The contact fields of `card` that `viewer` may see (see contacts_visible)."""
    fields = {name: (getattr(card, name), getattr(card, f"{name}_visibility")) for name in CONTACT_FIELDS}
    return contacts_visible(
        owner_id=card.membership_id, fields=fields, viewer=viewer, viewer_is_tie=viewer_is_tie
    )


def contacts_visible(
    *, owner_id: int, fields: dict[str, tuple[str, str]], viewer: Membership, viewer_is_tie: bool
) -> dict[str, str]:
    """The contact fields ({name: (value, visibility)}) of member `owner_id`'s card that `viewer` may see.
    The one place visibility is decided.

    circle → every active member; ties → the owner and members with a confirmed tie to the owner;
    nobody → only the owner.
    """
    is_owner = viewer.pk == owner_id
    out: dict[str, str] = {}
    for name in CONTACT_FIELDS:
        value, visibility = fields.get(name, ("", Visibility.NOBODY))
        if not value:
            continue
        if (
            is_owner
            or (visibility == Visibility.CIRCLE and viewer.is_active)
            or (visibility == Visibility.TIES and viewer_is_tie)
        ):
            out[name] = value
    return out


@dataclass
class MemberPage:
    """One member's card page as `viewer` sees it, from the roster: who they are (the card's shared part is
    rendered from the cache), the contacts the viewer may see, the organizer's note for the organizer and
    admins, the ties both have, the invite path."""

    roster: Roster
    member_id: int
    member: RosterMember
    contacts: dict[str, str]
    note: str | None
    is_tie: bool
    is_self: bool
    mutual: list[tuple[int, str]]
    path: list[tuple[int, str]]

    @property
    def membership(self) -> Membership:
        """The member as an (unsaved) Membership, for the boxes other apps put on the page."""
        return self.roster.membership(self.member_id)


def member_page(*, viewer: Membership, member_id: int) -> MemberPage:
    """member_card for the page: no query once the roster and the card's contacts are cached, but for the
    organizer's note (one, for the organizer and admins). NotFound as member_card."""
    roster = circle_roster(circle=viewer.circle)
    m = roster.members.get(member_id)
    if m is None or (m.status != Membership.Status.ACTIVE and not viewer.can_review):
        raise NotFound(_("Member not found."))
    names = ("membership_id", *CONTACT_FIELDS, *(f"{n}_visibility" for n in CONTACT_FIELDS))

    def read_contacts() -> dict[str, tuple[str, str]]:
        row = dict(
            zip(
                names,
                MemberCard.objects.filter(membership_id=member_id).values_list(*names).first() or (),
                strict=False,
            )
        )
        return {
            n: (row.get(n) or "", row.get(f"{n}_visibility") or Visibility.NOBODY) for n in CONTACT_FIELDS
        }

    fields = cached_value("circles.contacts", (member_id, m.stamp), read_contacts)
    is_tie = member_id in roster.neighbors.get(viewer.pk, ())
    note = None
    if viewer.can_review:
        note = Membership.objects.filter(pk=member_id).values_list("organizer_note", flat=True).first() or ""
    return MemberPage(
        roster=roster,
        member_id=member_id,
        member=m,
        contacts=contacts_visible(owner_id=member_id, fields=fields, viewer=viewer, viewer_is_tie=is_tie),
        note=note,
        is_tie=is_tie,
        is_self=member_id == viewer.pk,
        mutual=roster.mutual(viewer.pk, member_id),
        path=roster.path(member_id),
    )


def _card_views(
    *, viewer: Membership, memberships: list[Membership], roster: Roster | None = None
) -> list[CardView]:
    """Card views for memberships fetched with their card: two queries whatever their number (tags and
    industries), and two more without the circle's `roster` (the tie graph around viewer and page, and every
    name the page mentions)."""
    mutual: dict[int, list[tuple[int, str]]] = {}
    path: dict[int, list[tuple[int, str]]] = {}
    if roster is not None:
        mine: Set[int] = roster.neighbors.get(viewer.pk, frozenset())
        for m in memberships:
            mutual[m.pk], path[m.pk] = roster.mutual(viewer.pk, m.pk), roster.path(m.pk)
    else:
        ids = {m.pk for m in memberships}
        neighbors = _neighbors(circle_id=viewer.circle_id, member_ids=ids | {viewer.pk})
        mine = neighbors.get(viewer.pk, set())
        mutual_ids = {m.pk: (mine & neighbors.get(m.pk, set())) - {viewer.pk, m.pk} for m in memberships}
        wanted: set[int] = set().union(*mutual_ids.values(), *(m.ancestor_ids for m in memberships))
        names: dict[int, str] = {}
        active: set[int] = set()
        if wanted:
            for mid, name, status in MemberCard.objects.filter(membership_id__in=wanted).values_list(
                "membership_id", "display_name", "membership__status"
            ):
                names[mid] = name
                if status == Membership.Status.ACTIVE:
                    active.add(mid)
        for m in memberships:
            mutual[m.pk] = sorted(
                ((i, names[i]) for i in mutual_ids[m.pk] if i in active and i in names), key=lambda p: p[1]
            )
            path[m.pk] = [(i, names.get(i, "?")) for i in m.ancestor_ids] + [(m.pk, m.card.display_name)]
    tags, industries = _card_labels(card_ids=[m.card.pk for m in memberships])
    views = []
    for m in memberships:
        card = m.card
        card_tags = tags.get(card.pk, [])
        is_tie = m.pk in mine
        views.append(
            CardView(
                membership=m,
                card=card,
                offer_tags=[name for kind, name in card_tags if kind == CardTag.Kind.OFFER],
                need_tags=[name for kind, name in card_tags if kind == CardTag.Kind.NEED],
                industries=industries.get(card.pk, []),
                mutual=mutual[m.pk],
                path=path[m.pk],
                contacts=card_contacts(card=card, viewer=viewer, viewer_is_tie=is_tie),
                note=m.organizer_note if viewer.can_review else None,
                is_tie=is_tie,
                is_self=m.pk == viewer.pk,
            )
        )
    return views


def _card_labels(
    *, card_ids: list[int]
) -> tuple[dict[int, list[tuple[str, str]]], dict[int, list[Industry]]]:
    """Tags and industries of the given cards, two queries of plain rows (a page's worth of tag and industry
    model instances cost more to build than the queries take)."""
    tags: dict[int, list[tuple[str, str]]] = {}
    industries: dict[int, list[Industry]] = {}
    if not card_ids:
        return tags, industries
    for card_id, kind, name in (
        CardTag.objects.filter(card_id__in=card_ids)
        .order_by("kind", "id")
        .values_list("card_id", "kind", "name")
    ):
        tags.setdefault(card_id, []).append((kind, name))
    rows = (
        MemberCard.industries.through.objects.filter(membercard_id__in=card_ids)
        .order_by("industry__position", "industry__code")
        .values_list(
            "membercard_id",
            "industry_id",
            "industry__code",
            "industry__name_zh",
            "industry__name_en",
            "industry__synonyms",
            "industry__position",
            "industry__circle_id",
            "industry__parent_id",
            "industry__parent__code",
        )
    )
    seen: dict[int, Industry] = {}
    for card_id, pk, code, zh, en, synonyms, position, circle_id, parent_id, parent_code in rows:
        industry = seen.get(pk)
        if industry is None:
            industry = Industry(
                id=pk,
                code=code,
                name_zh=zh,
                name_en=en,
                synonyms=synonyms,
                position=position,
                circle_id=circle_id,
                parent_id=parent_id,
            )
            if parent_id is not None:
                industry.parent = Industry(id=parent_id, code=parent_code)
            seen[pk] = industry
        industries.setdefault(card_id, []).append(industry)
    return tags, industries


@dataclass
class CardContent:
    """What every member sees of a card (no contacts, no note): the cached card fragments are made of it."""

    display_name: str
    company: str
    title: str
    city: str
    offers: str
    needs: str
    bio: str
    values: str
    industries: list[Industry]
    offer_tags: list[str]
    need_tags: list[str]


CARD_CONTENT_FIELDS = ("display_name", "company", "title", "city", "offers", "needs", "bio", "values")


def card_contents(*, member_ids: Iterable[int]) -> dict[int, CardContent]:
    """The shared content of the given members' cards, by membership id. Three queries (none for no ids)."""
    ids = list(member_ids)
    if not ids:
        return {}
    rows = MemberCard.objects.filter(membership_id__in=ids).values_list(
        "id", "membership_id", *CARD_CONTENT_FIELDS
    )
    by_card = {row[0]: row for row in rows}
    tags, industries = _card_labels(card_ids=list(by_card))
    out: dict[int, CardContent] = {}
    for card_id, row in by_card.items():
        card_tags = tags.get(card_id, [])
        fields = dict(zip(CARD_CONTENT_FIELDS, row[2:], strict=True))
        out[row[1]] = CardContent(
            **fields,
            industries=industries.get(card_id, []),
            offer_tags=[name for kind, name in card_tags if kind == CardTag.Kind.OFFER],
            need_tags=[name for kind, name in card_tags if kind == CardTag.Kind.NEED],
        )
    return out


def _with_card(qs: QuerySet[Membership]) -> QuerySet[Membership]:
    return qs.select_related("card")


def member_card(*, viewer: Membership, member_id: int) -> CardView:
    """One member's card as `viewer` sees it. Removed members are shown to the organizer and admins only."""
    qs = _with_card(Membership.objects.filter(circle_id=viewer.circle_id, pk=member_id))
    if not viewer.can_review:
        qs = qs.filter(status=Membership.Status.ACTIVE)
    membership = qs.first()
    if membership is None:
        raise NotFound(_("Member not found."))
    return _card_views(viewer=viewer, memberships=[membership])[0]


# --- The directory ----------------------------------------------------------------------------------


class _Pager:
    page: int
    num_pages: int

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def previous_page(self) -> int:
        return self.page - 1

    @property
    def next_page(self) -> int:
        return self.page + 1


def industry_ids_for_filter(*, circle_id: int, code: str) -> list[int]:
    """The industry `code` (curated or the circle's own), its children and theirs; ServiceError if unknown."""
    visible = Q(circle__isnull=True) | Q(circle_id=circle_id)
    ids = list(
        Industry.objects.filter(visible)
        .filter(Q(code=code) | Q(parent__code=code) | Q(parent__parent__code=code))
        .values_list("id", flat=True)
    )
    if not ids:
        raise ServiceError(_("Unknown industry: %(c)s") % {"c": code}, code="unknown_industry")
    return ids


def directory_queryset(
    *,
    circle_id: int,
    q: str = "",
    city: str = "",
    industry: str = "",
    tag: str = "",
    industry_ids: list[int] | None = None,
) -> QuerySet[Membership]:
    """Active members of the circle matching the search and filters (no query runs here, but for resolving
    an industry code when its `industry_ids` are not given)."""
    qs = Membership.objects.filter(circle_id=circle_id, status=Membership.Status.ACTIVE)
    for token in text.query_tokens(q):
        qs = qs.filter(card__search_document__contains=token)
    city = " ".join(city.split())
    if city:
        qs = qs.filter(card__city__iexact=city)
    if industry:
        ids = (
            industry_ids
            if industry_ids is not None
            else industry_ids_for_filter(circle_id=circle_id, code=industry)
        )
        through = MemberCard.industries.through
        qs = qs.filter(
            Exists(through.objects.filter(membercard_id=OuterRef("card__id"), industry_id__in=ids))
        )
    tag = " ".join(tag.split())
    if tag:
        qs = qs.filter(Exists(CardTag.objects.filter(card_id=OuterRef("card__id"), name=tag)))
    return qs


# Relevance of a search hit: where each query token is found. Who someone is (name, title), what they offer
# and their tags come before what they need, and their story (bio, values) last; more tokens found in more
# places rank higher. One SQL expression in the page query itself (no query more), only when searching.
RELEVANCE_WEIGHTS = (
    ("display_name", 8),
    ("title", 8),
    ("offers", 4),
    ("company", 2),
    ("needs", 2),
    ("city", 1),
    ("bio", 1),
    ("values", 1),
)
RELEVANCE_TAG_WEIGHT = 4


def _like(token: str) -> str:
    escaped = token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _relevance(tokens: list[str]) -> RawSQL:
    """A score per membership for `tokens` (lower case already), as one raw SQL sum: the ORM's Case/When
    tree for the same sum costs ~10× more to build and compile than the query takes to run. It refers to
    the card table as the directory query joins it (the search filter's join)."""
    card = connection.ops.quote_name(MemberCard._meta.db_table)
    tags = connection.ops.quote_name(CardTag._meta.db_table)
    parts: list[str] = []
    params: list[str] = []
    for token in tokens:
        like = _like(token)
        for column, weight in RELEVANCE_WEIGHTS:
            quoted = connection.ops.quote_name(column)
            parts.append(f"CASE WHEN LOWER({card}.{quoted}) LIKE %s ESCAPE '\\' THEN {weight} ELSE 0 END")
            params.append(like)
        # Table and column names come from the models; the tokens are parameters.
        tagged = f"SELECT 1 FROM {tags} WHERE {tags}.card_id = {card}.id AND LOWER({tags}.name) LIKE %s ESCAPE '\\'"  # noqa: S608
        parts.append(f"CASE WHEN EXISTS ({tagged}) THEN {RELEVANCE_TAG_WEIGHT} ELSE 0 END")
        params.append(like)
    return RawSQL(" + ".join(parts), params, output_field=IntegerField())  # noqa: S611 (as above)


@dataclass
class DirectoryListing(_Pager):
    """One page of the directory as member ids (the page renders their cards from the cache), with the
    roster they were read with."""

    ids: list[int]
    roster: Roster
    count: int
    page: int
    page_size: int
    num_pages: int
    filters: dict[str, str] = field(default_factory=dict)


def directory_listing(
    *,
    viewer: Membership,
    q: str = "",
    city: str = "",
    industry: str = "",
    tag: str = "",
    page: int = 1,
    page_size: int = DIRECTORY_PAGE_SIZE,
) -> DirectoryListing:
    """One page of the circle's directory as `viewer` sees it, as member ids (the HTML page renders their
    cards from the cache; directory_page reads them): browsing reads the roster (no query once cached); a
    search or a filter runs one query for the ids it matches, in order. A page past the end is empty; a
    page below 1 is refused, an unknown industry too.

    A search (`q`) leaves the viewer out and lists the most relevant cards first (RELEVANCE_WEIGHTS); the
    browsing order is the order of joining."""
    if page < 1 or page > MAX_PAGE:
        raise ServiceError(_("No such page."), code="bad_page")
    roster = circle_roster(circle=viewer.circle)
    tokens = text.query_tokens(q)
    if tokens or " ".join(city.split()) or industry or " ".join(tag.split()):
        industry_ids = roster.industry_ids(industry) if industry else None
        if industry and not industry_ids:
            raise ServiceError(_("Unknown industry: %(c)s") % {"c": industry}, code="unknown_industry")
        qs = directory_queryset(
            circle_id=viewer.circle_id, q=q, city=city, industry=industry, tag=tag, industry_ids=industry_ids
        )
        if tokens:
            qs = qs.exclude(pk=viewer.pk).annotate(relevance=_relevance(tokens))
            qs = qs.order_by(F("relevance").desc(), "joined_at", "id")
        else:
            qs = qs.order_by("joined_at", "id")
        matching: Sequence[int] = [pk for pk in qs.values_list("id", flat=True) if pk in roster.members]
    else:
        matching = roster.order
    count = len(matching)
    start = (page - 1) * page_size
    return DirectoryListing(
        ids=list(matching[start : start + page_size]),
        roster=roster,
        count=count,
        page=page,
        page_size=page_size,
        num_pages=max(1, -(-count // page_size)),
        filters={"q": q, "city": city, "industry": industry, "tag": tag},
    )


@dataclass
class DirectoryPage(DirectoryListing):
    """A directory_listing with the cards as the viewer sees them (the API's page)."""

    items: list[CardView] = field(default_factory=list)


class DirectoryQuery(TypedDict, total=False):
    """directory_listing's search, filters and page (what directory_page passes on)."""

    q: str
    city: str
    industry: str
    tag: str
    page: int
    page_size: int


def directory_page(*, viewer: Membership, **query: Unpack[DirectoryQuery]) -> DirectoryPage:
    """directory_listing with its members' cards as `viewer` sees them: three queries more (the page's
    memberships with their cards, their tags, their industries; mutual ties and invite paths come from the
    roster), none for an empty page."""
    listing = directory_listing(viewer=viewer, **query)
    memberships: list[Membership] = []
    if listing.ids:
        rows = _with_card(
            Membership.objects.filter(
                circle_id=viewer.circle_id, status=Membership.Status.ACTIVE, pk__in=listing.ids
            )
        )
        by_id = {m.pk: m for m in rows}
        memberships = [by_id[pk] for pk in listing.ids if pk in by_id]
    items = _card_views(viewer=viewer, memberships=memberships, roster=listing.roster)
    return DirectoryPage(**vars(listing), items=items)


__all__ = [
    "CardView",
    "Circle",
    "DirectoryPage",
    "card_contacts",
    "circle_list_for_user",
    "directory_page",
    "member_card",
    "membership_for_circle",
    "membership_get",
]


def membership_timeline(*, circle_id: int) -> list[tuple]:
    """Every membership the circle ever had (removed ones too), in join order, for the organizer's health
    page: (id, joined_at, removed_at, sponsor_id, depth, tree_path, display name). One query."""
    return list(
        Membership.objects.filter(circle_id=circle_id)
        .order_by("joined_at", "id")
        .values_list(
            "id", "joined_at", "removed_at", "sponsor_id", "depth", "tree_path", "card__display_name"
        )
    )


def circle_organizers(*, circle_id: int) -> list[Membership]:
    """The circle's active organizer and admins, with their cards (whom a member's leaving is told to)."""
    return list(
        Membership.objects.filter(
            circle_id=circle_id,
            status=Membership.Status.ACTIVE,
            role__in=[Membership.Role.ORGANIZER, Membership.Role.ADMIN],
        ).select_related("card")
    )


def memberships_of_user(*, user_id: int) -> list[Membership]:
    """Every membership of one account (active or not), with circle and card: for the member's own export
    and the deletion of their account. One query."""
    return list(
        Membership.objects.filter(user_id=user_id)
        .select_related("circle", "card")
        .order_by("joined_at", "id")
    )


def directory_export_rows(*, viewer: Membership) -> list[CardView]:
    """Every active member's card as `viewer` (the organizer or an admin) sees it, in join order: the
    organizer's export of the directory. A constant number of queries (as a directory page)."""
    memberships = list(
        _with_card(
            Membership.objects.filter(circle_id=viewer.circle_id, status=Membership.Status.ACTIVE)
        ).order_by("joined_at", "id")
    )
    return _card_views(viewer=viewer, memberships=memberships)
