from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kindred.core.text import LineField, TextField

from .models import INTRO_NOTE_MAX_LENGTH

MAX_ID = 2**63 - 1


class IntroRequestForm(forms.Form):
    """Ask for an introduction: from a match (through the first go-between on its trust path) or from a
    member's card (through the mutual tie chosen there). `next` is the page to come back to on a refusal."""

    to_member_id = forms.IntegerField(min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
    # The connector: a hidden field on a match, a choice of mutual ties on a card (the service checks it).
    via_member_id = forms.IntegerField(
        label=_("Who introduces you"), min_value=1, max_value=MAX_ID, required=False, widget=forms.HiddenInput
    )
    note = TextField(
        label=_("A note for the connector and for them"),
        max_length=INTRO_NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    next = LineField(required=False, max_length=2000, widget=forms.HiddenInput)


class IntroProposeForm(forms.Form):
    member_id = forms.IntegerField(min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
    other_id = forms.IntegerField(min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
    note = TextField(max_length=INTRO_NOTE_MAX_LENGTH, required=False, widget=forms.HiddenInput)


class ContactsImportForm(forms.Form):
    file = forms.FileField(label=_("vCard (.vcf) or CSV file"))


class NominateContactForm(forms.Form):
    member_id = forms.IntegerField(min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
