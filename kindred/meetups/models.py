"""Trips, meetups (dinners), RSVPs with a waitlist, check-ins, host notes, follow-ups, in-app notices and
the per-member calendar feed."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

DEFAULT_TIMEZONE = "Asia/Shanghai"
TITLE_MAX_LENGTH = 120
# A meetup's title (标题), not a person's job title (职位, the card's): the context keeps them apart.
TITLE_LABEL = pgettext_lazy("meetup", "Title")
CITY_MAX_LENGTH = 64
VENUE_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 4000
CAPACITY_MAX = 1000
TRIP_MAX_DAYS = 60
MEETUP_MAX_HOURS = 72
INVITEES_MAX = 200
# Check-in is open from shortly before the start until a while after the end (people check in late).
CHECKIN_OPENS_BEFORE = timedelta(hours=2)
CHECKIN_CLOSES_AFTER = timedelta(hours=48)
# Reminders go out once, to everyone going (and the host), when the meetup starts within this window.
REMINDER_WINDOW = timedelta(hours=24)
# How often the running server looks for reminders to send (kindred/core/periodic.py).
REMINDER_SWEEP_SECONDS = 300
# The personal calendar feed shows meetups from this far back.
FEED_PAST_DAYS = 90
FEED_TOKEN_BYTES = 32
FEED_TOKEN_MAX_LENGTH = 128
# Trip suggestions: how much each signal weighs (meetups.selectors.trip_suggestions).
SUGGEST_WEIGHT_TIE = 5  # a confirmed tie with the traveller
SUGGEST_WEIGHT_MUTUAL = 1  # per mutual tie (capped)
SUGGEST_MUTUAL_CAP = 5
SUGGEST_WEIGHT_OVERLAP = 2  # per token shared between one side's offers and the other's needs (capped)
SUGGEST_OVERLAP_CAP = 5
SUGGEST_LIMIT = 50


class Trip(models.Model):
    """ "I'll be in 上海 from 12-03 to 12-05": the start of a dinner."""

    circle = models.ForeignKey("circles.Circle", on_delete=models.CASCADE, related_name="trips")
    traveller = models.ForeignKey("circles.Membership", on_delete=models.CASCADE, related_name="trips")
    city = models.CharField(_("city"), max_length=CITY_MAX_LENGTH)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    note = models.TextField(_("note"), blank=True, max_length=TEXT_MAX_LENGTH)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="trip_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.city} {self.starts_on}..{self.ends_on}"


class Meetup(models.Model):
    class Access(models.TextChoices):
        OPEN = "open", _("Open to the circle")
        INVITATION = "invitation", _("By invitation")

    circle = models.ForeignKey("circles.Circle", on_delete=models.CASCADE, related_name="meetups")
    host = models.ForeignKey("circles.Membership", on_delete=models.CASCADE, related_name="hosted_meetups")
    trip = models.ForeignKey(Trip, null=True, blank=True, on_delete=models.SET_NULL, related_name="meetups")
    # The calendar UID: stable for the meetup's life, whatever is edited.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    city = models.CharField(_("city"), max_length=CITY_MAX_LENGTH)
    venue = models.CharField(_("venue"), max_length=VENUE_MAX_LENGTH, blank=True)
    description = models.TextField(_("description"), blank=True, max_length=TEXT_MAX_LENGTH)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    timezone = models.CharField(max_length=64, default=DEFAULT_TIMEZONE)
    capacity = models.PositiveIntegerField(_("seats"), null=True, blank=True)  # None: no limit
    access = models.CharField(max_length=16, choices=Access.choices, default=Access.OPEN)
    notes = models.TextField(_("host's notes"), blank=True, max_length=TEXT_MAX_LENGTH)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="meetup_ends_after_start"),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=1, capacity__lte=CAPACITY_MAX),
                name="meetup_capacity_range",
            ),
        ]
        indexes = [models.Index(fields=["circle", "starts_at"])]

    def __str__(self) -> str:
        return self.title


class Invitee(models.Model):
    """A member invited to a meetup. Invitation-only meetups are visible to the host and invitees only."""

    meetup = models.ForeignKey(Meetup, on_delete=models.CASCADE, related_name="invitees")
    member = models.ForeignKey("circles.Membership", on_delete=models.CASCADE, related_name="+")
    invited_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meetup", "member"], name="invitee_uniq")]

    def __str__(self) -> str:
        return f"{self.member_id} invited to {self.meetup_id}"


class Rsvp(models.Model):
    class Status(models.TextChoices):
        GOING = "going", _("Going")
        WAITLISTED = "waitlisted", _("On the waitlist")
        MAYBE = "maybe", _("Maybe")
        DECLINED = "declined", _("Not going")

    meetup = models.ForeignKey(Meetup, on_delete=models.CASCADE, related_name="rsvps")
    member = models.ForeignKey("circles.Membership", on_delete=models.CASCADE, related_name="rsvps")
    status = models.CharField(max_length=16, choices=Status.choices)
    # When the member last said yes: the waitlist's order.
    queued_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField()
    checked_in_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["queued_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meetup", "member"], name="rsvp_uniq"),
            models.CheckConstraint(
                condition=Q(checked_in_at__isnull=True) | Q(status="going"), name="rsvp_checked_in_going"
            ),
        ]
        indexes = [models.Index(fields=["meetup", "status"])]

    def __str__(self) -> str:
        return f"{self.member_id} {self.status} {self.meetup_id}"


class FollowUp(models.Model):
    """After the dinner: who should talk to whom next (matching may turn it into an introduction)."""

    meetup = models.ForeignKey(Meetup, on_delete=models.CASCADE, related_name="followups")
    author = models.ForeignKey("circles.Membership", on_delete=models.CASCADE, related_name="+")
    member_a = models.ForeignKey("circles.Membership", on_delete=models.CASCADE, related_name="+")
    member_b = models.ForeignKey("circles.Membership", on_delete=models.CASCADE, related_name="+")
    note = models.TextField(_("why"), blank=True, max_length=TEXT_MAX_LENGTH)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(member_a=F("member_b")), name="followup_two_members"),
        ]

    def __str__(self) -> str:
        return f"{self.member_a_id} → {self.member_b_id}"


class CalendarFeed(models.Model):
    """A member's secret calendar URL. Only the SHA-256 of the token is stored; revoking ends it."""

    member = models.ForeignKey("circles.Membership", on_delete=models.CASCADE, related_name="calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=Q(revoked_at__isnull=True), name="calendarfeed_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"calendar of {self.member_id}"
