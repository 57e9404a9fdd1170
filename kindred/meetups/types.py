"""What the meetups app publishes for other apps' code: the meetup a service takes or returns (e.g. a deal's
origin). Read meetups through kindred.meetups.selectors."""

from .models import Meetup

__all__ = ["Meetup"]
