"""The invitations' mail kinds (found by kindred.notifications' autodiscovery): the invitation link, to the
nominee (by address: they may have no account) and to the nominator who forwards it. Mailed at once through
the outbox (kindred.notifications.services.mail_send); the link is scrubbed from the outbox once sent."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kindred.notifications.kinds import MailPolicy, kind_register

LINK_TO_NOMINEE = kind_register(
    "invitations.link_to_nominee",
    text=_("%(inviter)s invites you to %(circle)s."),
    mail=MailPolicy.IMMEDIATE,
)
LINK_TO_NOMINATOR = kind_register(
    "invitations.link_to_nominator",
    text=_("Your nomination of %(name)s was approved."),
    mail=MailPolicy.IMMEDIATE,
)
