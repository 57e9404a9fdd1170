"""Reads of the conversation, each in a constant number of queries (pinned in tests/test_selectors.py).

A message is read as a dict in the API's shape (schemas.MessageOut). A deleted or hidden message keeps its
place in the stream as a tombstone, without its text, mentions or payload; the organizer and admins still
see a hidden message's text and the reason it was hidden.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, Min, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kindred.circles import text as search_text
from kindred.circles.models import CardTag, Circle, Industry, MemberCard, Membership
from kindred.circles.selectors import directory_queryset
from kindred.conversation import routing, topicality
from kindred.conversation.routing.engine import DEFAULT_WEIGHTS, Model, learn
from kindred.core.fragments import cached_value
from kindred.core.services import NotFound, ServiceError
from kindred.matching.selectors import trust_edges

from .models import (
    OPEN_ASKS_MAX,
    PAGE_DEFAULT,
    PAGE_MAX,
    POSTED_KINDS,
    QUOTE_MAX_LENGTH,
    ROUTE_HISTORY_MAX,
    ROUTE_MODEL_TTL_SECONDS,
    ROUTE_RELEARN_EVERY,
    SEARCH_RESULTS_MAX,
    TOPIC_MODEL_TTL_SECONDS,
    TOPIC_RELEARN_EVERY,
    Ask,
    AskRoute,
    Kind,
    Mention,
    Message,
    ReadMarker,
    Stream,
    TopicLabel,
)

MESSAGE_RELATED = ("author__card", "reply_to__author__card")
_SYNONYM_SPLIT = re.compile(r"[,，、;；\s]+")


def is_moderator(member: Membership) -> bool:
    return member.is_active and member.role in (Membership.Role.ORGANIZER, Membership.Role.ADMIN)


def message_for_user(*, user: object, message_id: int) -> tuple[Message, Membership]:
    """For URLs without the circle (/api/v1/messages/{id}): the message and the user's active membership in
    its circle; the same NotFound for a message that does not exist and for one of someone else's circle."""
    message = Message.objects.filter(pk=message_id).select_related("circle").first()
    member = None
    if message is not None and getattr(user, "is_authenticated", False):
        member = (
            Membership.objects.select_related("circle", "card", "user")
            .filter(circle_id=message.circle_id, user=user, status=Membership.Status.ACTIVE)  # type: ignore[misc]
            .first()
        )
    if message is None or member is None:
        raise NotFound(_("Message not found."))
    return message, member


# --- the shape of a message --------------------------------------------------------------------------


def _person(m: Membership | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {"member_id": m.pk, "display_name": getattr(getattr(m, "card", None), "display_name", "")}


def _quote(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= QUOTE_MAX_LENGTH else line[: QUOTE_MAX_LENGTH - 1] + "…"


def serialize(messages: Sequence[Message], *, moderator: bool) -> list[dict[str, Any]]:
    """The messages in the API's shape. `messages` come with MESSAGE_RELATED; three queries more at most
    (mentions, asks, their routes), whatever their number."""
    ids = [m.pk for m in messages]
    mentions: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if any(m.kind in (Kind.CHAT, Kind.ASK) for m in messages):
        for row in Mention.objects.filter(message_id__in=ids).select_related("member__card").order_by("id"):
            mentions[row.message_id].append(_person(row.member))  # type: ignore[arg-type]
    asks: dict[int, Ask] = {}
    routed: dict[int, list[int]] = defaultdict(list)
    ask_ids = [m.pk for m in messages if m.kind == Kind.ASK]
    if ask_ids:
        asks = {a.message_id: a for a in Ask.objects.filter(message_id__in=ask_ids)}
        rows = AskRoute.objects.filter(ask__message_id__in=ask_ids).order_by("rank")
        for message_id, member_id in rows.values_list("ask__message_id", "member_id"):
            routed[message_id].append(member_id)
    return [_out(m, moderator, mentions, asks, routed) for m in messages]


def _shown(deleted_at: Any, hidden_at: Any, moderator: bool) -> bool:
    """Whether the viewer sees a message's content: not deleted, and not hidden unless a moderator."""
    return deleted_at is None and (hidden_at is None or moderator)


def _out(
    m: Message,
    moderator: bool,
    mentions: dict[int, list[dict[str, Any]]],
    asks: dict[int, Ask],
    routed: dict[int, list[int]],
) -> dict[str, Any]:
    shown = _shown(m.deleted_at, m.hidden_at, moderator)
    reply = None
    if m.reply_to_id is not None:
        parent = m.reply_to
        reply = {
            "id": m.reply_to_id,
            "author": _person(parent.author) if parent is not None else None,
            "quote": _quote(parent.text) if parent is not None and not parent.is_removed else "",
            "removed": parent is None or parent.is_removed,
        }
    ask = None
    if m.kind == Kind.ASK and m.pk in asks:
        a = asks[m.pk]
        ask = {
            "status": a.status,
            "routed_to": routed.get(m.pk, []),
            "caught_by": a.caught_by_id,
            "caught_reply_id": a.caught_reply_id,
            "caught_at": a.caught_at,
            "closed_at": a.closed_at,
        }
    return {
        "id": m.pk,
        "prev_id": m.prev_id,
        "kind": m.kind,
        "text": m.text if shown else "",
        "author": _person(m.author),
        "reply_to": reply,
        "created_at": m.created_at,
        "edited_at": m.edited_at,
        "deleted": m.deleted_at is not None,
        "hidden": m.hidden_at is not None,
        "hidden_reason": m.hidden_reason if moderator and m.hidden_at is not None else None,
        "mentions": mentions.get(m.pk, []) if shown else [],
        "ask": ask,
        "payload": m.payload if m.kind not in (Kind.CHAT, Kind.ASK) and shown else None,
    }


def _messages(circle_id: int) -> Any:
    return Message.objects.filter(circle_id=circle_id).select_related(*MESSAGE_RELATED)


def message_get(*, viewer: Membership, message_id: int) -> dict[str, Any]:
    message = _messages(viewer.circle_id).filter(pk=message_id).first()
    if message is None:
        raise NotFound(_("Message not found."))
    return serialize([message], moderator=is_moderator(viewer))[0]


def message_public(*, message_id: int) -> dict[str, Any]:
    """The message as an ordinary member sees it (what the live frame carries)."""
    message = Message.objects.select_related(*MESSAGE_RELATED).get(pk=message_id)
    return serialize([message], moderator=False)[0]


def messages_page(
    *, viewer: Membership, after: int | None = None, before: int | None = None, limit: int = PAGE_DEFAULT
) -> list[dict[str, Any]]:
    """Up to `limit` messages of the viewer's circle, oldest first: the first ones after `after`; else
    the last ones before `before`; else the latest. Both: those between, from `after` on."""
    rows = _page(_messages(viewer.circle_id), after=after, before=before, limit=limit)
    return serialize(rows, moderator=is_moderator(viewer))


def _page(qs: Any, *, after: int | None, before: int | None, limit: int) -> list[Any]:
    if not 1 <= limit <= PAGE_MAX:
        raise ServiceError(_("Ask for 1 to %(n)d messages.") % {"n": PAGE_MAX}, code="bad_limit")
    if after is not None:
        qs = qs.filter(pk__gt=after)
    if before is not None:
        qs = qs.filter(pk__lt=before)
    # Catching up reads forwards from `after`; otherwise the latest ones, turned oldest first.
    return list(qs.order_by("id")[:limit]) if after is not None else list(qs.order_by("-id")[:limit])[::-1]


# What a message's rendered markup is kept under: every column whose change changes what it shows (its own
# edits, deletion and hiding; its ask's state and catcher; the message it replies to; the cards of the
# members it names: their display names). Read with the page, in the same query.
STAMP_FIELDS = (
    "id",
    "prev_id",
    "kind",
    "author_id",
    "edited_at",
    "deleted_at",
    "hidden_at",
    "author__card__updated_at",
    "reply_to_id",
    "reply_to__edited_at",
    "reply_to__deleted_at",
    "reply_to__hidden_at",
    "reply_to__author__card__updated_at",
    "ask__status",
    "ask__caught_by_id",
    "ask__caught_by__card__updated_at",
)


def stream_page(
    *,
    viewer: Membership,
    after: int | None = None,
    before: int | None = None,
    limit: int = PAGE_DEFAULT,
    head: Head | None = None,
) -> list[dict[str, Any]]:
    """The same messages as messages_page, as light rows of STAMP_FIELDS and the payload (no text): what
    the home page needs to find each message's markup already rendered. One query; none when kept under
    the stream's version (`head`) and the circle's members_version (the cards' stamps), in this process too
    (both only grow): a page seen before neither reads nor unpickles its rows. The rows are shared: never
    change them."""

    def read() -> list[dict[str, Any]]:
        qs = Message.objects.filter(circle_id=viewer.circle_id).values(*STAMP_FIELDS, "payload")
        return _page(qs, after=after, before=before, limit=limit)

    if head is None or head.version is None:
        return read()
    circle = viewer.circle
    parts = (circle.pk, head.version, circle.members_version, after, before, limit)
    return cached_value("conversation.rows", parts, read, here=True)


def card_stub(row: dict[str, Any], *, moderator: bool) -> dict[str, Any]:
    """An event card's row of stream_page as far as the API's shape goes without reading it again: what
    its card needs to be looked up for a viewer (its payload, only where the viewer may see it)."""
    shown = _shown(row["deleted_at"], row["hidden_at"], moderator)
    return {
        "id": row["id"],
        "kind": row["kind"],
        "author": {"member_id": row["author_id"]} if row["author_id"] is not None else None,
        "deleted": row["deleted_at"] is not None,
        "hidden": row["hidden_at"] is not None,
        "ask": None,
        "payload": row["payload"] if shown and row["kind"] not in POSTED_KINDS else None,
    }


def messages_by_id(*, viewer: Membership, ids: Sequence[int]) -> list[dict[str, Any]]:
    """These messages of the viewer's circle in the API's shape, oldest first (four queries at most)."""
    rows = list(_messages(viewer.circle_id).filter(pk__in=list(ids)).order_by("id"))
    return serialize(rows, moderator=is_moderator(viewer))


# --- asks --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenAsks:
    items: list[dict[str, Any]]
    total: int  # asks ever posted (not deleted or hidden)
    open: int
    caught: int
    closed: int

    @property
    def catch_rate(self) -> float | None:
        """Caught asks among all asks (None before the first ask)."""
        return round(self.caught / self.total, 4) if self.total else None


def _visible_asks(viewer: Membership) -> tuple[Any, dict[str, int]]:
    """The circle's asks not deleted or hidden, and their counts by status (one query)."""
    visible = Ask.objects.filter(
        circle_id=viewer.circle_id, message__deleted_at__isnull=True, message__hidden_at__isnull=True
    )
    counts = visible.aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(status=Ask.Status.OPEN)),
        caught=Count("id", filter=Q(status=Ask.Status.CAUGHT)),
        closed=Count("id", filter=Q(status=Ask.Status.CLOSED)),
    )
    return visible, counts


def open_asks(*, viewer: Membership, limit: int = OPEN_ASKS_MAX) -> OpenAsks:
    """The circle's open asks, newest first, and its catch rate (five queries at most)."""
    visible, counts = _visible_asks(viewer)
    rows = list(
        _messages(viewer.circle_id)
        .filter(pk__in=visible.filter(status=Ask.Status.OPEN).values("message_id"))
        .order_by("-id")[:limit]
    )
    return OpenAsks(items=serialize(rows, moderator=is_moderator(viewer)), **counts)


def open_asks_summary(*, viewer: Membership, limit: int, head: Head | None = None) -> OpenAsks:
    """The side panel's open asks: the catch rate's counts and the newest open asks as {id, text, author:
    {display_name}} (two queries, no more read than the panel shows; none when kept under the stream's
    version and the circle's members_version, in this process too: both only grow)."""

    def read() -> OpenAsks:
        visible, counts = _visible_asks(viewer)
        rows = (
            visible.filter(status=Ask.Status.OPEN)
            .order_by("-message_id")
            .values_list("message_id", "message__text", "message__author__card__display_name")[:limit]
        )
        items = [{"id": pk, "text": text, "author": {"display_name": name or ""}} for pk, text, name in rows]
        return OpenAsks(items=items, **counts)

    if head is None or head.version is None:
        return read()
    parts = (viewer.circle_id, head.version, viewer.circle.members_version, limit)
    return cached_value("conversation.open-asks", parts, read, here=True)


# --- unread ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unread:
    last_read_id: int
    count: int  # others' messages after the marker, not deleted or hidden
    first_unread_id: int | None


def unread(*, member: Membership, head: Head | None = None) -> Unread:
    """Where the member stopped reading, how many messages came since and the first of them (2 queries; with
    the stream's `head`, none when kept under its version and the member's marker)."""
    if head is None:
        last = ReadMarker.objects.filter(member=member).values_list("last_read_id", flat=True).first() or 0
    else:
        last = head.last_read_id

    def read() -> Unread:
        agg = (
            Message.objects.filter(
                circle_id=member.circle_id, pk__gt=last, deleted_at__isnull=True, hidden_at__isnull=True
            )
            .exclude(author=member)
            .aggregate(n=Count("id"), first=Min("id"))
        )
        return Unread(last_read_id=last, count=agg["n"], first_unread_id=agg["first"])

    if head is None or head.version is None:
        return read()
    return cached_value("conversation.unread", (member.pk, last, head.version), read)


@dataclass(frozen=True)
class Head:
    version: int | None  # the stream's version (None: the circle has no stream yet)
    last_read_id: int  # the member's read marker (0: none yet)


def stream_head(*, member: Membership) -> Head:
    """The circle's stream version and the member's read marker, in one query: what the home page keeps its
    reads of the stream under."""
    with connection.cursor() as cursor:
        cursor.execute(_HEAD_SQL, [member.circle_id, member.pk])
        found_version, last = cursor.fetchone()
    return Head(version=found_version, last_read_id=last or 0)


# stream_head's query, hand-written (the ORM's two subqueries cost ~1 ms to compile on every home page).
_HEAD_SQL = (
    f"SELECT (SELECT s.version FROM {Stream._meta.db_table} s WHERE s.circle_id = %s),"  # noqa: S608
    f" (SELECT r.last_read_id FROM {ReadMarker._meta.db_table} r WHERE r.member_id = %s)"
)


# --- search ------------------------------------------------------------------------------------------


def search(*, viewer: Membership, q: str, limit: int = SEARCH_RESULTS_MAX) -> list[dict[str, Any]]:
    """Messages matching every token of `q` (jieba tokens, as the directory), newest first, each with
    the message before and after it in the stream (six queries at most). Deleted and hidden messages are
    not found."""
    tokens = search_text.query_tokens(q)
    if not tokens:
        raise ServiceError(_("Type something to search for."), code="empty_query")
    qs = _messages(viewer.circle_id).filter(deleted_at__isnull=True, hidden_at__isnull=True)
    for token in tokens:
        qs = qs.filter(search_document__contains=token)
    hits = list(qs.order_by("-id")[:limit])
    if not hits:
        return []
    hit_ids = [m.pk for m in hits]
    prev_ids = [m.prev_id for m in hits if m.prev_id is not None]
    neighbours = list(
        _messages(viewer.circle_id)
        .filter(Q(pk__in=prev_ids) | Q(prev_id__in=hit_ids))
        .exclude(pk__in=hit_ids)
    )
    everything = {m.pk: m for m in [*hits, *neighbours]}
    shaped = dict(
        zip(everything, serialize(list(everything.values()), moderator=is_moderator(viewer)), strict=True)
    )
    after = {m.prev_id: m.pk for m in everything.values() if m.prev_id is not None}
    return [
        {
            "message": shaped[m.pk],
            "before": shaped.get(m.prev_id) if m.prev_id is not None else None,
            "after": shaped.get(after[m.pk]) if m.pk in after else None,
        }
        for m in hits
    ]


# --- what the router reads ---------------------------------------------------------------------------


def _model_key(circle_id: int) -> str:
    return f"conversation:route-model:{circle_id}"


def route_learning_key(circle_id: int) -> str:
    """Held while the circle's weights are being learned in the background (one learning at a time)."""
    return f"conversation:route-learning:{circle_id}"


def _generation(history: Sequence[routing.Ask]) -> int:
    return sum(1 for a in history if a.answers) // ROUTE_RELEARN_EVERY


def route_model(*, circle_id: int, history: Sequence[routing.Ask]) -> tuple[Model, bool]:
    """The router's weights last learned for the circle (the engine's defaults before any), and whether
    they are fresh: learned within the last ROUTE_RELEARN_EVERY answered asks. No query (the cache)."""
    cached = cache.get(_model_key(circle_id))
    if cached is None:
        return Model(weights=dict(DEFAULT_WEIGHTS), training_asks=0, validation_mrr=None), False
    generation, model = cached
    return model, generation == _generation(history)


def route_model_learn(*, circle_id: int) -> Model:
    """Learn the router's weights from the circle's history and keep them (the background task's work)."""
    history = routing_inputs(circle_id=circle_id).history
    model = learn(history)
    cache.set(_model_key(circle_id), (_generation(history), model), ROUTE_MODEL_TTL_SECONDS)
    return model


@dataclass(frozen=True)
class RoutingInputs:
    history: list[routing.Ask]
    profiles: list[routing.Profile]
    closeness: dict[str, dict[str, float]]
    members: dict[int, Membership]  # the active members, by id


def routing_inputs(*, circle_id: int) -> RoutingInputs:
    """The circle's asks with who answered them (replies, and the member who caught it), the active
    members' cards (offers, offer tags, industries) and the trust graph, for the router (six queries)."""
    asks = list(
        Ask.objects.filter(
            circle_id=circle_id, message__deleted_at__isnull=True, message__hidden_at__isnull=True
        )
        .select_related("message")
        .order_by("-id")[:ROUTE_HISTORY_MAX]
    )
    replies: dict[int, list[routing.Answer]] = defaultdict(list)
    rows = Message.objects.filter(
        reply_to_id__in=[a.message_id for a in asks],
        author__isnull=False,
        deleted_at__isnull=True,
        hidden_at__isnull=True,
    ).values_list("reply_to_id", "author_id", "text", "created_at")
    for parent, author, text, created in rows:
        replies[parent].append(routing.Answer(user=str(author), body=text, created=created))
    history = []
    for a in reversed(asks):
        answers = replies.get(a.message_id, [])
        catcher = str(a.caught_by_id)
        if a.caught_by_id is not None and a.caught_at is not None and all(x.user != catcher for x in answers):
            answers = [*answers, routing.Answer(user=str(a.caught_by_id), body="", created=a.caught_at)]
        history.append(
            routing.Ask(
                id=str(a.message_id),
                title=a.message.text,
                created=a.message.created_at,
                asker=str(a.message.author_id),
                answers=tuple(answers),
            )
        )
    members = {
        m.pk: m
        for m in directory_queryset(circle_id=circle_id)
        .select_related("card")
        .prefetch_related("card__industries")
    }
    tags: dict[int, list[str]] = defaultdict(list)
    for card_id, name in CardTag.objects.filter(
        card__membership__in=list(members), kind=CardTag.Kind.OFFER
    ).values_list("card_id", "name"):
        tags[card_id].append(name)
    profiles = []
    for m in members.values():
        card = getattr(m, "card", None)
        if card is None:
            continue
        industries: list[str] = []
        for ind in card.industries.all():
            industries += [ind.name_zh, ind.name_en, *(w for w in _SYNONYM_SPLIT.split(ind.synonyms) if w)]
        profiles.append(
            routing.Profile(
                user=str(m.pk), offers=card.offers, tags=tuple(tags[card.pk]), industries=tuple(industries)
            )
        )
    closeness: dict[str, dict[str, float]] = defaultdict(dict)
    for low, high, weight in trust_edges(circle_id=circle_id):
        closeness[str(low)][str(high)] = weight
        closeness[str(high)][str(low)] = weight
    return RoutingInputs(history=history, profiles=profiles, closeness=dict(closeness), members=members)


def posts_by_member_day(*, circle_id: int) -> list[tuple]:
    """Messages members wrote (chat and asks, deleted ones aside), counted per author and day in the
    circle's zone, for the health page: (author_id, day, messages). One query."""
    from django.db.models.functions import TruncDate
    from django.utils import timezone

    return list(
        Message.objects.filter(circle_id=circle_id, kind__in=(Kind.CHAT, Kind.ASK), deleted_at__isnull=True)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_default_timezone()))
        .values("author_id", "day")
        .annotate(n=Count("id"))
        .order_by("author_id", "day")
        .values_list("author_id", "day", "n")
    )


def ask_timeline(*, circle_id: int) -> list[tuple]:
    """Every ask of the circle, for the health page: (ask_id, asked_at, caught_at). One query."""
    return list(
        Ask.objects.filter(circle_id=circle_id)
        .order_by("id")
        .values_list("id", "message__created_at", "caught_at")
    )


# --- topicality --------------------------------------------------------------------------------------


def _topic_model_key(circle_id: int) -> str:
    return f"conversation:topic-model:{circle_id}"


def topic_learning_key(circle_id: int) -> str:
    """Held while the circle's topicality model is being learned in the background (one at a time)."""
    return f"conversation:topic-learning:{circle_id}"


def _on_topic_messages() -> Q:
    """A member's message the circle's model learns its trade from: judged on topic, or an ask caught."""
    return Q(topic_label=TopicLabel.ON_TOPIC) | Q(ask__status=Ask.Status.CAUGHT)


def topic_fingerprint(*, circle_id: int) -> tuple[str, ...]:
    """What the circle's model was learned from, coarsely: the circle (its creation), its active cards (how
    many, the latest change) and its on-topic messages by TOPIC_RELEARN_EVERY (three queries)."""
    created = Circle.objects.filter(pk=circle_id).values_list("created_at", flat=True).first()
    cards = MemberCard.objects.filter(
        membership__circle_id=circle_id, membership__status=Membership.Status.ACTIVE
    ).aggregate(n=Count("id"), latest=Max("updated_at"))
    on_topic = (
        Message.objects.filter(circle_id=circle_id, kind__in=POSTED_KINDS, deleted_at__isnull=True)
        .filter(_on_topic_messages())
        .count()
    )
    return (
        str(created),
        str(cards["n"]),
        str(cards["latest"]),
        str(on_topic // TOPIC_RELEARN_EVERY),
    )


def topic_model(*, circle_id: int) -> tuple[topicality.Model | None, bool]:
    """The circle's topicality model last learned (None before the first, or for another circle that had
    this id) and whether it is fresh (learned from what the circle holds now). Three queries."""
    fingerprint = topic_fingerprint(circle_id=circle_id)
    cached = cache.get(_topic_model_key(circle_id))
    if cached is None:
        return None, False
    learned_from, model = cached
    if learned_from[0] != fingerprint[0]:
        return None, False
    return model, learned_from == fingerprint


def topic_trade(*, circle_id: int) -> topicality.Trade:
    """What the circle's model learns its trade from: the active members' cards (offers, needs, tags,
    industries), the curated taxonomy and the circle's own industries, and its latest on-topic messages
    (five queries)."""
    cards = list(
        MemberCard.objects.filter(
            membership__circle_id=circle_id, membership__status=Membership.Status.ACTIVE
        ).prefetch_related("industries", "tags")
    )
    taxonomy = [
        topicality.Industry(
            names=(i.name_zh, i.name_en), synonyms=tuple(w for w in _SYNONYM_SPLIT.split(i.synonyms) if w)
        )
        for i in Industry.objects.filter(Q(circle__isnull=True) | Q(circle_id=circle_id))
    ]
    texts = list(
        Message.objects.filter(
            circle_id=circle_id, kind__in=POSTED_KINDS, deleted_at__isnull=True, hidden_at__isnull=True
        )
        .filter(_on_topic_messages())
        .order_by("-id")
        .values_list("text", flat=True)[: topicality.engine.MESSAGES_MAX]
    )
    return topicality.Trade(
        cards=[
            topicality.Card(
                offers=c.offers,
                needs=c.needs,
                tags=tuple(t.name for t in c.tags.all()),
                industries=tuple(
                    w
                    for i in c.industries.all()
                    for w in (i.name_zh, i.name_en, *_SYNONYM_SPLIT.split(i.synonyms))
                    if w
                ),
            )
            for c in cards
        ],
        taxonomy=taxonomy,
        messages=texts[::-1],
    )


def topic_model_learn(*, circle_id: int) -> topicality.Model:
    """Learn the circle's topicality model and keep it (the background task's work: a second or so)."""
    fingerprint = topic_fingerprint(circle_id=circle_id)
    model = topicality.build(topic_trade(circle_id=circle_id))
    cache.set(_topic_model_key(circle_id), (fingerprint, model), TOPIC_MODEL_TTL_SECONDS)
    return model


def slow_mode_seconds(*, circle_id: int) -> int:
    """The circle's slow mode: seconds between a member's posts (0: off). One query."""
    return Stream.objects.filter(circle_id=circle_id).values_list("slow_mode_seconds", flat=True).first() or 0


def label_counts_by_month(*, circle_id: int) -> list[dict[str, Any]]:
    """Members' messages (chat and asks, deleted ones aside) by month in the site's zone and topicality
    label, oldest month first: {"month": date, "on_topic", "chatter", "off_industry", "unlabelled",
    "confirmed"} ("confirmed": posted anyway after a nudge). For the health page; one query."""
    rows = (
        Message.objects.filter(circle_id=circle_id, kind__in=POSTED_KINDS, deleted_at__isnull=True)
        .annotate(month=TruncMonth("created_at", tzinfo=timezone.get_default_timezone()))
        .values("month")
        .annotate(
            on_topic=Count("id", filter=Q(topic_label=TopicLabel.ON_TOPIC)),
            chatter=Count("id", filter=Q(topic_label=TopicLabel.CHATTER)),
            off_industry=Count("id", filter=Q(topic_label=TopicLabel.OFF_INDUSTRY)),
            unlabelled=Count("id", filter=Q(topic_label__isnull=True)),
            confirmed=Count("id", filter=Q(topic_confirmed=True)),
        )
        .order_by("month")
    )
    out = []
    for row in rows:
        month = row["month"]
        out.append({**row, "month": month.date() if hasattr(month, "date") else month})
    return out


def label_counts_by_member(*, circle_id: int) -> dict[int, dict[str, int]]:
    """Members' messages by author and label ({author_id: {"on_topic": n, …, "unlabelled": n}}). One query."""
    out: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys([*TopicLabel.values, "unlabelled"], 0))
    rows = (
        Message.objects.filter(circle_id=circle_id, kind__in=POSTED_KINDS, deleted_at__isnull=True)
        .values_list("author_id", "topic_label")
        .annotate(n=Count("id"))
        .order_by()
    )
    for author_id, label, n in rows:
        out[author_id][label or "unlabelled"] += n
    return dict(out)


def messages_of_member(*, member_ids: list[int]) -> list:
    """The messages these memberships wrote (a deleted one without its text), for the member's own export.
    One query."""
    rows = list(
        Message.objects.filter(author_id__in=member_ids)
        .order_by("id")
        .values(
            "id",
            "circle_id",
            "kind",
            "text",
            "reply_to_id",
            "created_at",
            "edited_at",
            "deleted_at",
            "hidden_at",
        )
    )
    for row in rows:
        if row["deleted_at"] is not None:
            row["text"] = ""
    return rows
