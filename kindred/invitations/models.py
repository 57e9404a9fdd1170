"""Vetted growth: nominations reviewed by the organizer, and the single-use invitations they yield."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CLOSENESS_MIN = 1
CLOSENESS_MAX = 5
YEARS_KNOWN_MAX = 80
REASON_MAX_LENGTH = 2000
CODE_BYTES = 32  # secrets.token_urlsafe(CODE_BYTES): 43 characters, 256 bits
CODE_MAX_LENGTH = 128  # longer strings are not codes; refused before hashing


class Nomination(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Relationship(models.TextChoices):
        COLLEAGUE = "colleague", _("Colleague")
        CLASSMATE = "classmate", _("Classmate")
        PARTNER = "partner", _("Business partner")
        FRIEND = "friend", _("Friend")
        FAMILY = "family", _("Family")
        OTHER = "other", _("Other")

    circle = models.ForeignKey("circles.Circle", on_delete=models.CASCADE, related_name="nominations")
    nominator = models.ForeignKey("circles.Membership", on_delete=models.PROTECT, related_name="nominations")
    name = models.CharField(_("name"), max_length=64)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    relationship = models.CharField(_("relationship"), max_length=16, choices=Relationship.choices)
    years_known = models.PositiveSmallIntegerField(_("years known"))
    closeness = models.PositiveSmallIntegerField(_("closeness (1–5)"))
    reason = models.TextField(_("why they belong"), max_length=REASON_MAX_LENGTH)
    # A draft card the nominee starts from when they accept: company, title, city, offers, needs, ...
    draft_card = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.TextField(blank=True, max_length=REASON_MAX_LENGTH)
    # An organizer's direct invitation: a nomination by themselves, approved at once.
    direct = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closeness__gte=CLOSENESS_MIN) & Q(closeness__lte=CLOSENESS_MAX),
                name="nomination_closeness_range",
            ),
            models.CheckConstraint(
                condition=Q(years_known__lte=YEARS_KNOWN_MAX), name="nomination_years_range"
            ),
            models.CheckConstraint(condition=~Q(email="") | ~Q(phone=""), name="nomination_has_contact"),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(status="withdrawn") | Q(reviewed_at__isnull=False),
                name="nomination_reviewed_has_time",
            ),
        ]
        indexes = [models.Index(fields=["circle", "status"]), models.Index(fields=["nominator", "status"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"


class Invitation(models.Model):
    """A single-use, expiring, revocable link. Only the SHA-256 of its code is stored; the row is kept forever."""

    # Several rows per nomination only when a lost link is re-issued: the old row is revoked first.
    nomination = models.ForeignKey(Nomination, on_delete=models.PROTECT, related_name="invitations")
    circle = models.ForeignKey("circles.Circle", on_delete=models.CASCADE, related_name="invitations")
    sponsor = models.ForeignKey(
        "circles.Membership", on_delete=models.PROTECT, related_name="invitations_sent"
    )
    code_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    membership = models.OneToOneField(
        "circles.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="invitation"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(accepted_at__isnull=True, accepted_by__isnull=True, membership__isnull=True)
                    | Q(accepted_at__isnull=False, accepted_by__isnull=False, membership__isnull=False)
                ),
                name="invitation_accept_all_or_nothing",
            ),
            models.UniqueConstraint(
                fields=["nomination"],
                condition=Q(revoked_at__isnull=True),
                name="invitation_one_live_per_nomination",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(accepted_at__isnull=True),
                name="invitation_not_revoked_and_accepted",
            ),
        ]

    def __str__(self) -> str:
        return f"invitation #{self.pk} to {self.circle_id}"

    @property
    def is_used(self) -> bool:
        return self.accepted_at is not None

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, at: datetime | None = None) -> bool:
        return (at or timezone.now()) >= self.expires_at

    def state(self, at: datetime | None = None) -> str:
        """One of: accepted, revoked, expired, open."""
        if self.is_used:
            return "accepted"
        if self.is_revoked:
            return "revoked"
        if self.is_expired(at):
            return "expired"
        return "open"
