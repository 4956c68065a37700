from __future__ import annotations

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Six digits from an app, or a recovery code as shown ("abcd-efgh"), with room for spaces.
CODE_MAX_LENGTH = 20


def _code_field(label: str | Promise, help_text: str | Promise, **attrs: object) -> forms.CharField:
    """A one-time code typed from an app: the phone's keyboard and password managers know it
    (autocomplete one-time-code)."""
    return forms.CharField(
        label=label,
        max_length=CODE_MAX_LENGTH,
        help_text=help_text,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "maxlength": CODE_MAX_LENGTH, **attrs}
        ),
    )


class CodeForm(forms.Form):
    """The code step of signing in: 6 digits from the authenticator app, or a recovery code."""

    # Not numeric: a recovery code has letters.
    code = _code_field(
        _("Code"),
        _("The 6 digits your authenticator app shows, or one of your recovery codes."),
        autocapitalize="none",
        autocorrect="off",
        spellcheck="false",
        autofocus=True,
    )


class EnrolmentForm(forms.Form):
    """Confirming the app being set up with the code it shows now."""

    code = _code_field(
        _("Code from the app"),
        _("The 6 digits the app shows now for this account."),
        inputmode="numeric",
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
