"""The meetups' notification kinds (found by kindred.notifications' autodiscovery). Parameters: the meetup's
title, its start in its own time zone (`when`) and its venue (or city); the mail templates are
meetups/templates/notifications/mail/<kind>.txt."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kindred.notifications.kinds import MailPolicy, kind_register

# All three are about a time and a seat: mailed at once (unless the member turned mail off).
INVITED = kind_register(
    "meetups.invited",
    text=_("You are invited to %(title)s, %(when)s at %(venue)s."),
    mail=MailPolicy.IMMEDIATE,
)
REMINDER = kind_register(
    "meetups.reminder", text=_("%(title)s starts %(when)s at %(venue)s."), mail=MailPolicy.IMMEDIATE
)
PROMOTED = kind_register(
    "meetups.promoted",
    text=_("A seat opened at %(title)s (%(when)s): you are off the waitlist and going."),
    mail=MailPolicy.IMMEDIATE,
)
