"""Personal API tokens. Users are Django's own auth users."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

TOKEN_PREFIX = "kdr_"  # noqa: S105 (a marker, not a secret)
TOKEN_NAME_MAX_LENGTH = 80
TOKEN_PREFIX_LENGTH = 12  # how much of a token is kept to tell tokens apart
MAX_ACTIVE_TOKENS = 50  # per user


class ApiToken(models.Model):
    """A personal API token, shown once at creation; only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=TOKEN_NAME_MAX_LENGTH)
    # First characters of the token, to tell tokens apart in the UI without revealing them.
    prefix = models.CharField(max_length=TOKEN_PREFIX_LENGTH)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
