"""The audit actions of data leaving Kindred: the values stored in audit rows (never change one)."""

from enum import StrEnum

from kindred.core.audit import audit_actions_register


@audit_actions_register
class Action(StrEnum):
    CIRCLE_EXPORTED = "circle_exported"
    MEMBER_DATA_EXPORTED = "member_data_exported"
    ACCOUNT_DELETED = "account_deleted"
