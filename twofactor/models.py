from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from esn.singleton import SiteSettingsRow


class TwoStepPolicy(SiteSettingsRow):
    """Whether the site requires two-step sign-in of its administrators. One row, edited in
    Django admin; read through `TwoStepPolicy.current()`, cached and refreshed on save.
    People's own devices are django-otp's (otp_totp, otp_static)."""

    CACHE_KEY = "twofactor:policy:v1"

    require_for_admins = models.BooleanField(
        _("require two-step sign-in for site administrators"),
        default=False,
        help_text=_(
            "Staff and superusers who sign in with a password must enter a code from their "
            "authenticator app; one who has not set it up is sent to do so before anything "
            "else. Single sign-on is exempt (the identity provider asks for its own second "
            "step). Other people choose for themselves."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("two-step sign-in policy")

    def __str__(self) -> str:
        return str(_("Two-step sign-in policy"))

    @classmethod
    def load(cls) -> TwoStepPolicy:
        # Not created on read: the defaults stand until an admin saves the row.
        return cls.objects.filter(pk=1).first() or cls(pk=1)
