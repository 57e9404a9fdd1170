"""Thin forms: field shapes and labels; the rules live in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kindred.circles.models import CARD_TEXT_MAX_LENGTH
from kindred.core.text import LineField, PasswordField, TextField

from .models import CLOSENESS_MAX, CLOSENESS_MIN, REASON_MAX_LENGTH, YEARS_KNOWN_MAX, Nomination
from .services import DRAFT_CARD_FIELDS, NAME_MAX_LENGTH, PHONE_MAX_LENGTH, USERNAME_MAX_LENGTH

CLOSENESS_CHOICES = [(i, str(i)) for i in range(CLOSENESS_MIN, CLOSENESS_MAX + 1)]


class _DraftCardMixin(forms.Form):
    company = LineField(label=_("Company"), max_length=128, required=False)
    title = LineField(label=_("Title"), max_length=128, required=False)
    city = LineField(label=_("City"), max_length=64, required=False)
    offers = TextField(
        label=_("What they offer"),
        max_length=CARD_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    needs = TextField(
        label=_("What they need"),
        max_length=CARD_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    bio = TextField(
        label=_("Bio"),
        max_length=CARD_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def draft_card(self) -> dict[str, str]:
        return {k: self.cleaned_data[k] for k in DRAFT_CARD_FIELDS if self.cleaned_data.get(k)}


class _ContactMixin(forms.Form):
    name = LineField(label=pgettext_lazy("person", "Name"), max_length=NAME_MAX_LENGTH)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = LineField(label=_("Phone"), max_length=PHONE_MAX_LENGTH, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("email") and not data.get("phone") and not self.errors.get("email"):
            raise forms.ValidationError(_("Give an email or a phone number."))
        return data


class NominationForm(_ContactMixin, _DraftCardMixin):
    relationship = forms.ChoiceField(label=_("How you know them"), choices=Nomination.Relationship.choices)
    years_known = forms.IntegerField(label=_("Years known"), min_value=0, max_value=YEARS_KNOWN_MAX)
    closeness = forms.TypedChoiceField(
        label=_("How close are you (1 = acquaintance, 5 = very close)"),
        choices=CLOSENESS_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    reason = TextField(
        label=_("Why they belong here (their link to the industry chain)"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    field_order = [
        "name",
        "email",
        "phone",
        "relationship",
        "years_known",
        "closeness",
        "reason",
        *DRAFT_CARD_FIELDS,
    ]


class DirectInvitationForm(_ContactMixin, _DraftCardMixin):
    reason = TextField(
        label=_("Note (why you invite them)"),
        max_length=REASON_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    field_order = ["name", "email", "phone", "reason", *DRAFT_CARD_FIELDS]


class ReasonForm(forms.Form):
    reason = TextField(
        label=_("Reason"), max_length=REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )


class JoinForm(forms.Form):
    display_name = LineField(
        label=_("Display name in the circle"), max_length=NAME_MAX_LENGTH, required=False
    )


class SignupForm(JoinForm):
    username = LineField(label=_("Username"), max_length=USERNAME_MAX_LENGTH)
    email = forms.EmailField(label=_("Email"), required=False)
    password1 = PasswordField(label=_("Password"))
    password2 = PasswordField(label=_("Password again"))

    field_order = ["username", "password1", "password2", "display_name", "email"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data
