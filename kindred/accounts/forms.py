from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from kindred.core.text import LineField, PasswordField

from .models import TOKEN_NAME_MAX_LENGTH


class TokenCreateForm(forms.Form):
    name = LineField(
        label=_("Token name"),
        max_length=TOKEN_NAME_MAX_LENGTH,
        help_text=_("What the token is for, e.g. “my script” or “spreadsheet sync”."),
    )


USERNAME_MAX_LENGTH = get_user_model()._meta.get_field("username").max_length or 150


class SignInForm(AuthenticationForm):
    """Django's sign-in form with its fields checked before authentication runs: Django sets the username's
    max_length after the field is built, so its length was never validated, and a 100 000-character name
    reached the login-throttling table (a 500 on PostgreSQL). Control characters are refused too."""

    username = LineField(
        label=_("Username"),
        max_length=USERNAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = PasswordField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
