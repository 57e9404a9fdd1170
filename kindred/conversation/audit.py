"""The audit actions of the circle's conversation: the values stored in audit rows (never change one)."""

from enum import StrEnum

from kindred.core.audit import audit_actions_register


@audit_actions_register
class Action(StrEnum):
    ASK_CAUGHT = "conversation.ask_caught"
    ASK_CLOSED = "conversation.ask_closed"
    EVENT_POSTED = "conversation.event_posted"
    MESSAGE_DELETED = "conversation.message_deleted"
    MESSAGE_EDITED = "conversation.message_edited"
    MESSAGE_HIDDEN = "conversation.message_hidden"
    MESSAGE_POSTED = "conversation.message_posted"
    READ = "conversation.read"
    SLOW_MODE_SET = "conversation.slow_mode_set"
    TOPICS_LABELLED = "conversation.topics_labelled"
