"""Reads of matching: the data fed to the engine, cached matches, introductions, contacts, notices.

Pages keep a constant number of queries: a member's matches are one query for the entries (with both
cards), one for the names on the trust paths and one for the names of the shared trades.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from kindred.circles.models import CardTag, Circle, Industry, MemberCard, Membership
from kindred.circles.selectors import card_contacts
from kindred.core.services import NotFound
from kindred.ties.selectors import tie_edge_rows, tie_pairs, tie_states_of
from kindred.ties.types import TieKind, TieStatus

from .contacts_parse import email_key, phone_key
from .engine import embed
from .engine.rank import Person, Ranker
from .engine.text import CardText, Lexicon, TextIndex
from .models import (
    EDGE_WEIGHT_DEAL,
    EDGE_WEIGHT_INTRODUCED,
    EDGE_WEIGHT_MET,
    EDGE_WEIGHT_SPONSOR,
    EDGE_WEIGHT_TIE,
    INVITE_SUGGESTIONS_LIMIT,
    Contact,
    Introduction,
    MatchEntry,
    MatchState,
    SuppressedPair,
)

Edge = tuple[int, int, float]
# Bumped when what a cached match stores changes shape (2: the shared trades as industry codes).
EXPLANATION_VERSION = 2
# Other apps (meetups: met offline, deals: closed a deal) register a function circle_id → weighted edges
# between membership ids; they call services.matches_invalidate when those change.
TIE_KIND_WEIGHT: dict[str, float] = {
    TieKind.SPONSOR: EDGE_WEIGHT_SPONSOR,
    TieKind.INTRODUCED: EDGE_WEIGHT_INTRODUCED,
    TieKind.MET: EDGE_WEIGHT_MET,
}


def _tie_weight(kind: str, *, met_offline: bool, deal: bool) -> float:
    """A tie's weight: its kind's, strengthened by having met offline at a circle meetup (met ties are
    created with that kind) and by a confirmed deal together."""
    weight = TIE_KIND_WEIGHT.get(kind, EDGE_WEIGHT_TIE)
    if met_offline and kind != TieKind.MET:
        weight += EDGE_WEIGHT_MET
    if deal:
        weight += EDGE_WEIGHT_DEAL
    return weight


def trust_edges(*, circle_id: int, extra: Iterable[Edge] = ()) -> list[Edge]:
    """Every weighted edge of the circle's trust graph: confirmed ties (sponsor and introduced ties
    weighted by kind, strengthened by meetups and deals) and `extra`."""
    edges = [
        (a, b, _tie_weight(kind, met_offline=met, deal=deal))
        for a, b, kind, met, deal in tie_edge_rows(circle_id=circle_id)
    ]
    edges.extend(extra)
    return edges


def lexicon_for(*, circle: Circle | int) -> Lexicon:
    """The industry taxonomy as the matching reads it: the curated rows and the circle's own (one query)."""
    rows = Industry.objects.filter(Q(circle__isnull=True) | Q(circle=circle)).values_list(
        "code", "name_zh", "name_en", "synonyms"
    )
    return Lexicon.from_rows(rows)


def _cards(circle_id: int) -> tuple[list[CardText], list[Person]]:
    cards = list(
        MemberCard.objects.filter(
            membership__circle_id=circle_id, membership__status=Membership.Status.ACTIVE
        )
        .only("id", "membership_id", "offers", "needs", "city")
        .prefetch_related("industries")
        .order_by("membership_id")
    )
    tags: dict[int, dict[str, list[str]]] = {}
    for card_id, kind, name in CardTag.objects.filter(card__in=cards).values_list("card_id", "kind", "name"):
        tags.setdefault(card_id, {}).setdefault(kind, []).append(name)
    texts, people = [], []
    for c in cards:
        industries = list(c.industries.all())
        names = tuple(i.name_zh for i in industries)
        t = tags.get(c.pk, {})
        texts.append(
            CardText(
                key=c.membership_id,
                offers=c.offers,
                needs=c.needs,
                offer_tags=tuple(t.get(CardTag.Kind.OFFER, ())),
                need_tags=tuple(t.get(CardTag.Kind.NEED, ())),
                industry_names=names,
            )
        )
        # Codes, not names: an explanation names the shared trades in the reader's language.
        people.append(
            Person(key=c.membership_id, city=c.city.strip(), industries=tuple(i.code for i in industries))
        )
    return texts, people


def excluded_pairs(*, circle_id: int) -> list[tuple[int, int]]:
    """Pairs never suggested: any tie row (a pending or quietly ignored request too), an open or made
    introduction, a pair suppressed after a decline or an expiry."""
    now = timezone.now()
    pairs = tie_pairs(circle_id=circle_id)
    pairs += list(
        Introduction.objects.filter(circle_id=circle_id)
        .filter(Q(status__in=Introduction.OPEN, expires_at__gt=now) | Q(status=Introduction.Status.ACCEPTED))
        .values_list("requester_id", "target_id")
    )
    pairs += list(
        SuppressedPair.objects.filter(circle_id=circle_id, until__gt=now).values_list(
            "member_low_id", "member_high_id"
        )
    )
    return pairs


def circle_ranker(*, circle: Circle, extra_edges: Iterable[Edge] = ()) -> Ranker:
    texts, people = _cards(circle.pk)
    return Ranker(
        texts,
        people,
        trust_edges(circle_id=circle.pk, extra=extra_edges),
        lexicon_for(circle=circle),
        excluded=excluded_pairs(circle_id=circle.pk),
        embedder=_embedder(),
    )


def _embedder() -> object:
    """The local embedding model when one is configured and loads; None (TF-IDF only) otherwise."""
    path = embed.configured_path()
    if path is None:
        return None
    try:
        return embed.load(str(path))
    except embed.EmbeddingUnavailable:
        return None


# What the cached matches depend on, in one hand-written query (the ORM's four aggregates cost ~3.5 ms of SQL
# compilation on every matches page): the circle's members_version (moved in the same transaction by every
# change of a membership, a card, the circle's industries or a tie), the matching state's version (bumped by
# introductions and suppressions), the suppressions lapsed and the open introductions expired by now.
_TABLES = {
    "circle": Circle._meta.db_table,
    "state": MatchState._meta.db_table,
    "suppressed": SuppressedPair._meta.db_table,
    "intro": Introduction._meta.db_table,
}
_FINGERPRINT_SQL = """
SELECT c.members_version,
    (SELECT s.version FROM {state} s WHERE s.circle_id = c.id),
    (SELECT COUNT(*) FROM {suppressed} p WHERE p.circle_id = c.id AND p.until <= %s),
    (SELECT COUNT(*) FROM {intro} i
        WHERE i.circle_id = c.id AND i.expires_at <= %s AND i.status IN (%s, %s))
FROM {circle} c WHERE c.id = %s""".format(**_TABLES)  # noqa: S608 - table names from the models only


def match_fingerprint(*, circle: Circle) -> str:
    """What the cached matches depend on (see _FINGERPRINT_SQL), as one string. One query."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_FINGERPRINT_SQL, [now, now, *Introduction.OPEN, circle.pk])
        row = cursor.fetchone()
    members, state, lapsed, expired = row if row is not None else (0, 0, 0, 0)
    parts = [EXPLANATION_VERSION, "m", members, state or 0, lapsed, expired]
    return "|".join(str(p) for p in parts)[:255]


@dataclass
class MatchView:
    entry: MatchEntry
    other: Membership
    path: list[tuple[int, str]]  # (member id, display name), both ends included
    they_offer: list[tuple[str, str]]
    you_offer: list[tuple[str, str]]
    city: str
    industries: list[str]
    seeks_clients: str
    you_seek_clients: str
    member: Membership | None = None


def industry_names(*, circle_id: int, codes: Iterable[str]) -> dict[str, str]:
    """{industry code: its name in the active language} for the curated and the circle's own industries."""
    english = (get_language() or "").startswith("en")
    rows = Industry.objects.filter(Q(circle__isnull=True) | Q(circle_id=circle_id), code__in=set(codes))
    return {
        code: en if english and en else zh for code, zh, en in rows.values_list("code", "name_zh", "name_en")
    }


def _views(entries: list[MatchEntry], *, with_member: bool) -> list[MatchView]:
    """Three queries: the names on the trust paths and of the shared trades (the entries are loaded)."""
    path_ids = {i for e in entries for i in e.explanation.get("path", [])}
    names = dict(
        MemberCard.objects.filter(membership_id__in=path_ids).values_list("membership_id", "display_name")
    )
    codes = {c for e in entries for c in e.explanation.get("industries", [])}
    trades = industry_names(circle_id=entries[0].circle_id, codes=codes) if codes else {}
    out = []
    for e in entries:
        x = e.explanation
        out.append(
            MatchView(
                entry=e,
                other=e.other,
                member=e.member if with_member else None,
                path=[(i, names.get(i, "?")) for i in x.get("path", [])],
                they_offer=[(p[0], p[1]) for p in x.get("they_offer", [])],
                you_offer=[(p[0], p[1]) for p in x.get("you_offer", [])],
                city=x.get("city", ""),
                industries=[trades.get(c, c) for c in x.get("industries", [])],
                seeks_clients=x.get("seeks_clients", ""),
                you_seek_clients=x.get("you_seek_clients", ""),
            )
        )
    return out


def matches_for(*, membership: Membership) -> list[MatchView]:
    """The member's cached matches, best first, with the other member's card (two queries)."""
    entries = list(
        MatchEntry.objects.filter(
            circle_id=membership.circle_id,
            kind=MatchEntry.Kind.MEMBER,
            member=membership,
            other__status=Membership.Status.ACTIVE,
        )
        .select_related("other__card")
        .order_by("rank")
    )
    return _views(entries, with_member=False)


def organizer_pairs(*, circle: Circle) -> list[MatchView]:
    entries = list(
        MatchEntry.objects.filter(circle=circle, kind=MatchEntry.Kind.PAIR)
        .filter(member__status=Membership.Status.ACTIVE, other__status=Membership.Status.ACTIVE)
        .select_related("member__card", "other__card")
        .order_by("rank")
    )
    return _views(entries, with_member=True)


# --- introductions -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Connector:
    """Someone who can introduce a requester to a target: the requester's own tie, who knows the target
    (`knows_target`) or knows one of the target's ties (the first go-between on a trust path with two
    people in the middle)."""

    member: Membership
    strength: float  # the tie weights along requester — connector (— their tie) — target, multiplied
    knows_target: bool


def _weighted_ties(circle_id: int, ids: set[int]) -> dict[int, dict[int, float]]:
    """{member: {tie partner: weight}} for the confirmed ties touching `ids` (one query)."""
    out: dict[int, dict[int, float]] = {}
    for low, high, kind, met, deal in tie_edge_rows(circle_id=circle_id, member_ids=ids):
        weight = _tie_weight(kind, met_offline=met, deal=deal)
        out.setdefault(low, {})[high] = weight
        out.setdefault(high, {})[low] = weight
    return out


def intro_connectors(*, circle_id: int, requester_id: int, target_id: int) -> list[Connector]:
    """Who can introduce `requester` to `target`, best trust first: their mutual ties (the strongest pair
    of ties first, then the one with the fewest ties: the most personal go-between), then the requester's
    ties who know one of the target's ties (by the strongest such path). Active members only; three
    queries."""
    a, b = requester_id, target_id
    around = _weighted_ties(circle_id, {a, b})
    mine, theirs = around.get(a, {}), around.get(b, {})
    mine.pop(b, None)
    theirs.pop(a, None)
    mutual = set(mine) & set(theirs)
    second = _weighted_ties(circle_id, set(mine) | set(theirs)) if mine and theirs else {}
    ranked: dict[int, tuple[float, bool]] = {x: (mine[x] * theirs[x], True) for x in mutual}
    for x in set(mine) - mutual:
        strongest = max(
            (
                mine[x] * w * theirs[y]
                for y, w in second.get(x, {}).items()
                if y in theirs and y not in (a, b)
            ),
            default=0.0,
        )
        if strongest > 0:
            ranked[x] = (strongest, False)
    if not ranked:
        return []
    members = (
        Membership.objects.select_related("card", "user")
        .filter(pk__in=ranked, circle_id=circle_id, status=Membership.Status.ACTIVE)
        .exclude(pk__in=(a, b))
    )
    degree = {x: len(second.get(x, {})) for x in ranked}
    out = [Connector(member=m, strength=ranked[m.pk][0], knows_target=ranked[m.pk][1]) for m in members]
    out.sort(key=lambda c: (not c.knows_target, -c.strength, degree[c.member.pk], c.member.pk))
    return out


CLOSED = "closed"
VIEW_STATUS_LABELS: dict[str, Any] = {
    Introduction.Status.AWAITING_CONNECTOR: _("Waiting for the connector"),
    Introduction.Status.AWAITING_PARTIES: _("Waiting for an answer"),
    Introduction.Status.ACCEPTED: _("Introduced"),
    Introduction.Status.DECLINED: _("Declined"),
    Introduction.Status.WITHDRAWN: _("Withdrawn"),
    CLOSED: pgettext_lazy("introduction state", "Closed"),
}


@dataclass
class IntroView:
    """An introduction as one of its three people sees it."""

    intro: Introduction
    viewer_id: int
    role: str  # requester, target, connector
    status: str  # as the viewer may know it: declines by others and expiries both read "closed"
    can_approve: bool = False
    can_accept: bool = False
    can_decline: bool = False
    can_withdraw: bool = False
    contacts: dict[str, dict[str, str]] = field(default_factory=dict)  # member id → visible contacts

    @property
    def status_label(self) -> str:
        return str(VIEW_STATUS_LABELS[self.status])

    @property
    def other(self) -> Membership:
        return self.intro.target if self.role == "requester" else self.intro.requester


def _intro_view(intro: Introduction, viewer: Membership, now: Any) -> IntroView:
    role = (
        "requester"
        if viewer.pk == intro.requester_id
        else "target"
        if viewer.pk == intro.target_id
        else "connector"
    )
    status = intro.status
    expired = intro.is_open and intro.expires_at <= now
    if (
        expired
        or status == Introduction.Status.EXPIRED
        or (status == Introduction.Status.DECLINED and intro.declined_by_id != viewer.pk)
    ):
        status = CLOSED
    view = IntroView(intro=intro, viewer_id=viewer.pk, role=role, status=status)
    if intro.is_open and not expired:
        if intro.status == Introduction.Status.AWAITING_CONNECTOR:
            view.can_approve = view.can_decline = role == "connector"
        else:
            mine = {"requester": intro.requester_accepted_at, "target": intro.target_accepted_at}
            view.can_accept = view.can_decline = role in mine and mine[role] is None
        view.can_withdraw = role == "requester" and not intro.proposed
    if status == Introduction.Status.ACCEPTED and role != "connector":
        # Everyone said yes: each party sees what the other shares with their ties.
        other = view.other
        view.contacts[str(other.pk)] = card_contacts(card=other.card, viewer=viewer, viewer_is_tie=True)
    return view


def _intro_qs() -> Any:
    return Introduction.objects.select_related(
        "requester__card", "target__card", "connector__card", "requester__user", "target__user"
    )


def intros_for(*, membership: Membership) -> list[IntroView]:
    """Every introduction the member is one of the three people of (one query)."""
    now = timezone.now()
    mid = membership.pk
    rows = (
        _intro_qs()
        .filter(circle_id=membership.circle_id)
        .filter(Q(requester_id=mid) | Q(target_id=mid) | Q(connector_id=mid))
    )
    out = []
    for intro in rows:
        # The target does not see a request before the connector has approved it.
        if intro.target_id == mid and intro.connector_approved_at is None:
            continue
        out.append(_intro_view(intro, membership, now))
    return out


# intros_waiting_count's query, hand-written (the ORM's compilation of its conditions cost ~1 ms a page): the
# introductions the member may approve (the connector, not a party) or accept (the requester not yet, the
# target once the connector approved, not yet); a test holds it equal to intros_for for every member.
_WAITING_SQL = (
    "SELECT COUNT(*) FROM matching_introduction i"
    " WHERE i.circle_id = %s AND i.expires_at > %s AND ("
    "(i.status = %s AND i.connector_id = %s AND i.requester_id <> %s AND i.target_id <> %s)"
    " OR (i.status = %s AND ((i.requester_id = %s AND i.requester_accepted_at IS NULL)"
    " OR (i.target_id = %s AND i.target_accepted_at IS NULL AND i.connector_approved_at IS NOT NULL"
    " AND i.requester_id <> %s))))"
)


def intros_waiting_count(*, membership: Membership) -> int:
    """How many of the member's introductions wait for their answer: those intros_for marks can_approve or
    can_accept, counted without building them (the conversation's to-do panel). One query."""
    mid = membership.pk
    status = Introduction.Status
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params = [membership.circle_id, now, status.AWAITING_CONNECTOR.value, mid, mid, mid]
    params += [status.AWAITING_PARTIES.value, mid, mid, mid]
    with connection.cursor() as cursor:
        cursor.execute(_WAITING_SQL, params)
        return int(cursor.fetchone()[0])


def intro_get_for_member(*, membership: Membership, intro_id: int) -> IntroView:
    for view in intros_for(membership=membership):
        if view.intro.pk == intro_id:
            return view
    raise NotFound(_("Introduction not found."))


def intro_get_for_user(*, user: Any, intro_id: int) -> tuple[IntroView, Membership]:
    """The introduction `intro_id` and the user's active membership that is one of its people."""
    intro = Introduction.objects.filter(pk=intro_id).values_list("circle_id", flat=True).first()
    if intro is None or not getattr(user, "is_authenticated", False):
        raise NotFound(_("Introduction not found."))
    membership = (
        Membership.objects.select_related("circle", "card", "user")
        .filter(circle_id=intro, user=user, status=Membership.Status.ACTIVE)
        .first()
    )
    if membership is None:
        raise NotFound(_("Introduction not found."))
    return intro_get_for_member(membership=membership, intro_id=intro_id), membership


# --- contacts and growth suggestions ---------------------------------------------------------------------


def contacts_of(*, user: Any) -> list[Contact]:
    return list(Contact.objects.filter(owner=user))


TIE_NONE, TIE_TIED, TIE_ASKED, TIE_THEY_ASKED = "", "tied", "asked", "they_asked"


@dataclass(frozen=True)
class ContactMember:
    """One of the viewer's imported contacts who is a member of the circle, found by an email address or a
    phone number that the member's card shows the viewer; and where their tie stands."""

    contact: Contact
    member: Membership
    matched_on: str  # "email" or "phone"
    tie: str  # TIE_NONE (suggest declaring one), TIE_TIED, TIE_ASKED (by the viewer), TIE_THEY_ASKED


def contacts_in_circle(*, membership: Membership) -> list[ContactMember]:
    """The viewer's own contacts who are already members of the circle, by name. A contact matches a
    member only on what the viewer may see of the member's card (kindred.circles.selectors.card_contacts):
    emails compared in lower case, phones by their digits without +86. Four queries."""
    contacts = [c for c in Contact.objects.filter(owner_id=membership.user_id) if c.email or c.phone]
    if not contacts:
        return []
    ties = tie_states_of(membership=membership)
    by_email: dict[str, Membership] = {}
    by_phone: dict[str, Membership] = {}
    members = (
        Membership.objects.filter(circle_id=membership.circle_id, status=Membership.Status.ACTIVE)
        .exclude(pk=membership.pk)
        .filter(~Q(card__email="") | ~Q(card__phone=""))
        .select_related("card")
        .order_by("pk")
    )
    for m in members:
        tied = ties.get(m.pk, ("", 0))[0] == TieStatus.CONFIRMED
        seen = card_contacts(card=m.card, viewer=membership, viewer_is_tie=tied)
        if email_key(seen.get("email", "")):
            by_email.setdefault(email_key(seen["email"]), m)
        if phone_key(seen.get("phone", "")):
            by_phone.setdefault(phone_key(seen["phone"]), m)
    out: list[ContactMember] = []
    found: set[int] = set()
    for c in contacts:
        matched_on, member = "email", by_email.get(email_key(c.email)) if c.email else None
        if member is None and c.phone:
            matched_on, member = "phone", by_phone.get(phone_key(c.phone))
        if member is None or member.pk in found:
            continue
        found.add(member.pk)
        status, declared_by = ties.get(member.pk, ("", 0))
        tie = (
            TIE_TIED
            if status == TieStatus.CONFIRMED
            else TIE_ASKED
            if declared_by == membership.pk
            else TIE_THEY_ASKED
            if status
            else TIE_NONE
        )
        out.append(ContactMember(contact=c, member=member, matched_on=matched_on, tie=tie))
    return out


@dataclass(frozen=True)
class InviteSuggestion:
    contact: Contact
    score: float
    terms: tuple[str, ...]  # words both the contact's details and the member's card use


def invite_suggestions(
    *, owner: Any, member: Membership, limit: int = INVITE_SUGGESTIONS_LIMIT
) -> list[InviteSuggestion]:
    """The owner's own contacts whose business overlaps `member`'s card, best first, with the shared words.
    Contacts already in the circle (by email) or already nominated there are left out."""
    contacts = [
        c
        for c in Contact.objects.filter(owner=owner).exclude(nominated_in_id=member.circle_id)
        if c.company or c.title or c.note
    ]
    if not contacts:
        return []
    in_circle = set(
        Membership.objects.filter(circle_id=member.circle_id)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    contacts = [c for c in contacts if not c.email or c.email.lower() not in {e.lower() for e in in_circle}]
    card = member.card
    industries = tuple(i.name_zh for i in card.industries.all())
    tags = tuple(card.tags.values_list("name", flat=True))
    docs = [
        CardText(
            key=0,
            offers=f"{card.offers} {card.needs} {card.title}",
            offer_tags=tags,
            industry_names=industries,
        )
    ] + [CardText(key=i + 1, offers=f"{c.company} {c.title} {c.note}") for i, c in enumerate(contacts)]
    index = TextIndex(docs, lexicon_for(circle=member.circle))
    sims = (index.offers[1:] @ index.offers[0].T).toarray().ravel()
    order = sorted(range(len(contacts)), key=lambda i: (-sims[i], contacts[i].name))
    out = []
    for i in order[:limit]:
        if sims[i] <= 0:
            break
        out.append(
            InviteSuggestion(
                contact=contacts[i], score=float(sims[i]), terms=index.shared_offer_terms(0, i + 1)
            )
        )
    return out


def introduction_timeline(*, circle_id: int) -> list[tuple]:
    """Every introduction of the circle, for the health page's funnel: (requester_id, target_id,
    connector_id, status, created_at, connector_approved_at, requester_accepted_at, target_accepted_at,
    closed_at). One query."""
    return list(
        Introduction.objects.filter(circle_id=circle_id)
        .order_by("created_at", "id")
        .values_list(
            "requester_id",
            "target_id",
            "connector_id",
            "status",
            "created_at",
            "connector_approved_at",
            "requester_accepted_at",
            "target_accepted_at",
            "closed_at",
        )
    )


def matching_of_member(*, user_id: int, member_ids: list[int]) -> dict[str, list]:
    """For the member's own export: introductions they asked for, were the target of or connected, and the
    contacts they imported. Two queries."""
    return {
        "introductions": list(
            Introduction.objects.filter(
                Q(requester_id__in=member_ids) | Q(target_id__in=member_ids) | Q(connector_id__in=member_ids)
            )
            .order_by("id")
            .values(
                "id",
                "circle_id",
                "requester_id",
                "target_id",
                "connector_id",
                "proposed",
                "note",
                "status",
                "created_at",
                "closed_at",
            )
        ),
        "contacts": list(
            Contact.objects.filter(owner_id=user_id)
            .order_by("id")
            .values(
                "id", "name", "email", "phone", "company", "title", "city", "note", "source", "created_at"
            )
        ),
    }
