"""The audit actions of sign-in tokens: the values stored in audit rows (never change one)."""

from enum import StrEnum

from kindred.core.audit import audit_actions_register


@audit_actions_register
class Action(StrEnum):
    TOKEN_CREATE = "token_create"  # noqa: S105 (an action name)
    TOKEN_REVOKE = "token_revoke"  # noqa: S105 (an action name)
