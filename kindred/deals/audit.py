"""The audit actions of the deal log: the values stored in audit rows (never change one)."""

from enum import StrEnum

from kindred.core.audit import audit_actions_register


@audit_actions_register
class Action(StrEnum):
    DEAL_CONFIRMED = "deal_confirmed"
    DEAL_COUNTED = "deal_counted"
    DEAL_CREATED = "deal_created"
    DEAL_STAGE_SET = "deal_stage_set"
