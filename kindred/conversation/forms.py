"""The conversation's forms: what the pages post (the composer, edit, hide, caught, search, read, slow mode)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from kindred.core.text import LineField, TextField

from .models import (
    CLIENT_ID_MAX_LENGTH,
    HIDE_REASON_MAX_LENGTH,
    MESSAGE_MAX_LENGTH,
    SEARCH_QUERY_MAX_LENGTH,
)

MAX_ID = 2**63 - 1
# The intervals the settings page offers for slow mode (seconds; 0 is off). The API takes any value up to
# SLOW_MODE_MAX_SECONDS; a value set there is offered too, so the page shows it as it is.
SLOW_MODE_CHOICES = (0, 30, 60, 5 * 60, 10 * 60)


def _id_field(**kwargs: Any) -> forms.IntegerField:
    return forms.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class PostForm(forms.Form):
    text = TextField(
        label=_("Message"),
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off", "data-mentions": "1"}),
    )
    is_ask = forms.BooleanField(
        label=_("This is an ask (求助 / 找人): Kindred asks the members most likely to catch it"),
        required=False,
    )
    reply_to = _id_field(required=False, widget=forms.HiddenInput)
    # Shown after the circle's topic guard held the message back (409): the poster may post it anyway.
    confirm_off_topic = forms.BooleanField(label=_("Post it anyway"), required=False)
    off_topic = False
    # One id per rendered form: the same form posted twice (a double click, a retry) is one message.
    client_id = LineField(max_length=CLIENT_ID_MAX_LENGTH, required=False, widget=forms.HiddenInput)


class EditForm(forms.Form):
    text = TextField(
        label=_("Message"), max_length=MESSAGE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )


class HideForm(forms.Form):
    reason = LineField(label=_("Reason for hiding (the author is told)"), max_length=HIDE_REASON_MAX_LENGTH)


class CaughtForm(forms.Form):
    """Who caught the ask: a reply to it (its author) or a member."""

    reply_id = forms.TypedChoiceField(
        label=_("A reply caught it"), coerce=int, required=False, empty_value=None
    )
    member_id = forms.TypedChoiceField(
        label=_("Or a member caught it"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, replies: list[tuple[int, str]], members: list[tuple[int, str]], **kw: Any):
        super().__init__(*args, **kw)
        self.fields["reply_id"].choices = [("", "—"), *replies]  # type: ignore[attr-defined]
        self.fields["member_id"].choices = [("", "—"), *members]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("reply_id") is None) == (data.get("member_id") is None):
            raise forms.ValidationError(_("Choose one: a reply or a member."), code="one_catcher")
        return data


class SearchForm(forms.Form):
    q = LineField(label=_("Search the conversation"), max_length=SEARCH_QUERY_MAX_LENGTH, required=False)


class ReadForm(forms.Form):
    last_read_id = _id_field(widget=forms.HiddenInput)


class RsvpForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Your answer"),
        choices=[("yes", _("Going")), ("maybe", _("Maybe")), ("no", _("Not going"))],
    )


def interval_label(seconds: int) -> str:
    """Slow mode's interval in words, in the reader's language ("off", "30 seconds", "5 minutes")."""
    if not seconds:
        return gettext("Off")
    if seconds % 3600 == 0:
        n = seconds // 3600
        return ngettext("%(n)d hour", "%(n)d hours", n) % {"n": n}
    if seconds % 60 == 0:
        n = seconds // 60
        return ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n}
    return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}


class SlowModeForm(forms.Form):
    """The organizer's slow-mode setting: one of SLOW_MODE_CHOICES, or the circle's `current` value."""

    slow_mode_seconds = forms.TypedChoiceField(
        label=_("Slow mode: how long a member waits between posts"),
        coerce=int,
        error_messages={"invalid_choice": _("Choose one of the intervals listed.")},
    )

    def __init__(self, *args: Any, current: int, **kw: Any) -> None:
        super().__init__(*args, **kw)
        field = self.fields["slow_mode_seconds"]
        field.initial = current
        field.choices = [(v, interval_label(v)) for v in sorted({*SLOW_MODE_CHOICES, current})]  # type: ignore[attr-defined]
