"""Who knows whom inside a circle. One row per unordered pair; confirmed ties are mutual."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

EARLIEST_SINCE_YEAR = 1950

# How much each signal counts when suggesting whom a member most likely knows (ties.selectors).
SUGGEST_WEIGHT_SPONSOR_TIE = 5  # a confirmed tie of the member's sponsor
SUGGEST_WEIGHT_SAME_COMPANY = 4  # the same company on both cards
SUGGEST_WEIGHT_CITY_AND_INDUSTRY = 3  # the same city and at least one shared industry
SUGGEST_LIMIT_DEFAULT = 10
SUGGEST_LIMIT_MAX = 50


class Tie(models.Model):
    class Kind(models.TextChoices):
        COLLEAGUE = "colleague", _("Colleague")
        CLASSMATE = "classmate", _("Classmate")
        PARTNER = "partner", _("Business partner")
        FRIEND = "friend", _("Friend")
        SPONSOR = "sponsor", _("Invited into the circle")
        INTRODUCED = "introduced", _("Introduced in the circle")
        MET = "met", _("Met at a circle meetup")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        IGNORED = "ignored", _("Ignored")

    circle = models.ForeignKey("circles.Circle", on_delete=models.CASCADE, related_name="ties")
    # The pair, stored in id order so (a, b) and (b, a) are the same row.
    member_low = models.ForeignKey("circles.Membership", on_delete=models.CASCADE, related_name="+")
    member_high = models.ForeignKey("circles.Membership", on_delete=models.CASCADE, related_name="+")
    declared_by = models.ForeignKey("circles.Membership", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.FRIEND)
    since_year = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Facts recorded by other apps (never declared): both checked in at the same meetup (meetups), and
    # a deal both confirmed (deals). The first time each happened; the trust graph reads them.
    met_offline_at = models.DateTimeField(null=True, blank=True)
    deal_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(member_low__lt=F("member_high")), name="tie_ordered_pair"),
            models.UniqueConstraint(fields=["member_low", "member_high"], name="tie_pair_uniq"),
            models.CheckConstraint(
                condition=Q(declared_by=F("member_low")) | Q(declared_by=F("member_high")),
                name="tie_declared_by_party",
            ),
            models.CheckConstraint(
                condition=Q(status="confirmed", confirmed_at__isnull=False) | ~Q(status="confirmed"),
                name="tie_confirmed_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["circle", "status"]),
            models.Index(fields=["member_low", "status"]),
            models.Index(fields=["member_high", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.member_low_id}—{self.member_high_id} ({self.status})"

    def other(self, membership_id: int) -> int:
        return self.member_high_id if membership_id == self.member_low_id else self.member_low_id


# What a member may declare; sponsor ties are made only by accepted invitations, "met" ties by meetup check-ins.
DECLARABLE_KINDS = tuple(
    k for k in Tie.Kind.values if k not in (Tie.Kind.SPONSOR, Tie.Kind.MET, Tie.Kind.INTRODUCED)
)
