"""The one text rule of Kindred, for every API schema, form and service.

Text a person typed is kept as typed, with three exceptions applied the same way everywhere:
- NUL and the other control characters (C0 except tab and line breaks, DEL, C1) are refused with a 4xx:
  PostgreSQL cannot store NUL, and the others are never typed on purpose (they hide text or break logs);
- Windows and old-Mac line breaks become "\\n"; surrounding whitespace is stripped;
- one-line text (names, titles, tags, cities) folds every run of whitespace, line breaks included, to a space.

Use it as
- `Annotated[str, Field(max_length=64), OneLine]` (or `FreeText`) in a django-ninja schema: a 422 naming
  the field when refused,
- `Annotated[str, Field(max_length=N), Verbatim]` for a secret (a password): kept exactly as typed,
  control characters still refused,
- `LineField(max_length=64)` / `TextField(max_length=2000)` in a Django form (the form error),
- `clean_line(...)` / `clean_multiline(...)` in a service (a ServiceError with the field's label: 400).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pydantic import AfterValidator

from .services import ServiceError

# C0 controls except \t \n \r, DEL, and the C1 block. Zero-width and bidi marks are ordinary text in CJK and
# Arabic and are kept.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CRLF = re.compile(r"\r\n?")


class TextRefused(ValueError):
    """The text has a character that is not allowed. `str()` is the message in the active language."""


def has_forbidden(value: str) -> bool:
    return bool(_FORBIDDEN.search(value))


def refused_message() -> str:
    return _("Text may not contain control characters (such as NUL).")


def normalize_text(value: str, *, one_line: bool) -> str:
    """The kept form of `value`, or TextRefused. Pure: no length or emptiness check here."""
    if _FORBIDDEN.search(value):
        raise TextRefused(refused_message())
    if one_line:
        return " ".join(value.split())
    return _CRLF.sub("\n", value).strip()


# --- API schemas (pydantic) ------------------------------------------------------------------------


def _line(value: str) -> str:
    return normalize_text(value, one_line=True)


def _multiline(value: str) -> str:
    return normalize_text(value, one_line=False)


def _verbatim(value: str) -> str:
    if _FORBIDDEN.search(value):
        normalize_text(value, one_line=False)  # raises TextRefused with the one message
    return value


# A password longer than this is refused everywhere (API, sign-in, sign-up) before it is hashed: hashing
# megabytes of password is a cheap way to tie up a worker, and no person types more.
PASSWORD_MAX_LENGTH = 128

# Use as `Annotated[str, Field(max_length=N), OneLine]` or `Annotated[str, Field(max_length=N), FreeText]`.
OneLine = AfterValidator(_line)
FreeText = AfterValidator(_multiline)
# Passwords and other secrets: not stripped or folded (a space may be part of them), control characters refused.
Verbatim = AfterValidator(_verbatim)


def clean_nested(value: Any) -> Any:
    """Check every string inside lists and dicts (a schema's free-form JSON field)."""
    if isinstance(value, str):
        return normalize_text(value, one_line=False)
    if isinstance(value, list | tuple):
        return type(value)(clean_nested(v) for v in value)
    if isinstance(value, dict):
        return {clean_nested(k): clean_nested(v) for k, v in value.items()}
    return value


# --- Django forms -----------------------------------------------------------------------------------


class _CleanTextMixin:
    one_line = True

    def to_python(self, value: Any) -> Any:
        # Checked before CharField strips the ends: str.strip() removes U+0085 (a C1 control), so a form
        # would otherwise keep "\x85abc" as "abc" while the API refuses it.
        if isinstance(value, str) and has_forbidden(value):
            raise ValidationError(refused_message(), code="control_character")
        value = super().to_python(value)  # type: ignore[misc]
        if isinstance(value, str):
            value = normalize_text(value, one_line=self.one_line)
        return value


class LineField(_CleanTextMixin, forms.CharField):
    """A form's one-line text: control characters refused, whitespace folded."""

    one_line = True


class TextField(_CleanTextMixin, forms.CharField):
    """A form's free text (a textarea): control characters refused, line breaks kept."""

    one_line = False

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea)
        super().__init__(**kwargs)


class PasswordField(forms.CharField):
    """A form's password: kept exactly as typed (never stripped), control characters refused, and at most
    PASSWORD_MAX_LENGTH characters, checked before anything hashes it or hands it to authentication."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.PasswordInput)
        kwargs.setdefault("max_length", PASSWORD_MAX_LENGTH)
        kwargs["strip"] = False
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and has_forbidden(value):
            raise ValidationError(refused_message(), code="control_character")
        return super().to_python(value)


# --- services ---------------------------------------------------------------------------------------


def clean_text(
    value: Any, *, label: Any, max_length: int, required: bool = False, one_line: bool = True
) -> str:
    """Text checked at the model's limits inside a service: a ServiceError (400) naming the field."""
    raw = "" if value is None else str(value)
    try:
        text = normalize_text(raw, one_line=one_line)
    except TextRefused as exc:
        raise ServiceError(
            _("%(field)s contains a character that is not allowed.") % {"field": label},
            code="control_character",
        ) from exc
    if required and not text:
        raise ServiceError(_("%(field)s is required.") % {"field": label}, code="required")
    if len(text) > max_length:
        raise ServiceError(
            _("%(field)s is too long (at most %(n)d characters).") % {"field": label, "n": max_length},
            code="too_long",
        )
    return text


def clean_line(value: Any, *, label: Any, max_length: int, required: bool = False) -> str:
    return clean_text(value, label=label, max_length=max_length, required=required, one_line=True)


def clean_multiline(value: Any, *, label: Any, max_length: int, required: bool = False) -> str:
    return clean_text(value, label=label, max_length=max_length, required=required, one_line=False)


__all__ = [
    "PASSWORD_MAX_LENGTH",
    "FreeText",
    "LineField",
    "OneLine",
    "PasswordField",
    "TextField",
    "TextRefused",
    "Verbatim",
    "clean_line",
    "clean_multiline",
    "clean_nested",
    "clean_text",
    "has_forbidden",
    "normalize_text",
]
