"""The conversation's notification kinds (found by kindred.notifications' autodiscovery)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kindred.notifications.kinds import MailPolicy, kind_register

ASK_ROUTED = kind_register(
    "conversation.ask_routed",
    text=_("%(actor)s asks, and Kindred thinks you can help: %(excerpt)s"),
    mail=MailPolicy.DIGEST,
)
MENTIONED = kind_register(
    "conversation.mentioned", text=_("%(actor)s mentioned you: %(excerpt)s"), mail=MailPolicy.DIGEST
)
MESSAGE_HIDDEN = kind_register(
    "conversation.message_hidden",
    text=_("%(actor)s hid your message (%(reason)s): %(excerpt)s"),
    mail=MailPolicy.DIGEST,
)
ASK_CAUGHT = kind_register(
    "conversation.ask_caught",
    text=_("%(actor)s says you caught their ask: %(excerpt)s"),
    mail=MailPolicy.NEVER,
)
