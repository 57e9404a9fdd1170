"""Small helpers shared by the accounts tests."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client

NEW_PASSWORD = "a brand new passphrase 42"
RESET_LINK = re.compile(r"https?://[^/\s]+(/accounts/password/reset/\S+/)")


def reset_link() -> str:
    """The path of the reset link in the last email sent."""
    body = str(mail.outbox[-1].body)
    match = RESET_LINK.search(body)
    assert match, body
    return match.group(1)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session
