"""The audit actions of introductions and contacts: the values stored in audit rows (never change one)."""

from enum import StrEnum

from kindred.core.audit import audit_actions_register


@audit_actions_register
class Action(StrEnum):
    CONTACTS_IMPORTED = "contacts_imported"
    INTRO_ACCEPTED = "intro_accepted"
    INTRO_APPROVED = "intro_approved"
    INTRO_DECLINED = "intro_declined"
    INTRO_EXPIRED = "intro_expired"
    INTRO_PARTY_ACCEPTED = "intro_party_accepted"
    INTRO_PROPOSED = "intro_proposed"
    INTRO_REQUESTED = "intro_requested"
    INTRO_WITHDRAWN = "intro_withdrawn"
