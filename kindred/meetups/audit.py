"""The audit actions of trips, meetups and calendar feeds: the values stored in audit rows (never change one)."""

from enum import StrEnum

from kindred.core.audit import audit_actions_register


@audit_actions_register
class Action(StrEnum):
    CALENDAR_FEED_CREATED = "calendar_feed_created"
    CALENDAR_FEED_REVOKED = "calendar_feed_revoked"
    MEETUP_CAPACITY_SET = "meetup_capacity_set"
    MEETUP_CHECKIN = "meetup_checkin"
    MEETUP_CREATED = "meetup_created"
    MEETUP_FOLLOWUP = "meetup_followup"
    MEETUP_INVITED = "meetup_invited"
    MEETUP_NOTES_SET = "meetup_notes_set"
    MEETUP_REMINDED = "meetup_reminded"
    MEETUP_RSVP = "meetup_rsvp"
    MEETUP_WAITLIST_PROMOTED = "meetup_waitlist_promoted"
    TRIP_CREATED = "trip_created"
