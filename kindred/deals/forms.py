from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kindred.core.money import FEN_PER_YUAN, to_fen
from kindred.core.text import LineField, TextField

from .models import (
    AMOUNT_MAX_FEN,
    OUTSIDE_PARTY_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    TITLE_LABEL,
    TITLE_MAX_LENGTH,
    Deal,
)


class DealForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Deal.Kind.choices)
    title = LineField(label=TITLE_LABEL, max_length=TITLE_MAX_LENGTH)
    parties = forms.TypedMultipleChoiceField(label=_("The other members in it"), coerce=int, choices=())
    outside_party = LineField(
        label=_("Outside party (optional)"), max_length=OUTSIDE_PARTY_MAX_LENGTH, required=False
    )
    amount_yuan = forms.DecimalField(
        label=_("Amount in yuan (optional)"),
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(AMOUNT_MAX_FEN) / FEN_PER_YUAN,
        decimal_places=2,
    )
    amount_public = forms.BooleanField(label=_("Show the amount to the whole circle"), required=False)
    stage = forms.ChoiceField(label=_("Stage"), choices=Deal.Stage.choices, initial=Deal.Stage.DISCUSSING)
    origin = forms.ChoiceField(label=_("Where it came from"), choices=Deal.Origin.choices)
    origin_meetup = forms.TypedChoiceField(
        label=_("Which meetup"), coerce=int, required=False, empty_value=None, choices=()
    )
    origin_note = LineField(
        label=_("In a few words (which introduction or ask)"), max_length=TITLE_MAX_LENGTH, required=False
    )
    description = TextField(
        label=_("Description"),
        max_length=TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self,
        *args: Any,
        member_choices: list[tuple[int, str]] | None = None,
        meetup_choices: list[tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        parties = self.fields["parties"]
        meetups = self.fields["origin_meetup"]
        assert isinstance(parties, forms.TypedMultipleChoiceField) and isinstance(
            meetups, forms.TypedChoiceField
        )
        parties.choices = member_choices or []
        meetups.choices = [("", "—"), *(meetup_choices or [])]

    def amount_fen(self) -> int | None:
        value = self.cleaned_data.get("amount_yuan")
        return None if value is None else to_fen(value)


class StageForm(forms.Form):
    stage = forms.ChoiceField(choices=Deal.Stage.choices)
