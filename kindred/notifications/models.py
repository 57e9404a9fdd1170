"""The inbox of a member in a circle, the outbox of mail to send, and each member's mail preference."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .kinds import KIND_MAX_LENGTH

INBOX_PAGE_SIZE = 50
MARK_READ_IDS_MAX = 500
OUTBOX_MAX_ATTEMPTS = 5  # a mail that failed this often stays failed (visible to the operator)
DIGEST_HOUR = 8  # the daily digest goes out at 08:00 in the site's time zone
OUTBOX_SWEEP_SECONDS = 600  # pending immediate mail left by a failure is retried this often
OUTBOX_CLAIM_MINUTES = 15  # a mail claimed by a worker that died is pending again after this


class Notification(models.Model):
    """One line of a member's inbox. The text is made at read time from `kind` and `params`, in the reader's
    language; `url` is a path on this site (no language in it)."""

    recipient = models.ForeignKey("circles.Membership", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=KIND_MAX_LENGTH)
    actor = models.ForeignKey(
        "circles.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_type = models.CharField(max_length=64, blank=True)  # app_label.model
    target_id = models.BigIntegerField(null=True, blank=True)
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notif_inbox"),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notif_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"


class MailPreference(models.Model):
    """How a member wants mail about this circle: what must be immediate always is, unless off."""

    class Mode(models.TextChoices):
        IMMEDIATE = "immediate", _("Each notification by mail at once")
        DIGEST = "digest", _("One daily digest")
        OFF = "off", _("No mail")

    DEFAULT = Mode.DIGEST

    member = models.OneToOneField("circles.Membership", on_delete=models.CASCADE, related_name="+")
    mode = models.CharField(max_length=16, choices=Mode.choices, default=DEFAULT)

    def __str__(self) -> str:
        return f"{self.member_id}: {self.mode}"


class Outbox(models.Model):
    """One mail to send: about one notification, to a user, or to an email address that has no account yet
    (a nominee). `key` is unique, so each mail is queued once; a row moves pending → sent (or failed after
    OUTBOX_MAX_ATTEMPTS) under its lock, so it is sent once."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    key = models.CharField(max_length=128, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    address = models.EmailField(blank=True)  # only when there is no user to mail
    notification = models.ForeignKey(Notification, null=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=KIND_MAX_LENGTH)
    params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=300, blank=True)
    immediate = models.BooleanField()  # False: waits for the daily digest
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(address="")) | (Q(user__isnull=True) & ~Q(address="")),
                name="outbox_user_or_address",
            ),
        ]
        indexes = [
            models.Index(
                fields=["immediate", "user", "id"], condition=Q(state="pending"), name="outbox_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"

    @property
    def to(self) -> str:
        return self.user.email if self.user is not None else self.address
