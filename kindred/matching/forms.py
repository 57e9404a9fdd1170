from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import INTRO_NOTE_MAX_LENGTH

MAX_ID = 2**63 - 1


class IntroRequestForm(forms.Form):
    to_member_id = forms.IntegerField(min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
    via_member_id = forms.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, widget=forms.HiddenInput
    )
    note = forms.CharField(
        label=_("A word for the connector"),
        max_length=INTRO_NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class IntroProposeForm(forms.Form):
    member_id = forms.IntegerField(min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
    other_id = forms.IntegerField(min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
    note = forms.CharField(max_length=INTRO_NOTE_MAX_LENGTH, required=False, widget=forms.HiddenInput)


class ContactsImportForm(forms.Form):
    file = forms.FileField(label=_("vCard (.vcf) or CSV file"))


class NominateContactForm(forms.Form):
    member_id = forms.IntegerField(min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
