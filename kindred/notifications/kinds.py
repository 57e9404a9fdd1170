"""The registry of notification kinds. Each app declares its own kinds (in its notices.py or apps.py):

    from kindred.notifications.kinds import MailPolicy, kind_register

    INTRO_TO_APPROVE = kind_register(
        "matching.intro_to_approve",
        text=_("%(actor)s asks you to introduce them to %(target)s."),
        mail=MailPolicy.IMMEDIATE,
    )

`text` is a lazily translated sentence with %(name)s parameters: the inbox renders it at read time in the
reader's language from the parameters stored with the notification (`actor` is filled in from the actor's
card). Mail goes out through one template per kind, notifications/mail/<kind>.txt: its first line is the
subject, the rest the body, rendered in the recipient's language with the same parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

KIND_MAX_LENGTH = 64


class MailPolicy(models.TextChoices):
    IMMEDIATE = "immediate", _("Mail at once")  # must reach the member now (someone waits for an answer)
    DIGEST = "digest", _("Mail in the digest")  # mailed at once or in the daily digest, as the member chose
    NEVER = "never", _("Inbox only")


@dataclass(frozen=True)
class Kind:
    name: str
    text: Promise | str
    mail: MailPolicy

    @property
    def template(self) -> str:
        return f"notifications/mail/{self.name}.txt"

    def render(self, params: dict[str, Any]) -> str:
        """The sentence in the active language. Missing parameters show as empty, never as an error."""
        try:
            return str(self.text) % params
        except (KeyError, TypeError, ValueError):
            return str(self.text) % _Lenient(params)


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


KINDS: dict[str, Kind] = {}


def kind_register(name: str, *, text: Promise | str, mail: MailPolicy | str = MailPolicy.DIGEST) -> Kind:
    """Declare a kind (idempotent for the same declaration: modules may be imported twice)."""
    if not name or len(name) > KIND_MAX_LENGTH:
        raise ValueError(f"kind name {name!r}: 1 to {KIND_MAX_LENGTH} characters")
    kind = Kind(name=name, text=text, mail=MailPolicy(mail))
    known = KINDS.get(name)
    if known is not None and known != kind:
        raise ValueError(f"kind {name!r} is declared twice, differently")
    KINDS[name] = kind
    return kind


def kind_get(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown notification kind {name!r}: declare it with kind_register") from None
