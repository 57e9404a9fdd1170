"""The audit actions of nominations and invitations: the values stored in audit rows (never change one)."""

from enum import StrEnum

from kindred.core.audit import audit_actions_register


@audit_actions_register
class Action(StrEnum):
    INVITATION_ACCEPTED = "invitation_accepted"
    INVITATION_DIRECT = "invitation_direct"
    INVITATION_ISSUED = "invitation_issued"
    INVITATION_REVOKED = "invitation_revoked"
    NOMINATION_APPROVED = "nomination_approved"
    NOMINATION_CREATED = "nomination_created"
    NOMINATION_REJECTED = "nomination_rejected"
    NOMINATION_WITHDRAWN = "nomination_withdrawn"
