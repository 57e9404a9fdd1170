"""Circles, memberships (the invite tree), member cards and the industry taxonomy."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Named thresholds and defaults.
DEFAULT_NOMINATE_AFTER_DAYS = 30
DEFAULT_MAX_PENDING_NOMINATIONS = 3
DEFAULT_INVITATION_TTL_HOURS = 7 * 24
MAX_INVITATION_TTL_HOURS = 90 * 24
MAX_PENDING_NOMINATIONS_CAP = 50
CARD_TEXT_MAX_LENGTH = 2000
CARD_TAGS_MAX = 20
TAG_MAX_LENGTH = 32
DIRECTORY_PAGE_SIZE = 20


class Industry(models.Model):
    """A node of the industry taxonomy. Curated rows have no circle; an organizer may add circle-only rows."""

    code = models.SlugField(max_length=64)
    name_zh = models.CharField(max_length=64)
    name_en = models.CharField(max_length=64)
    # Extra words that mean the same trade (短剧, 抖音 … for short video): used by search and matching.
    synonyms = models.CharField(max_length=255, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    circle = models.ForeignKey(
        "circles.Circle", null=True, blank=True, on_delete=models.CASCADE, related_name="custom_industries"
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(circle__isnull=True), name="industry_code_curated_uniq"
            ),
            models.UniqueConstraint(fields=["circle", "code"], name="industry_code_circle_uniq"),
        ]
        verbose_name_plural = "industries"

    def __str__(self) -> str:
        return self.name_zh


class Circle(models.Model):
    class NominationPolicy(models.TextChoices):
        ORGANIZER_ONLY = "organizer_only", _("Organizer and admins only")
        MEMBERS_AFTER_DAYS = "members_after_days", _("Members after a number of days")

    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    theme = models.ForeignKey(
        Industry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("theme")
    )
    description = models.TextField(_("description"), blank=True, max_length=CARD_TEXT_MAX_LENGTH)
    values_statement = models.TextField(_("values statement"), blank=True, max_length=CARD_TEXT_MAX_LENGTH)
    nomination_policy = models.CharField(
        _("who may nominate"),
        max_length=32,
        choices=NominationPolicy.choices,
        default=NominationPolicy.MEMBERS_AFTER_DAYS,
    )
    nominate_after_days = models.PositiveIntegerField(
        _("days a member waits before nominating"), default=DEFAULT_NOMINATE_AFTER_DAYS
    )
    max_pending_nominations = models.PositiveIntegerField(
        _("pending nominations per member"), default=DEFAULT_MAX_PENDING_NOMINATIONS
    )
    invitation_ttl_hours = models.PositiveIntegerField(
        _("invitation lifetime (hours)"), default=DEFAULT_INVITATION_TTL_HOURS
    )
    notify_sponsor_on_removal = models.BooleanField(
        _("tell the sponsor when a member is removed"), default=True
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Moves (in the same transaction) with every change to what the circle's directory, member cards and tie
    # marks show: memberships (join, leave, removal, role), cards (fields, tags, industries), the circle's
    # industries and ties (circles.services.circle_members_touch). Cached views of the circle's members are
    # kept under it (kindred.core.fragments), so they are never read after such a change.
    members_version = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(invitation_ttl_hours__gte=1)
                & Q(invitation_ttl_hours__lte=MAX_INVITATION_TTL_HOURS),
                name="circle_invitation_ttl_range",
            ),
            models.CheckConstraint(
                condition=Q(max_pending_nominations__lte=MAX_PENDING_NOMINATIONS_CAP),
                name="circle_max_pending_cap",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's place in a circle, and a node of the circle's invite tree (sponsor = parent)."""

    class Role(models.TextChoices):
        ORGANIZER = "organizer", _("Organizer")
        ADMIN = "admin", _("Admin")
        MEMBER = "member", _("Member")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        REMOVED = "removed", _("Removed")
        LEFT = "left", _("Left")  # by themselves (membership_leave); removed_at holds when

    circle = models.ForeignKey(Circle, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    sponsor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="sponsored"
    )
    # Materialized invite path: ids of the ancestors from the origin down to the sponsor, "/1/5/23/".
    # Written once at join time (a sponsor never changes), so a page of cards needs one query for
    # every ancestor's name instead of a walk per card.
    tree_path = models.CharField(max_length=1024, default="/")
    depth = models.PositiveIntegerField(default=0)
    joined_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_reason = models.TextField(blank=True, max_length=CARD_TEXT_MAX_LENGTH)
    # The organizer's (and admins') private note on this member. Never shown to anyone else.
    organizer_note = models.TextField(blank=True, max_length=CARD_TEXT_MAX_LENGTH)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["circle", "user"], name="membership_circle_user_uniq"),
            # Exactly one origin per circle: the organizer without a sponsor.
            models.UniqueConstraint(
                fields=["circle"], condition=Q(sponsor__isnull=True), name="membership_one_origin_per_circle"
            ),
            models.CheckConstraint(
                condition=Q(status="active", removed_at__isnull=True)
                | Q(status__in=["removed", "left"], removed_at__isnull=False),
                name="membership_removed_has_time",
            ),
        ]
        indexes = [models.Index(fields=["circle", "status"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.circle}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def can_review(self) -> bool:
        return self.is_active and self.role in (self.Role.ORGANIZER, self.Role.ADMIN)

    @property
    def is_organizer(self) -> bool:
        return self.is_active and self.role == self.Role.ORGANIZER

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.tree_path.strip("/").split("/") if part]


class Visibility(models.TextChoices):
    CIRCLE = "circle", _("Everyone in the circle")
    TIES = "ties", _("Only my ties")
    NOBODY = "nobody", _("Nobody")


class MemberCard(models.Model):
    """How a member presents themself in one circle (备注): who they are, what they offer and need."""

    membership = models.OneToOneField(Membership, on_delete=models.CASCADE, related_name="card")
    display_name = models.CharField(_("display name"), max_length=64)
    company = models.CharField(_("company"), max_length=128, blank=True)
    title = models.CharField(_("title"), max_length=128, blank=True)
    city = models.CharField(_("city"), max_length=64, blank=True, db_index=True)
    industries = models.ManyToManyField(
        Industry, blank=True, related_name="cards", verbose_name=_("industries")
    )
    offers = models.TextField(_("strengths and offers"), blank=True, max_length=CARD_TEXT_MAX_LENGTH)
    needs = models.TextField(_("needs and asks"), blank=True, max_length=CARD_TEXT_MAX_LENGTH)
    bio = models.TextField(_("bio"), blank=True, max_length=CARD_TEXT_MAX_LENGTH)
    values = models.TextField(_("values"), blank=True, max_length=CARD_TEXT_MAX_LENGTH)
    wechat = models.CharField(_("WeChat ID"), max_length=64, blank=True)
    wechat_visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.TIES)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    phone_visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.NOBODY)
    email = models.EmailField(_("email"), blank=True)
    email_visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.TIES)
    # Normalized text + jieba tokens of every searchable field, kept in step by the card services.
    search_document = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.display_name


class CardTag(models.Model):
    class Kind(models.TextChoices):
        OFFER = "offer", _("Offer")
        NEED = "need", _("Need")

    card = models.ForeignKey(MemberCard, on_delete=models.CASCADE, related_name="tags")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    name = models.CharField(max_length=TAG_MAX_LENGTH)

    class Meta:
        ordering = ["kind", "id"]
        constraints = [models.UniqueConstraint(fields=["card", "kind", "name"], name="cardtag_uniq")]
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"
