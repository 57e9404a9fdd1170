from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MailPreference


class MarkReadForm(forms.Form):
    id = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)


class MailPreferenceForm(forms.Form):
    mail = forms.ChoiceField(label=_("Mail about this circle"), choices=MailPreference.Mode.choices)
