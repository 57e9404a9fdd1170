"""Matching's notification kinds (found by kindred.notifications' autodiscovery): introductions and growth
suggestions. The parameters are the names at the time of the notice; the mail templates are
matching/templates/notifications/mail/<kind>.txt."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kindred.notifications.kinds import MailPolicy, kind_register

# Someone waits for these answers: mailed at once (unless the member turned mail off).
INTRO_TO_APPROVE = kind_register(
    "matching.intro_to_approve",
    text=_("%(requester)s asks you to introduce them to %(target)s."),
    mail=MailPolicy.IMMEDIATE,
)
INTRO_TO_ANSWER = kind_register(
    "matching.intro_to_answer",
    text=_("%(requester)s would like to meet you, introduced by %(connector)s."),
    mail=MailPolicy.IMMEDIATE,
)
INTRO_PROPOSED = kind_register(
    "matching.intro_proposed",
    text=_("%(connector)s proposes to introduce you to %(other)s."),
    mail=MailPolicy.IMMEDIATE,
)
INTRO_DONE = kind_register(
    "matching.intro_done",
    text=_("You and %(other)s are introduced: your contact details are now shared."),
    mail=MailPolicy.DIGEST,
)
GROWTH = kind_register(
    "matching.growth",
    text=_("%(count)d of your contacts work in the same trades as %(member)s."),
    mail=MailPolicy.DIGEST,
)
