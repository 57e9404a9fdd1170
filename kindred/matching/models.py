"""Introductions, suppressed pairs, cached matches, the importer's private contacts and in-app notices."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

INTRO_TTL_DAYS = 14  # an introduction not completed by then expires
SUPPRESS_DAYS = 90  # a declined (or expired) pair is not suggested, nor asked again, for this long
INTRO_NOTE_MAX_LENGTH = 500
CONTACT_FIELD_MAX_LENGTH = 128
CONTACT_NOTE_MAX_LENGTH = 2000
CONTACTS_PER_IMPORT_MAX = 5000
CONTACTS_FILE_MAX_BYTES = 2 * 1024 * 1024
INVITE_SUGGESTIONS_LIMIT = 10
MATCH_LIST_LIMIT = 10
# A change to what the matches read queues one recompute this long after the first change of a burst, so
# the changes that follow (a member editing their card field by field) are in it.
MATCH_REFRESH_DEBOUNCE_SECONDS = 5
MATCH_REFRESH_LOST_MINUTES = 15  # a recompute queued this long ago and never run is queued again

# Weights of the trust graph's edges (kindred.matching.selectors.trust_edges).
EDGE_WEIGHT_TIE = 1.0  # a confirmed tie the members declared
EDGE_WEIGHT_SPONSOR = 1.0  # one invited the other into the circle
EDGE_WEIGHT_INTRODUCED = 0.6  # they met through an introduction here
EDGE_WEIGHT_MET = 0.8  # met offline at a circle meetup (Tie.met_offline_at, set by the meetups app)
EDGE_WEIGHT_DEAL = 1.0  # a confirmed deal together (Tie.deal_at, set by the deals app)


class Introduction(models.Model):
    """A double opt-in introduction between `requester` and `target` through `connector`.

    awaiting_connector --approve--> awaiting_parties --accept (each party not yet in)--> accepted
    any open state --decline--> declined; --(14 days)--> expired; requester --withdraw--> withdrawn.
    """

    class Status(models.TextChoices):
        AWAITING_CONNECTOR = "awaiting_connector", _("Waiting for the connector")
        AWAITING_PARTIES = "awaiting_parties", _("Waiting for an answer")
        ACCEPTED = "accepted", _("Introduced")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    OPEN = (Status.AWAITING_CONNECTOR, Status.AWAITING_PARTIES)

    circle = models.ForeignKey("circles.Circle", on_delete=models.CASCADE, related_name="introductions")
    requester = models.ForeignKey("circles.Membership", on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey("circles.Membership", on_delete=models.CASCADE, related_name="+")
    connector = models.ForeignKey("circles.Membership", on_delete=models.CASCADE, related_name="+")
    proposed = models.BooleanField(default=False)  # the organizer proposed it: both parties must accept
    note = models.TextField(blank=True, max_length=INTRO_NOTE_MAX_LENGTH)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.AWAITING_CONNECTOR)
    connector_approved_at = models.DateTimeField(null=True, blank=True)
    requester_accepted_at = models.DateTimeField(null=True, blank=True)
    target_accepted_at = models.DateTimeField(null=True, blank=True)
    declined_by = models.ForeignKey(
        "circles.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(requester=F("target")), name="intro_two_people"),
            models.CheckConstraint(condition=~Q(target=F("connector")), name="intro_connector_not_target"),
            models.CheckConstraint(condition=Q(expires_at__gt=F("created_at")), name="intro_expires_later"),
            models.CheckConstraint(
                condition=Q(status__in=["awaiting_connector", "awaiting_parties"], closed_at__isnull=True)
                | (~Q(status__in=["awaiting_connector", "awaiting_parties"]) & Q(closed_at__isnull=False)),
                name="intro_closed_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["circle", "status"]),
            models.Index(fields=["requester", "status"]),
            models.Index(fields=["target", "status"]),
            models.Index(fields=["connector", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.requester_id}→{self.target_id} via {self.connector_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    def party_ids(self) -> tuple[int, int, int]:
        return (self.requester_id, self.target_id, self.connector_id)


class SuppressedPair(models.Model):
    """A pair not to be suggested (nor asked for again) until `until`: after a decline or an expiry."""

    circle = models.ForeignKey("circles.Circle", on_delete=models.CASCADE, related_name="+")
    member_low = models.ForeignKey("circles.Membership", on_delete=models.CASCADE, related_name="+")
    member_high = models.ForeignKey("circles.Membership", on_delete=models.CASCADE, related_name="+")
    until = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(member_low__lt=F("member_high")), name="suppressed_ordered"),
            models.UniqueConstraint(fields=["member_low", "member_high"], name="suppressed_pair_uniq"),
        ]
        indexes = [models.Index(fields=["circle", "until"])]

    def __str__(self) -> str:
        return f"{self.member_low_id}—{self.member_high_id} until {self.until:%Y-%m-%d}"


class MatchState(models.Model):
    """What the cached matches of a circle were computed from. `version` is bumped by anyone whose data
    feeds the matching (kindred.matching.services.matches_invalidate); cards and ties are fingerprinted."""

    circle = models.OneToOneField("circles.Circle", on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField(default=0)
    fingerprint = models.CharField(max_length=255, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(default=0.0)
    # Set when a recompute is queued (kindred.matching.services.matches_refresh_soon), cleared when it starts.
    refresh_queued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.circle_id}: {self.fingerprint}"


class MatchEntry(models.Model):
    """One cached match: `other` for `member` (kind=member), or a pair for the organizer (kind=pair)."""

    class Kind(models.TextChoices):
        MEMBER = "member", _("Match")
        PAIR = "pair", _("Pair")

    circle = models.ForeignKey("circles.Circle", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.MEMBER)
    member = models.ForeignKey("circles.Membership", on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey("circles.Membership", on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveIntegerField()
    score = models.FloatField()
    relevance = models.FloatField()
    trust = models.FloatField()
    # they_offer / you_offer: [[need word, offer word], …]; path: member ids; city; industries; clients.
    explanation = models.JSONField(default=dict)

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["circle", "kind", "member", "rank"], name="matchentry_rank_uniq")
        ]
        indexes = [models.Index(fields=["circle", "kind", "member"])]

    def __str__(self) -> str:
        return f"{self.member_id}→{self.other_id} #{self.rank}"


class Contact(models.Model):
    """Someone in a user's own address book, imported by them. Seen by nobody else."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=CONTACT_FIELD_MAX_LENGTH)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    company = models.CharField(max_length=CONTACT_FIELD_MAX_LENGTH, blank=True)
    title = models.CharField(max_length=CONTACT_FIELD_MAX_LENGTH, blank=True)
    city = models.CharField(max_length=64, blank=True)
    note = models.TextField(blank=True, max_length=CONTACT_NOTE_MAX_LENGTH)
    source = models.CharField(max_length=16)  # vcard, csv
    nominated_in = models.ForeignKey(
        "circles.Circle", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "name", "email", "phone"], name="contact_owner_identity_uniq"
            )
        ]

    def __str__(self) -> str:
        return self.name
