from __future__ import annotations

import zoneinfo
from functools import cache

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from digests.models import Frequency, Level, SiteSettings, SourceKind, UnreadEmail
from digests.preferences import check_time_zone


@cache
def _zones() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class DigestForm(forms.Form):
    """How often my digest comes, and in which time zone. Blank means "the site's"."""

    frequency = forms.ChoiceField(label=_("Email digest"), widget=forms.RadioSelect)
    time_zone = forms.CharField(label=_("Time zone"), required=False)
    unread_email = forms.ChoiceField(
        label=_("Mentions, replies and invitations you have not read"),
        widget=forms.RadioSelect,
        required=False,
    )

    def __init__(self, *args, site: SiteSettings, **kwargs):
        super().__init__(*args, **kwargs)
        default = Frequency(site.digest_frequency).label
        self.fields["frequency"].choices = [
            ("", _("Site default (now: %(default)s)") % {"default": default}),
            *Frequency.choices,
        ]
        self.fields["frequency"].required = False
        site_unread = (
            _("email them after %(n)d minutes") % {"n": site.unread_email_delay}
            if site.unread_email
            else _("only in the inbox and digest")
        )
        self.fields["unread_email"].choices = [
            ("", _("Site default (now: %(default)s)") % {"default": site_unread}),
            *UnreadEmail.choices,
        ]
        self.fields["time_zone"].widget = forms.Select(
            choices=[("", _("Site time zone (%(zone)s)") % {"zone": settings.TIME_ZONE}), *_zones()]
        )

    def clean_time_zone(self) -> str:
        return check_time_zone(self.cleaned_data["time_zone"])


class LevelForm(forms.Form):
    """One source's level: "" hands it back to the site default."""

    kind = forms.ChoiceField(choices=SourceKind.choices)
    object_id = forms.IntegerField(min_value=1)
    level = forms.ChoiceField(
        choices=[("", _("Default")), *Level.choices],
        required=False,
        error_messages={"invalid_choice": _("Choose feed and digest, feed only, or muted.")},
    )
