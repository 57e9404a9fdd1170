"""Events other apps may react to without the circles app knowing them."""

from django.dispatch import Signal

# Sent after the transaction that added a member commits, for live joins only (a back-dated replay such as
# the demo loader's sends nothing). Arguments: membership (kindred.circles.models.Membership).
member_joined = Signal()
