from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import DECLARABLE_KINDS, EARLIEST_SINCE_YEAR, Tie


class TieDeclareForm(forms.Form):
    """ "I know them": how, and since when. The member comes from the page (a hidden field)."""

    member_id = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label=_("How do you know each other?"),
        choices=[(value, label) for value, label in Tie.Kind.choices if value in DECLARABLE_KINDS],
        initial=Tie.Kind.FRIEND,
    )
    since_year = forms.IntegerField(label=_("Since (year)"), required=False, min_value=EARLIEST_SINCE_YEAR)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        field = self.fields["since_year"]
        field.validators.append(MaxValueValidator(this_year))
        field.widget.attrs.update(
            {"min": EARLIEST_SINCE_YEAR, "max": this_year, "placeholder": str(this_year)}
        )
