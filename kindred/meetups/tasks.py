"""The meetups' background work: remind those going to a meetup that starts soon, every REMINDER_SWEEP_SECONDS."""

from __future__ import annotations

from kindred.core.tasks import periodic

from . import services
from .models import REMINDER_SWEEP_SECONDS


@periodic(every=REMINDER_SWEEP_SECONDS, name="meetup-reminders")
def meetup_reminders() -> int:
    """Send the reminders now due, once each: the number sent."""
    return services.reminders_send()
