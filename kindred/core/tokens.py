"""Secrets handed out once (API tokens, invitation links, calendar feeds): only their sha256 is stored."""

from __future__ import annotations

import hashlib
import secrets


def token_hash(raw: str) -> str:
    """What the database keeps of a secret: its sha256, hex (64 characters)."""
    return hashlib.sha256(raw.encode()).hexdigest()


def new_token(nbytes: int) -> str:
    """A fresh URL-safe secret of `nbytes` random bytes."""
    return secrets.token_urlsafe(nbytes)
