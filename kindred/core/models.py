"""Cross-cutting records: the audit log every service writes in its own transaction."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    """One row per state change, written in the same transaction as the change (Zulip's RealmAuditLog)."""

    # Defaults to now; services that replay history (the demo loader) pass the story's time.
    occurred_at = models.DateTimeField(default=timezone.now)
    # No index of its own: every state change writes a row here, so the table keeps only the indexes
    # its reads use (a circle's history, one object's history); a user's deletion may scan.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    # circle_id is kept as a plain integer so the core app depends on no domain app.
    circle_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["circle_id", "-occurred_at"], name="audit_circle_time"),
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action} {self.target_type}#{self.target_id}"
