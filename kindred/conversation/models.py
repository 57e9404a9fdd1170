"""The circle's conversation: one stream of messages per circle (chat, asks, event cards), mentions, asks
and whom they were routed to, and each member's read marker.

A message's id is its place in the stream. Every post locks the circle's `Stream` row first, so within a
circle ids are assigned and committed in order, and each message names the one before it (`prev_id`): a
client that saw id N and then gets a message whose `prev_id` is not N knows it missed something.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Named thresholds.
MESSAGE_MAX_LENGTH = 5000
EDIT_WINDOW = timedelta(minutes=10)  # the author may edit a message this long after posting it
CLIENT_ID_MAX_LENGTH = 64
HIDE_REASON_MAX_LENGTH = 500
MENTIONS_MAX = 20  # distinct members one message may mention
ROUTE_TOP_N = 5  # members an ask is routed to, at most
ROUTE_HISTORY_MAX = 500  # the latest asks of the circle the router learns from
# The router's weights are learned from the circle's history in the background (seconds for hundreds of
# asks), again after this many more answered asks; a post uses the last weights learned (or the engine's
# defaults) and never waits for learning. Only the index (~0.15 s for 500 asks) is built per ask.
ROUTE_RELEARN_EVERY = 20
ROUTE_MODEL_TTL_SECONDS = 30 * 86400
PAGE_DEFAULT = 50
PAGE_MAX = 200
QUOTE_MAX_LENGTH = 80  # characters of the parent quoted with a reply
SEARCH_RESULTS_MAX = 20
SEARCH_QUERY_MAX_LENGTH = 100
OPEN_ASKS_MAX = 50
EVENT_KEY_MAX_LENGTH = 100
# Topicality (kindred.conversation.topicality): the circle's model is learned in the background and kept
# this long; it is learned again when the cards change or after this many more on-topic messages.
TOPIC_MODEL_TTL_SECONDS = 7 * 86400
TOPIC_RELEARN_EVERY = 50
TOPIC_BACKFILL_MAX = 2000  # unlabelled messages labelled when a model is learned (the latest first)
# Slow mode: at most one post per member every N seconds (0: off). A day at most: longer is a ban.
SLOW_MODE_MAX_SECONDS = 86400


class Kind(models.TextChoices):
    CHAT = "chat", _("Message")
    ASK = "ask", _("Ask")
    MEMBER_JOINED = "member_joined", _("A member joined")
    ENVELOPE_SENT = "envelope_sent", _("A red envelope")
    MEETUP_CALLED = "meetup_called", _("A meetup")
    TRIP_ANNOUNCED = "trip_announced", _("A trip")
    DEAL_CONFIRMED = "deal_confirmed", _("A deal")
    INTRO_COMPLETED = "intro_completed", _("An introduction")


POSTED_KINDS: tuple[str, ...] = (Kind.CHAT.value, Kind.ASK.value)  # what members write


class TopicLabel(models.TextChoices):
    """What a member's message is about, for the circle (topicality.LABELS): events are never judged."""

    ON_TOPIC = "on_topic", _("On topic")
    CHATTER = "chatter", _("Chatter")
    OFF_INDUSTRY = "off_industry", _("Off-industry")


EVENT_KINDS: tuple[str, ...] = tuple(k.value for k in Kind if k.value not in POSTED_KINDS)  # the apps' events


class Stream(models.Model):
    """The head of a circle's stream: locked by every post, so ids are assigned and committed in order."""

    circle = models.OneToOneField("circles.Circle", on_delete=models.CASCADE, related_name="+")
    last_message_id = models.BigIntegerField(null=True, blank=True)
    # Slow mode, set by the organizer or an admin: a member posts at most once every N seconds (0: off);
    # the organizer and admins are exempt.
    slow_mode_seconds = models.PositiveIntegerField(default=0)
    # Moves (in the same transaction) with every change to what the stream shows: a post or an event card, an
    # edit, a deletion, hiding, an ask caught or closed, a member's messages erased. What the home page keeps
    # of the stream (its rows, the unread counts, the open asks) is kept under it (kindred.core.fragments).
    version = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(slow_mode_seconds__lte=SLOW_MODE_MAX_SECONDS), name="stream_slow_mode_max"
            )
        ]

    def __str__(self) -> str:
        return f"stream of {self.circle_id} at {self.last_message_id}"


class Message(models.Model):
    circle = models.ForeignKey("circles.Circle", on_delete=models.CASCADE, related_name="+")
    prev_id = models.BigIntegerField(null=True, blank=True)  # the previous message of the circle
    author = models.ForeignKey(
        "circles.Membership", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CHAT)
    text = models.TextField(blank=True, max_length=MESSAGE_MAX_LENGTH)
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    client_id = models.CharField(max_length=CLIENT_ID_MAX_LENGTH, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        "circles.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_reason = models.TextField(blank=True, max_length=HIDE_REASON_MAX_LENGTH)
    # An event card: what it shows (ids and names as they were), and a key naming the event's object,
    # unique in the circle, so one event is posted once ("meetup:12").
    payload = models.JSONField(default=dict, blank=True)
    event_key = models.CharField(max_length=EVENT_KEY_MAX_LENGTH, null=True, blank=True)
    # Normalized text + jieba tokens (kindred.circles.text.search_document), kept in step by the services.
    search_document = models.TextField(blank=True, default="")
    # The topicality model's verdict when it was posted (null: not judged yet, or an event, never judged)
    # with its probability, and whether the poster confirmed posting it after a nudge.
    topic_label = models.CharField(max_length=16, choices=TopicLabel.choices, null=True, blank=True)
    topic_score = models.FloatField(null=True, blank=True)
    topic_confirmed = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="message_kind_valid"),
            # Members write chat and asks (always with an author, never an event key); events carry their key.
            models.CheckConstraint(
                condition=Q(kind__in=POSTED_KINDS, author__isnull=False, event_key__isnull=True)
                | Q(kind__in=EVENT_KINDS, event_key__isnull=False, client_id__isnull=True),
                name="message_posted_or_event",
            ),
            models.UniqueConstraint(fields=["author", "client_id"], name="message_author_client_id_uniq"),
            models.UniqueConstraint(fields=["circle", "event_key"], name="message_event_once"),
            # The stream is a chain: every message follows a different one, and one message starts it.
            models.UniqueConstraint(fields=["circle", "prev_id"], name="message_prev_uniq"),
            models.UniqueConstraint(
                fields=["circle"], condition=Q(prev_id__isnull=True), name="message_one_first_per_circle"
            ),
            models.CheckConstraint(
                condition=Q(hidden_at__isnull=True, hidden_reason="")
                | (Q(hidden_at__isnull=False) & ~Q(hidden_reason="")),
                name="message_hidden_has_reason",
            ),
            models.CheckConstraint(condition=~Q(client_id=""), name="message_client_id_not_empty"),
            models.CheckConstraint(
                condition=Q(topic_label__isnull=True, topic_score__isnull=True)
                | Q(
                    kind__in=POSTED_KINDS,
                    topic_label__in=TopicLabel.values,
                    topic_score__gte=0,
                    topic_score__lte=1,
                ),
                name="message_topic_only_posted",
            ),
        ]
        indexes = [models.Index(fields=["circle", "id"], name="message_stream")]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} in {self.circle_id}"

    @property
    def is_removed(self) -> bool:
        """Deleted by its author or hidden by a moderator: shown as a tombstone."""
        return self.deleted_at is not None or self.hidden_at is not None


class Mention(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mentions")
    member = models.ForeignKey("circles.Membership", on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["message", "member"], name="mention_uniq")]

    def __str__(self) -> str:
        return f"@{self.member_id} in {self.message_id}"


class Ask(models.Model):
    """A message marked as an ask (求助 / 找人): open until the asker marks it caught or closes it."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CAUGHT = "caught", _("Caught")
        CLOSED = "closed", _("Closed")

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="ask")
    circle = models.ForeignKey("circles.Circle", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    caught_by = models.ForeignKey(
        "circles.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    caught_reply = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    caught_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", caught_at__isnull=True, closed_at__isnull=True)
                | Q(status="caught", caught_at__isnull=False, closed_at__isnull=True)
                | Q(status="closed", caught_at__isnull=True, closed_at__isnull=False),
                name="ask_status_dates",
            ),
            models.CheckConstraint(
                condition=Q(status="caught") | Q(caught_by__isnull=True, caught_reply__isnull=True),
                name="ask_catcher_only_when_caught",
            ),
        ]
        indexes = [models.Index(fields=["circle", "status", "id"], name="ask_circle_status")]

    def __str__(self) -> str:
        return f"ask {self.message_id} ({self.status})"


class AskRoute(models.Model):
    """A member the ask was routed to, best first, with the router's reasons (facts, worded at read time)."""

    ask = models.ForeignKey(Ask, on_delete=models.CASCADE, related_name="routes")
    member = models.ForeignKey("circles.Membership", on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    reason = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["ask", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["ask", "member"], name="askroute_member_uniq"),
            models.UniqueConstraint(fields=["ask", "rank"], name="askroute_rank_uniq"),
            models.CheckConstraint(condition=Q(rank__gte=1), name="askroute_rank_from_one"),
        ]

    def __str__(self) -> str:
        return f"ask {self.ask_id} → {self.member_id} #{self.rank}"


class ReadMarker(models.Model):
    """The last message a member has read in their circle's stream (0: none yet)."""

    member = models.OneToOneField("circles.Membership", on_delete=models.CASCADE, related_name="+")
    last_read_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(last_read_id__gte=0), name="readmarker_id_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} read up to {self.last_read_id}"
