"""The deal log: business members do together, the circle's proof of value.

A deal counts for the circle only once every member party has confirmed it (`confirmed_at`). Its amount is
private to the parties unless they make it public."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

TITLE_MAX_LENGTH = 120
# A deal's title (标题), not a person's job title (职位, the card's): the context keeps them apart.
TITLE_LABEL = pgettext_lazy("deal", "Title")
TEXT_MAX_LENGTH = 4000
OUTSIDE_PARTY_MAX_LENGTH = 128
PARTIES_MIN = 2
PARTIES_MAX = 20
AMOUNT_MAX_FEN = 10**15  # ten trillion yuan: far beyond any deal, well inside a 64-bit integer
FEED_LIMIT = 100


class Deal(models.Model):
    class Kind(models.TextChoices):
        COOPERATION = "cooperation", _("Cooperation")
        JOINT_VENTURE = "joint_venture", _("Joint venture")
        INVESTMENT = "investment", _("Investment")
        HIRING = "hiring", _("Hiring")
        REFERRAL = "referral", _("Referral")
        PURCHASE = "purchase", _("Purchase")

    class Stage(models.TextChoices):
        DISCUSSING = "discussing", _("Discussing")
        SIGNED = "signed", _("Signed")
        CLOSED = "closed", pgettext_lazy("deal stage", "Closed")
        ABANDONED = "abandoned", _("Abandoned")

    class Origin(models.TextChoices):
        INTRODUCTION = "introduction", _("An introduction in the circle")
        MEETUP = "meetup", _("A circle meetup")
        ASK = "ask", _("An ask in the circle")
        KNEW_BEFORE = "knew_before", _("Already knew each other")

    circle = models.ForeignKey("circles.Circle", on_delete=models.CASCADE, related_name="deals")
    created_by = models.ForeignKey("circles.Membership", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    description = models.TextField(_("description"), blank=True, max_length=TEXT_MAX_LENGTH)
    outside_party = models.CharField(_("outside party"), max_length=OUTSIDE_PARTY_MAX_LENGTH, blank=True)
    amount_fen = models.BigIntegerField(_("amount (fen)"), null=True, blank=True)
    amount_public = models.BooleanField(_("show the amount to the circle"), default=False)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.DISCUSSING)
    origin = models.CharField(max_length=16, choices=Origin.choices)
    origin_meetup = models.ForeignKey(
        "meetups.Meetup", null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    # Where it came from in words (which introduction or ask), until those have their own records.
    origin_note = models.CharField(_("where it came from"), max_length=TITLE_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField()
    signed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    abandoned_at = models.DateTimeField(null=True, blank=True)
    # Every member party confirmed: from now on it counts for the circle.
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_fen__isnull=True) | Q(amount_fen__gte=0, amount_fen__lte=AMOUNT_MAX_FEN),
                name="deal_amount_range",
            ),
            models.CheckConstraint(
                condition=~Q(origin="meetup") | Q(origin_meetup__isnull=False) | Q(origin_note__gt=""),
                name="deal_meetup_origin_named",
            ),
        ]
        indexes = [models.Index(fields=["circle", "confirmed_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def counts(self) -> bool:
        return self.confirmed_at is not None


class DealParty(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="parties")
    member = models.ForeignKey("circles.Membership", on_delete=models.CASCADE, related_name="deal_parties")
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["deal", "member"], name="dealparty_uniq")]

    def __str__(self) -> str:
        return f"{self.member_id} in {self.deal_id}"
