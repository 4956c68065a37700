from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class LinkAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Password of your existing account"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
