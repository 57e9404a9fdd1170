"""The audit actions of ties: the values stored in audit rows (never change one)."""

from enum import StrEnum

from kindred.core.audit import audit_actions_register


@audit_actions_register
class Action(StrEnum):
    TIE_CONFIRMED = "tie_confirmed"
    TIE_DEAL_RECORDED = "tie_deal_recorded"
    TIE_DECLARED = "tie_declared"
    TIE_IGNORED = "tie_ignored"
    TIE_INTRODUCED_RECORDED = "tie_introduced_recorded"
    TIE_MET_RECORDED = "tie_met_recorded"
    TIE_SPONSOR_RECORDED = "tie_sponsor_recorded"
