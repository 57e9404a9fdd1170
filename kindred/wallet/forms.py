"""Wallet forms: amounts are typed in yuan (two decimals) and become integer fen here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kindred.core.text import LineField

from .models import (
    DEFAULT_GREETING,
    GREETING_TEXT_MAX_LENGTH,
    PROVIDER_REFERENCE_MAX_LENGTH,
    Envelope,
    GreetingRule,
)

MAX_YUAN = Decimal("10000000")


class YuanField(forms.DecimalField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 10)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0.01"))
        kwargs.setdefault("max_value", MAX_YUAN)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "step": "0.01"})


class TopupForm(forms.Form):
    amount = YuanField(label=_("Amount (yuan)"))
    reference = LineField(widget=forms.HiddenInput, required=False, max_length=PROVIDER_REFERENCE_MAX_LENGTH)


class WithdrawForm(forms.Form):
    amount = YuanField(label=_("Amount (yuan)"))
    # A double-submitted form cashes out once.
    idempotency_key = LineField(widget=forms.HiddenInput, required=False, max_length=64)


class EnvelopeForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("Kind"), choices=Envelope.Mode.choices, initial=Envelope.Mode.LUCKY, widget=forms.RadioSelect
    )
    total = YuanField(label=_("Total (yuan)"))
    shares = forms.IntegerField(label=_("Shares"), min_value=1, max_value=10_000, initial=10)
    greeting = LineField(
        label=_("Greeting"),
        required=False,
        max_length=GREETING_TEXT_MAX_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": DEFAULT_GREETING}),
    )
    idempotency_key = LineField(widget=forms.HiddenInput, required=False, max_length=64)


class WalletSettingsForm(forms.Form):
    sender_may_grab = forms.BooleanField(label=_("The sender may grab their own envelope"), required=False)
    greeting_rule = forms.ChoiceField(
        label=_("Newcomer's greeting envelope"),
        choices=GreetingRule.choices,
        help_text=_(
            "Suggested: newcomers are reminded for a week. Required: members who join from now on send one "
            "before they grab others' envelopes; you can excuse anyone. Small equal envelopes are welcome."
        ),
    )
    greeting_min_total = YuanField(label=_("Greeting: minimum total (yuan)"))
    greeting_min_shares = forms.IntegerField(
        label=_("Greeting: minimum shares"), min_value=1, max_value=10_000
    )
