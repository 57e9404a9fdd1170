"""Services shared by every app: the audit row and the domain error type."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models

from .audit import audit_action_check
from .models import AuditEvent


class ServiceError(Exception):
    """A refused state change. Carries the HTTP status the edge should answer with.

    The message is a (lazily) translated string: the API and the views show it to the user in their
    language; nothing has been changed when it is raised inside an atomic service.
    """

    status_code = 400

    def __init__(self, message: Any, *, status_code: int | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        if status_code is not None:
            self.status_code = status_code


class NotFound(ServiceError):
    status_code = 404


class PermissionDenied(ServiceError):
    status_code = 403


class Conflict(ServiceError):
    status_code = 409


class Gone(ServiceError):
    """The thing existed but can no longer be used (expired, revoked, used up)."""

    status_code = 410


def audit_record(
    *,
    action: StrEnum,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    circle_id: int | None = None,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Write one audit row. Call it inside the service's transaction; `at` back-dates it (demo replay).
    `action` is a member of an app's registered action enum (kindred.core.audit); anything else raises."""
    action = audit_action_check(action)
    actor_obj = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=actor_obj,  # type: ignore[misc]
        circle_id=circle_id,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=target.pk if target is not None else None,
        data=data or {},
        **({"occurred_at": at} if at is not None else {}),
    )
