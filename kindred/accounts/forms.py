from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kindred.core.text import LineField

from .models import TOKEN_NAME_MAX_LENGTH


class TokenCreateForm(forms.Form):
    name = LineField(
        label=_("Token name"),
        max_length=TOKEN_NAME_MAX_LENGTH,
        help_text=_("What the token is for, e.g. “my script” or “spreadsheet sync”."),
    )
