from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

# Six digits from an app, or a recovery code as shown ("abcd-efgh"), with room for spaces.
CODE_MAX_LENGTH = 20


class CodeForm(forms.Form):
    """The code step of signing in: 6 digits from the authenticator app, or a recovery code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=CODE_MAX_LENGTH,
        help_text=_("The 6 digits your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "autocorrect": "off",
                "spellcheck": "false",
                "autofocus": True,
                "maxlength": CODE_MAX_LENGTH,
            }
        ),
    )


class EnrolmentForm(forms.Form):
    """Confirming the app being set up with the code it shows now."""

    code = forms.CharField(
        label=_("Code from the app"),
        max_length=CODE_MAX_LENGTH,
        help_text=_("The 6 digits the app shows now for this account."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "maxlength": CODE_MAX_LENGTH,
            }
        ),
    )


class TurnOffForm(forms.Form):
    """Proof that the person at the keyboard is the account's owner: a current code (or a
    recovery code) or the password."""

    proof = forms.CharField(
        label=_("A code from your app, or your password"),
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "maxlength": 128}),
    )
