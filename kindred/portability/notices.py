"""The notification kinds of members leaving (found by kindred.notifications' autodiscovery): the organizer
and the admins are told when a member leaves the circle or deletes their account."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kindred.notifications.kinds import MailPolicy, kind_register

MEMBER_LEFT = kind_register(
    "portability.member_left",
    text=_("%(name)s has left the circle."),
    mail=MailPolicy.DIGEST,
)
ACCOUNT_DELETED = kind_register(
    "portability.account_deleted",
    text=_("A member (%(name)s) deleted their Kindred account and left the circle."),
    mail=MailPolicy.DIGEST,
)
