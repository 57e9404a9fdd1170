"""Kinds the notifications app sends for apps that cannot import it (found by autodiscovery like every
app's notices.py). The circles app is below notifications (notifications reads its memberships), so it
announces a removal as a domain event (kindred.core.events.member_removed) and this app tells the sponsor
(kindred/notifications/receivers.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .kinds import MailPolicy, kind_register

MEMBER_REMOVED = kind_register(
    "circles.member_removed",
    text=_("%(name)s, whom you invited, was removed from %(circle)s by the organizer. Reason: %(reason)s"),
    mail=MailPolicy.IMMEDIATE,
)
