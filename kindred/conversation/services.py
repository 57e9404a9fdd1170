"""Every state change of the conversation: posting (chat, asks routed to who can catch them, event cards),
editing, deleting, hiding, catching and closing asks, read markers.

Each service is atomic: it locks what it changes, then checks, writes one audit row, and leaves its side
effects to after the commit (notifications are rows in the same transaction; the live frame goes out through
`live.publish` once committed). A post locks the circle's stream head, so ids are assigned and committed in
the stream's order and each message names its predecessor.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kindred.circles import text as search_text
from kindred.circles.models import Membership
from kindred.core.services import Conflict, NotFound, PermissionDenied, ServiceError, audit_record
from kindred.core.tasks import enqueue_on_commit
from kindred.core.text import clean_line, clean_multiline
from kindred.notifications.services import notification_send

from . import live, notices, topicality
from .audit import Action
from .models import (
    CLIENT_ID_MAX_LENGTH,
    EDIT_WINDOW,
    EVENT_KEY_MAX_LENGTH,
    EVENT_KINDS,
    HIDE_REASON_MAX_LENGTH,
    MENTIONS_MAX,
    MESSAGE_MAX_LENGTH,
    POSTED_KINDS,
    ROUTE_TOP_N,
    SLOW_MODE_MAX_SECONDS,
    TOPIC_BACKFILL_MAX,
    Ask,
    AskRoute,
    Kind,
    Mention,
    Message,
    ReadMarker,
    Stream,
)

EXCERPT_LENGTH = 80  # characters of a message quoted in a notification
LEARNING_CLAIM_SECONDS = 600  # one background learning of a circle's router weights at a time
TOPIC_LEARNING_CLAIM_SECONDS = 600  # one background learning of a circle's topicality model at a time

# An @ starts a mention unless it follows a letter or digit of an e-mail address (name@example.com).
_MENTION_AT = re.compile(r"(?<![A-Za-z0-9._%+\-])@")
# What an unknown mention names: up to the next space or punctuation.
_MENTION_WORD = re.compile(r"[^\s@,，。.!！?？:：;；、()（）\[\]【】\"'“”‘’]{1,64}")


def _excerpt(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= EXCERPT_LENGTH else line[: EXCERPT_LENGTH - 1] + "…"


def _url(member: Membership, message_id: int) -> str:
    return reverse("conversation:home", kwargs={"slug": member.circle.slug}) + f"#m{message_id}"


def _message_text(text: Any) -> str:
    return clean_multiline(text, label=_("Message"), max_length=MESSAGE_MAX_LENGTH, required=True)


def _publish_message(circle_id: int, message_id: int) -> None:
    """After commit: the message as a member sees it, to the circle's live connections."""

    def send() -> None:
        from .schemas import MessageOut
        from .selectors import message_public

        shaped = MessageOut.model_validate(message_public(message_id=message_id)).model_dump(mode="json")
        live.publish(circle_id, {"type": "message", "message": shaped})

    transaction.on_commit(send, robust=True)


def _tell(
    recipients: list[Membership], kind: str, actor: Membership, message: Message, **params: Any
) -> None:
    """Notify `recipients` about `message` (the actor is never told of their own act)."""
    if recipients:
        notification_send(
            recipients=recipients,
            kind=kind,
            circle=actor.circle,
            actor=actor,
            target=message,
            params={"excerpt": _excerpt(message.text), **params},
            url=_url(actor, message.pk),
        )


def _active(member: Membership) -> None:
    if not Membership.objects.filter(pk=member.pk, status=Membership.Status.ACTIVE).exists():
        raise PermissionDenied(_("You are no longer a member of this circle."), code="actor_removed")


def _is_moderator(member: Membership) -> bool:
    return member.role in (Membership.Role.ORGANIZER, Membership.Role.ADMIN)


# --- mentions ----------------------------------------------------------------------------------------


def mentions_parse(*, circle_id: int, text: str) -> list[Membership]:
    """The active members `text` mentions as @display name, in order of first mention (one query).

    After an @ the longest display name of an active member that the text continues with is taken, so
    "@王兄你好" mentions 王兄 and "@Li Wei, hi" mentions "Li Wei". An @ that names nobody is refused
    (400, naming it); an @ inside an e-mail address or followed by a space is not a mention."""
    ats = [m.end() for m in _MENTION_AT.finditer(text)]
    ats = [i for i in ats if i < len(text) and not text[i].isspace()]
    if not ats:
        return []
    members = list(
        Membership.objects.select_related("card").filter(circle_id=circle_id, status=Membership.Status.ACTIVE)
    )
    by_name: dict[str, Membership] = {}
    for m in members:
        name = getattr(getattr(m, "card", None), "display_name", "")
        if name:
            by_name.setdefault(name.casefold(), m)
    names = sorted(by_name, key=len, reverse=True)
    found: dict[int, Membership] = {}
    for start in ats:
        rest = text[start : start + 64].casefold()
        hit = next((n for n in names if rest.startswith(n)), None)
        if hit is None:
            word = _MENTION_WORD.match(text, start)
            raise ServiceError(
                _("Nobody called “%(name)s” is a member of this circle.")
                % {"name": word.group(0) if word else text[start : start + 16]},
                code="unknown_mention",
            )
        found.setdefault(by_name[hit].pk, by_name[hit])
    if len(found) > MENTIONS_MAX:
        raise ServiceError(
            _("Mention at most %(n)d members in one message.") % {"n": MENTIONS_MAX}, code="too_many_mentions"
        )
    return list(found.values())


# --- topicality and slow mode ------------------------------------------------------------------------


class OffTopic(Conflict):
    """The message looks off-topic for the circle and the poster has not confirmed: nothing was posted."""

    def __init__(self, message: Any, *, label: str, score: float) -> None:
        super().__init__(message, code="off_topic")
        self.label = label
        self.score = score


class TooSoon(ServiceError):
    """Slow mode: the member posted less than the circle's interval ago (429)."""

    status_code = 429

    def __init__(self, message: Any, *, retry_after: int) -> None:
        super().__init__(message, code="slow_mode")
        self.retry_after = retry_after


def _topic_verdict(circle_id: int, text: str, kind: str) -> topicality.Verdict | None:
    """The circle's cached model's verdict (None: no model yet, or an event). A missing or stale model is
    learned again in the background after the commit; a post never waits for learning."""
    from .selectors import topic_learning_key, topic_model

    model, fresh = topic_model(circle_id=circle_id)
    if not fresh and cache.add(topic_learning_key(circle_id), 1, TOPIC_LEARNING_CLAIM_SECONDS):
        from .tasks import topic_model_learn

        enqueue_on_commit(topic_model_learn, circle_id)
    return model.judge(text, kind=kind) if model is not None else None


def _slow_mode_check(author: Membership, seconds: int, now: datetime) -> None:
    """Refuse a member's post within `seconds` of their last one (the organizer and admins are exempt)."""
    if not seconds or _is_moderator(author):
        return
    last = (
        Message.objects.filter(circle_id=author.circle_id, author=author, kind__in=POSTED_KINDS)
        .order_by("-id")
        .values_list("created_at", flat=True)
        .first()
    )
    if last is None:
        return
    wait = seconds - int((now - last).total_seconds())
    if wait > 0:
        raise TooSoon(
            ngettext(
                "Slow mode is on in this circle: you can post again in %(n)d second.",
                "Slow mode is on in this circle: you can post again in %(n)d seconds.",
                wait,
            )
            % {"n": wait},
            retry_after=wait,
        )


@transaction.atomic
def slow_mode_set(*, moderator: Membership, seconds: int, at: datetime | None = None) -> Stream:
    """The organizer or an admin turns slow mode on (a member posts at most once every `seconds`) or off
    (0). At most SLOW_MODE_MAX_SECONDS."""
    _active(moderator)
    if not _is_moderator(moderator):
        raise PermissionDenied(
            _("Only the organizer or an admin can change slow mode."), code="not_moderator"
        )
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 <= seconds <= SLOW_MODE_MAX_SECONDS:
        raise ServiceError(
            _("Slow mode is 0 (off) to %(n)d seconds.") % {"n": SLOW_MODE_MAX_SECONDS}, code="bad_slow_mode"
        )
    stream = _stream_lock(moderator.circle_id)
    before = stream.slow_mode_seconds
    if before == seconds:
        return stream
    stream.slow_mode_seconds = seconds
    stream.save(update_fields=["slow_mode_seconds"])
    audit_record(
        at=at,
        action=Action.SLOW_MODE_SET,
        actor=moderator.user,
        circle_id=moderator.circle_id,
        target=stream,
        data={"from": before, "to": seconds},
    )
    return stream


@transaction.atomic
def topic_labels_backfill(*, circle_id: int, model: topicality.Model) -> int:
    """Label the circle's members' messages that have no label yet (posted before the circle had a model),
    the latest TOPIC_BACKFILL_MAX; events stay unlabelled. One audit row for the batch."""
    rows = list(
        Message.objects.filter(circle_id=circle_id, kind__in=POSTED_KINDS, topic_label__isnull=True)
        .exclude(text="")
        .order_by("-id")
        .only("id", "text", "kind")[:TOPIC_BACKFILL_MAX]
    )
    verdicts = topicality.judge_all(model, [m.text for m in rows])
    for m, v in zip(rows, verdicts, strict=True):
        m.topic_label, m.topic_score = v.label, round(v.score, 4)
    Message.objects.bulk_update(rows, ["topic_label", "topic_score"], batch_size=500)
    if rows:
        audit_record(
            action=Action.TOPICS_LABELLED,
            actor=None,
            circle_id=circle_id,
            data={"messages": len(rows)},
        )
    return len(rows)


# --- posting -----------------------------------------------------------------------------------------


def _slow_mode_seconds(circle_id: int) -> int:
    from .selectors import slow_mode_seconds

    return slow_mode_seconds(circle_id=circle_id)


def _stream_lock(circle_id: int) -> Stream:
    Stream.objects.get_or_create(circle_id=circle_id)
    return Stream.objects.select_for_update().get(circle_id=circle_id)


def _append(stream: Stream, message: Message) -> Message:
    """Save `message` as the next of the locked stream."""
    message.prev_id = stream.last_message_id
    message.save()
    stream.last_message_id = message.pk
    stream.version += 1
    stream.save(update_fields=["last_message_id", "version"])
    return message


def _stream_touch(circle_id: int) -> None:
    """Move the stream's version: inside the transaction of every change to what a message shows."""
    Stream.objects.filter(circle_id=circle_id).update(version=F("version") + 1)


@dataclass(frozen=True)
class Posted:
    message: Message
    created: bool  # False: the same client_id was posted before, and this is that first message


@transaction.atomic
def message_post(
    *,
    author: Membership,
    text: str,
    kind: str = Kind.CHAT,
    reply_to_id: int | None = None,
    client_id: str | None = None,
    confirm_off_topic: bool = False,
    at: datetime | None = None,
) -> Posted:
    """Post a chat message or an ask to the author's circle.

    The text follows the core text rule (required, at most MESSAGE_MAX_LENGTH, no control characters);
    every @name must be an active member; a reply's parent must be in the same circle. The same
    `client_id` from the same author returns the first message (created False), also when both arrive
    at once. An ask is routed to the members most likely to catch it (AskRoute rows) and they are told;
    the mentioned members are told. `at` back-dates the post (the demo's replay: nobody is notified).

    The circle's topicality model labels the message; one that looks off-topic (topicality.nudges) is not
    posted unless `confirm_off_topic` (OffTopic, 409, nothing stored: the poster is asked privately). In
    slow mode a member posts at most once every `slow_mode_seconds` (TooSoon, 429); the organizer and
    admins are exempt. A replay (`at`) is labelled and never nudged."""
    if kind not in (Kind.CHAT, Kind.ASK):
        raise ServiceError(_("A message is a chat message or an ask."), code="bad_kind")
    client_id = clean_line(client_id, label=_("Client id"), max_length=CLIENT_ID_MAX_LENGTH) or None
    if client_id is not None:
        first = Message.objects.filter(author=author, client_id=client_id).first()
        if first is not None:
            return Posted(first, False)
    body = _message_text(text)
    mentioned = mentions_parse(circle_id=author.circle_id, text=body)
    reply_to = None
    if reply_to_id is not None:
        reply_to = Message.objects.filter(pk=reply_to_id, circle_id=author.circle_id).first()
        if reply_to is None:
            raise ServiceError(_("You can only reply to a message of this circle."), code="bad_reply_to")
    now = at or timezone.now()
    slow = 0 if _is_moderator(author) else _slow_mode_seconds(author.circle_id)
    _slow_mode_check(author, slow, now)  # early, so nobody confirms a post that would be refused anyway
    verdict = _topic_verdict(author.circle_id, body, kind)
    nudged = topicality.nudges(verdict, reply=reply_to is not None)
    if nudged and not confirm_off_topic and at is None:
        assert verdict is not None
        raise OffTopic(
            _("This looks off-topic for %(circle)s: post it anyway?") % {"circle": author.circle.name},
            label=verdict.label,
            score=round(verdict.score, 4),
        )
    routes = _route(author=author, text=body, now=now) if kind == Kind.ASK else []

    stream = _stream_lock(author.circle_id)
    _active(author)
    if client_id is not None:
        # Under the stream's lock: a concurrent post of the same client_id has committed or not begun.
        first = Message.objects.filter(author=author, client_id=client_id).first()
        if first is not None:
            return Posted(first, False)
    _slow_mode_check(author, stream.slow_mode_seconds, now)  # under the lock: two posts at once, one passes
    try:
        with transaction.atomic():
            message = _append(
                stream,
                Message(
                    circle_id=author.circle_id,
                    author=author,
                    kind=kind,
                    text=body,
                    reply_to=reply_to,
                    client_id=client_id,
                    created_at=now,
                    search_document=search_text.search_document([body]),
                    topic_label=verdict.label if verdict is not None else None,
                    topic_score=round(verdict.score, 4) if verdict is not None else None,
                    topic_confirmed=nudged and confirm_off_topic,
                ),
            )
    except IntegrityError:
        # Only a post outside the lock's protection (another circle's stream cannot share the author)
        # could get here: the first message of this client_id wins.
        first = Message.objects.filter(author=author, client_id=client_id).first()
        if first is None:
            raise
        return Posted(first, False)
    Mention.objects.bulk_create([Mention(message=message, member=m) for m in mentioned])
    routed: list[Membership] = []
    if kind == Kind.ASK:
        ask = Ask.objects.create(message=message, circle_id=author.circle_id)
        AskRoute.objects.bulk_create(
            AskRoute(ask=ask, member=m, rank=i, score=score, reason=reason)
            for i, (m, score, reason) in enumerate(routes, start=1)
        )
        routed = [m for m, _s, _r in routes]
    audit_record(
        at=at,
        action=Action.MESSAGE_POSTED,
        actor=author.user,
        circle_id=author.circle_id,
        target=message,
        data={
            "kind": kind,
            "mentions": [m.pk for m in mentioned],
            "routed_to": [m.pk for m in routed],
            "topic": verdict.label if verdict is not None else None,
            "confirmed_off_topic": nudged and confirm_off_topic,
        },
    )
    if at is None:
        _tell(routed, notices.ASK_ROUTED.name, author, message)
        told = {m.pk for m in routed}
        _tell([m for m in mentioned if m.pk not in told], notices.MENTIONED.name, author, message)
    _publish_message(author.circle_id, message.pk)
    return Posted(message, True)


def _route(*, author: Membership, text: str, now: datetime) -> list[tuple[Membership, float, dict[str, Any]]]:
    """The members the ask should reach, best first (at most ROUTE_TOP_N), each with the router's score and
    reasons. Only members the router has evidence for (their card or what they answered matches the ask)."""
    from kindred.conversation.routing import Ask as RoutedAsk
    from kindred.conversation.routing import Router

    from .selectors import route_learning_key, route_model, routing_inputs

    inputs = routing_inputs(circle_id=author.circle_id)
    model, fresh = route_model(circle_id=author.circle_id, history=inputs.history)
    if not fresh and cache.add(route_learning_key(author.circle_id), 1, LEARNING_CLAIM_SECONDS):
        from .tasks import route_model_learn  # the task module imports this one's neighbours

        enqueue_on_commit(route_model_learn, author.circle_id)
    router = Router(inputs.history, profiles=inputs.profiles, closeness=inputs.closeness, model=model)
    ranked = router.rank(RoutedAsk(id="new", title=text, created=now, asker=str(author.pk)))
    out: list[tuple[Membership, float, dict[str, Any]]] = []
    for r in ranked:
        member = inputs.members.get(int(r.user))
        if member is None or member.pk == author.pk:
            continue  # removed since, or the asker
        if not (r.reason.terms or r.reason.similar_answered):
            continue
        out.append(
            (
                member,
                r.score,
                {
                    "terms": list(r.reason.terms),
                    "similar_answered": r.reason.similar_answered,
                    "answers": r.reason.answers,
                    "median_hours": r.reason.median_hours,
                    "exchanges": r.reason.exchanges,
                },
            )
        )
        if len(out) == ROUTE_TOP_N:
            break
    return out


# --- changing a message ------------------------------------------------------------------------------


def _lock_message(message_id: int, member: Membership) -> Message:
    """The message, locked, if it is in the member's circle (NotFound otherwise: nothing to tell)."""
    message = (
        Message.objects.select_for_update(of=("self",))
        .select_related("author")
        .filter(pk=message_id, circle_id=member.circle_id)
        .first()
    )
    if message is None:
        raise NotFound(_("Message not found."))
    _active(member)
    return message


@transaction.atomic
def message_edit(*, message_id: int, member: Membership, text: str, at: datetime | None = None) -> Message:
    """The author changes their message's text within EDIT_WINDOW of posting it (mentions are re-read;
    newly mentioned members are told)."""
    message = _lock_message(message_id, member)
    if message.author_id != member.pk:
        raise PermissionDenied(_("Only its author can edit a message."), code="not_author")
    if message.is_removed:
        raise Conflict(_("This message was removed."), code="removed")
    now = at or timezone.now()
    if now - message.created_at > EDIT_WINDOW:
        raise PermissionDenied(
            _("A message can be edited for %(n)d minutes after posting.")
            % {"n": EDIT_WINDOW.total_seconds() // 60},
            code="edit_window_over",
        )
    body = _message_text(text)
    mentioned = mentions_parse(circle_id=member.circle_id, text=body)
    if body == message.text:
        return message
    before = set(Mention.objects.filter(message=message).values_list("member_id", flat=True))
    Mention.objects.filter(message=message).exclude(member_id__in=[m.pk for m in mentioned]).delete()
    Mention.objects.bulk_create([Mention(message=message, member=m) for m in mentioned if m.pk not in before])
    old = message.text
    message.text = body
    message.edited_at = now
    message.search_document = search_text.search_document([body])
    verdict = _topic_verdict(member.circle_id, body, message.kind)  # labelled again, never nudged
    message.topic_label = verdict.label if verdict is not None else None
    message.topic_score = round(verdict.score, 4) if verdict is not None else None
    message.save(update_fields=["text", "edited_at", "search_document", "topic_label", "topic_score"])
    _stream_touch(message.circle_id)
    audit_record(
        at=at,
        action=Action.MESSAGE_EDITED,
        actor=member.user,
        circle_id=member.circle_id,
        target=message,
        data={"before": _excerpt(old)},
    )
    if at is None:
        _tell([m for m in mentioned if m.pk not in before], notices.MENTIONED.name, member, message)
    _publish_message(member.circle_id, message.pk)
    return message


@transaction.atomic
def message_delete(*, message_id: int, member: Membership, at: datetime | None = None) -> Message:
    """The author deletes their message: it stays in the stream as a tombstone (its place, no text)."""
    message = _lock_message(message_id, member)
    if message.author_id != member.pk:
        raise PermissionDenied(_("Only its author can delete a message."), code="not_author")
    if message.deleted_at is not None:
        return message
    message.deleted_at = at or timezone.now()
    message.save(update_fields=["deleted_at"])
    _stream_touch(message.circle_id)
    audit_record(
        at=at,
        action=Action.MESSAGE_DELETED,
        actor=member.user,
        circle_id=member.circle_id,
        target=message,
    )
    _publish_message(member.circle_id, message.pk)
    return message


@transaction.atomic
def message_hide(
    *, message_id: int, moderator: Membership, reason: str, at: datetime | None = None
) -> Message:
    """The organizer or an admin hides a message, with a reason (kept with it and in the audit log): the
    circle sees a tombstone, moderators still see the text and the reason, and the author is told."""
    message = _lock_message(message_id, moderator)
    if not _is_moderator(moderator):
        raise PermissionDenied(_("Only the organizer or an admin can hide a message."), code="not_moderator")
    reason = clean_line(reason, label=_("Reason"), max_length=HIDE_REASON_MAX_LENGTH, required=True)
    if message.hidden_at is not None:
        raise Conflict(_("This message is already hidden."), code="already_hidden")
    message.hidden_at = at or timezone.now()
    message.hidden_by = moderator
    message.hidden_reason = reason
    message.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
    _stream_touch(message.circle_id)
    audit_record(
        at=at,
        action=Action.MESSAGE_HIDDEN,
        actor=moderator.user,
        circle_id=moderator.circle_id,
        target=message,
        data={"reason": reason, "author": message.author_id},
    )
    if message.author is not None and at is None:
        _tell([message.author], notices.MESSAGE_HIDDEN.name, moderator, message, reason=reason)
    _publish_message(moderator.circle_id, message.pk)
    return message


# --- asks --------------------------------------------------------------------------------------------


def _lock_ask(message_id: int, member: Membership) -> tuple[Message, Ask]:
    message = _lock_message(message_id, member)
    ask = Ask.objects.select_for_update().filter(message=message).first()
    if ask is None:
        raise ServiceError(_("This message is not an ask."), code="not_an_ask")
    return message, ask


@transaction.atomic
def ask_mark_caught(
    *,
    message_id: int,
    member: Membership,
    reply_id: int | None = None,
    catcher_id: int | None = None,
    at: datetime | None = None,
) -> Ask:
    """The asker marks their ask caught: by a reply to it (its author caught it) or by a member. The
    catcher must be an active member of the circle other than the asker."""
    message, ask = _lock_ask(message_id, member)
    if message.author_id != member.pk:
        raise PermissionDenied(_("Only the asker can mark an ask caught."), code="not_asker")
    if ask.status != Ask.Status.OPEN:
        raise Conflict(_("This ask is no longer open."), code="not_open")
    if (reply_id is None) == (catcher_id is None):
        raise ServiceError(_("Say who caught it: a reply or a member."), code="no_catcher")
    reply = None
    if reply_id is not None:
        reply = Message.objects.filter(
            pk=reply_id, circle_id=member.circle_id, reply_to=message, deleted_at__isnull=True
        ).first()
        if reply is None or reply.author_id is None:
            raise ServiceError(_("Choose a reply to this ask."), code="bad_reply")
        catcher_id = reply.author_id
    catcher = Membership.objects.filter(
        pk=int(catcher_id or 0), circle_id=member.circle_id, status=Membership.Status.ACTIVE
    ).first()
    if catcher is None:
        raise ServiceError(_("The catcher must be an active member of this circle."), code="bad_catcher")
    if catcher.pk == member.pk:
        raise ServiceError(_("You cannot catch your own ask."), code="own_ask")
    now = at or timezone.now()
    ask.status = Ask.Status.CAUGHT
    ask.caught_by = catcher
    ask.caught_reply = reply
    ask.caught_at = now
    ask.save(update_fields=["status", "caught_by", "caught_reply", "caught_at"])
    _stream_touch(message.circle_id)
    audit_record(
        at=at,
        action=Action.ASK_CAUGHT,
        actor=member.user,
        circle_id=member.circle_id,
        target=message,
        data={"caught_by": catcher.pk, "reply": reply.pk if reply else None},
    )
    if at is None:
        _tell([catcher], notices.ASK_CAUGHT.name, member, message)
    _publish_message(member.circle_id, message.pk)
    return ask


@transaction.atomic
def ask_close(*, message_id: int, member: Membership, at: datetime | None = None) -> Ask:
    """The asker (or the organizer or an admin) closes an open ask that nobody caught."""
    message, ask = _lock_ask(message_id, member)
    if message.author_id != member.pk and not _is_moderator(member):
        raise PermissionDenied(_("Only the asker or a moderator can close an ask."), code="not_asker")
    if ask.status != Ask.Status.OPEN:
        raise Conflict(_("This ask is no longer open."), code="not_open")
    ask.status = Ask.Status.CLOSED
    ask.closed_at = at or timezone.now()
    ask.save(update_fields=["status", "closed_at"])
    _stream_touch(message.circle_id)
    audit_record(
        at=at, action=Action.ASK_CLOSED, actor=member.user, circle_id=member.circle_id, target=message
    )
    _publish_message(member.circle_id, message.pk)
    return ask


# --- read markers ------------------------------------------------------------------------------------


@transaction.atomic
def read_marker_set(*, member: Membership, last_read_id: int, at: datetime | None = None) -> ReadMarker:
    """The member has read their circle's stream up to `last_read_id` (a message of the circle). A marker
    never moves back: reading an older page on another device does not make later messages unread."""
    _active(member)
    if not Message.objects.filter(pk=last_read_id, circle_id=member.circle_id).exists():
        raise NotFound(_("Message not found."))
    marker, _created = ReadMarker.objects.get_or_create(member=member)
    marker = ReadMarker.objects.select_for_update().get(pk=marker.pk)
    if last_read_id <= marker.last_read_id:
        return marker
    before = marker.last_read_id
    marker.last_read_id = last_read_id
    marker.updated_at = at or timezone.now()
    marker.save(update_fields=["last_read_id", "updated_at"])
    audit_record(
        at=at,
        action=Action.READ,
        actor=member.user,
        circle_id=member.circle_id,
        target=marker,
        data={"from": before, "to": last_read_id},
    )
    circle_id, member_id = member.circle_id, member.pk
    transaction.on_commit(
        lambda: live.publish(
            circle_id, {"type": "read", "member_id": member_id, "last_read_id": last_read_id}
        ),
        robust=True,
    )
    return marker


# --- events ------------------------------------------------------------------------------------------


@transaction.atomic
def event_post(
    *,
    circle_id: int,
    kind: str,
    key: str,
    payload: dict[str, Any],
    actor: Membership | None = None,
    at: datetime | None = None,
) -> Message:
    """Write an event card into the circle's stream once: the same (kind, key) again returns the first.
    `key` names the event's object ("meetup:12"); `payload` is what the card shows (JSON values)."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"not an event kind: {kind!r}")
    event_key = f"{kind}:{key}"[:EVENT_KEY_MAX_LENGTH]
    stream = _stream_lock(circle_id)
    first = Message.objects.filter(circle_id=circle_id, event_key=event_key).first()
    if first is not None:
        return first
    message = _append(
        stream,
        Message(
            circle_id=circle_id,
            author=actor,
            kind=kind,
            payload=payload,
            event_key=event_key,
            created_at=at or timezone.now(),
            search_document=search_text.search_document(_payload_words(payload)),
        ),
    )
    audit_record(
        at=at,
        action=Action.EVENT_POSTED,
        actor=actor.user if actor is not None else None,
        circle_id=circle_id,
        target=message,
        data={"kind": kind, "key": key},
    )
    _publish_message(circle_id, message.pk)
    return message


def _payload_words(payload: Any) -> Iterable[str]:
    """The searchable words of an event card: every text value in it (names, titles, cities)."""
    if isinstance(payload, str):
        yield payload
    elif isinstance(payload, dict):
        for value in payload.values():
            yield from _payload_words(value)
    elif isinstance(payload, list | tuple):
        for value in payload:
            yield from _payload_words(value)


def messages_erase(*, member: Membership, at: datetime | None = None) -> int:
    """Remove every message `member` wrote (their account is being deleted and they chose so): each one
    stays in the stream as a tombstone, its text gone from the database too. How many were removed. Called
    by the account deletion inside its transaction, which writes the audit row."""
    now = at or timezone.now()
    mine = Message.objects.filter(author_id=member.pk, kind__in=POSTED_KINDS)
    _stream_touch(member.circle_id)
    return mine.update(text="", search_document="", deleted_at=now)
