"""The audit actions of the inbox: the values stored in audit rows (never change one)."""

from enum import StrEnum

from kindred.core.audit import audit_actions_register


@audit_actions_register
class Action(StrEnum):
    MAIL_PREFERENCE = "notifications.mail_preference"
    READ = "notifications.read"
