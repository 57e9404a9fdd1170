"""The audit actions of circles, memberships and cards: the values stored in audit rows (never change one)."""

from enum import StrEnum

from kindred.core.audit import audit_actions_register


@audit_actions_register
class Action(StrEnum):
    CARD_UPDATED = "card_updated"
    CIRCLE_CREATED = "circle_created"
    CIRCLE_UPDATED = "circle_updated"
    INDUSTRY_ADDED = "industry_added"
    MEMBERSHIP_CREATED = "membership_created"
    MEMBERSHIP_LEFT = "membership_left"
    MEMBERSHIP_REJOINED = "membership_rejoined"
    MEMBERSHIP_NOTE_SET = "membership_note_set"
    MEMBERSHIP_REMOVED = "membership_removed"
    MEMBERSHIP_ROLE_SET = "membership_role_set"
