"""The API's error shapes, shared by every router so the OpenAPI document describes one error format."""

from __future__ import annotations

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    """A refused request: a sentence in the caller's language, and a stable code where there is one."""

    detail: str
    code: str | None = None


class ValidationItemOut(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(Schema):
    """422 from the edge: the request did not match the schema (one item per problem)."""

    detail: list[ValidationItemOut]


# The error responses every operation documents. A service's refusal carries its own status
# (kindred.core.services.ServiceError); a request that fails schema validation gets 422.
ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    410: ErrorOut,
    422: ValidationErrorOut,
    429: ErrorOut,
}
