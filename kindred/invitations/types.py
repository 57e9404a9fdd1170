"""What the invitations app publishes for other apps' code: the nomination as a service returns it, and how a
nominator knows the nominee. Change nominations through kindred.invitations.services."""

from .models import Nomination

NominationRelationship = Nomination.Relationship

__all__ = ["Nomination", "NominationRelationship"]
