"""The audit actions as a typed registry: each app declares its actions as a StrEnum in `<app>/audit.py`,
decorated with @audit_actions_register; core imports every installed app's `audit` module at start-up
(CoreConfig.ready), so core names no app. `audit_record` accepts only a registered action, and analytics read
the full list from `audit_actions()`.

    # kindred/ties/audit.py
    @audit_actions_register
    class Action(StrEnum):
        TIE_DECLARED = "tie_declared"

The values are what the audit rows store: never change one (old rows keep it), add a member instead.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=type[StrEnum])

_ACTIONS: dict[str, StrEnum] = {}


class UnknownAuditAction(ValueError):
    """An action no app registered: a typo, or an app whose audit module was not imported."""


def audit_actions_register(actions: E) -> E:
    """Register every member of an app's action enum (a class decorator). A value registered twice by two
    different enums is refused: one row must mean one thing."""
    for member in actions:
        known = _ACTIONS.get(member.value)
        if known is not None and type(known).__module__ != actions.__module__:
            raise ValueError(f"audit action {member.value!r} is registered twice ({type(known).__module__})")
        _ACTIONS[member.value] = member
    return actions


def audit_action_check(action: str) -> StrEnum:
    """The registered action for `action` (an enum member or its value), or UnknownAuditAction."""
    try:
        return _ACTIONS[str(action)]
    except KeyError:
        raise UnknownAuditAction(
            f"unregistered audit action {action!r}: declare it in its app's audit.py"
        ) from None


def audit_actions() -> dict[str, str]:
    """Every known action, for analytics: {stored value: the module that declares it}, sorted by value."""
    return {value: type(member).__module__ for value, member in sorted(_ACTIONS.items())}


def audit_modules_load() -> None:
    """Import each installed app's `audit` module (those without one are skipped)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("audit")
