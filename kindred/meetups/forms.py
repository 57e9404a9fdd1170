from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kindred.core.text import LineField, TextField

from .models import (
    CAPACITY_MAX,
    CITY_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    TITLE_LABEL,
    TITLE_MAX_LENGTH,
    VENUE_MAX_LENGTH,
    Meetup,
)

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def _datetime_field(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )


class TripForm(forms.Form):
    city = LineField(label=_("City"), max_length=CITY_MAX_LENGTH)
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    note = TextField(
        label=_("Note"), max_length=TEXT_MAX_LENGTH, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MeetupForm(forms.Form):
    title = LineField(label=TITLE_LABEL, max_length=TITLE_MAX_LENGTH)
    city = LineField(label=_("City"), max_length=CITY_MAX_LENGTH)
    venue = LineField(label=_("Venue"), max_length=VENUE_MAX_LENGTH, required=False)
    starts_at = _datetime_field(_("Starts"))
    ends_at = _datetime_field(_("Ends"))
    capacity = forms.IntegerField(
        label=_("Seats (empty: no limit)"), required=False, min_value=1, max_value=CAPACITY_MAX
    )
    access = forms.ChoiceField(
        label=_("Who may come"), choices=Meetup.Access.choices, initial=Meetup.Access.OPEN
    )
    description = TextField(
        label=_("Description"),
        max_length=TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TripInviteForm(forms.Form):
    """Turn a trip's list into an invitation-only dinner: the ticked members are invited."""

    title = LineField(label=TITLE_LABEL, max_length=TITLE_MAX_LENGTH)
    venue = LineField(label=_("Venue"), max_length=VENUE_MAX_LENGTH, required=False)
    starts_at = _datetime_field(_("Starts"))
    ends_at = _datetime_field(_("Ends"))
    capacity = forms.IntegerField(
        label=_("Seats (empty: no limit)"), required=False, min_value=1, max_value=CAPACITY_MAX
    )
    # Nobody is ticked at first; none ticked is refused by the service ("Choose at least one member").
    members = forms.TypedMultipleChoiceField(label=_("Invite"), coerce=int, choices=(), required=False)

    def __init__(self, *args: Any, member_choices: list[tuple[int, str]] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        field = self.fields["members"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = member_choices


class RsvpForm(forms.Form):
    answer = forms.ChoiceField(choices=[("yes", _("Yes")), ("maybe", _("Maybe")), ("no", _("No"))])


class CheckinForm(forms.Form):
    member_id = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)


class NotesForm(forms.Form):
    notes = TextField(
        label=_("Host's notes"),
        max_length=TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class FollowUpForm(forms.Form):
    member_a = forms.TypedChoiceField(label=_("Who"), coerce=int, choices=())
    member_b = forms.TypedChoiceField(label=_("should talk to"), coerce=int, choices=())
    note = TextField(label=_("Why"), max_length=TEXT_MAX_LENGTH, required=False, widget=forms.TextInput)

    def __init__(self, *args: Any, member_choices: list[tuple[int, str]] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        for name in ("member_a", "member_b"):
            field = self.fields[name]
            assert isinstance(field, forms.TypedChoiceField)
            field.choices = member_choices
