from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Provisioned(models.Model):
    """An account the directory manages over SCIM: its SCIM userName (Entra's user principal
    name, Okta's login), the directory's own id for it (externalId), and when it last wrote.
    The SCIM id of the account is the user's primary key. Only these accounts are listed to
    the directory: guests, admins and integrations made here are not its business."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="provisioning",
        verbose_name=_("person"),
    )
    user_name = models.CharField(_("SCIM userName"), max_length=255)
    external_id = models.CharField(_("SCIM externalId"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("provisioned account")
        verbose_name_plural = _("provisioned accounts")
        constraints = [
            models.UniqueConstraint(Lower("user_name"), name="scim_provisioned_user_name"),
        ]
        indexes = [models.Index(fields=["external_id"], name="scim_provisioned_external_id")]

    def __str__(self) -> str:
        return self.user_name


class Token(models.Model):
    """A bearer token an admin issued for a SCIM client. Only its SHA-256 is kept: the token
    is shown once, when it is made. SCIM_BEARER_TOKEN (environment) works beside these."""

    name = models.CharField(
        _("name"), max_length=100, help_text=_("Which client uses it, e.g. “Entra ID”.")
    )
    digest = models.CharField(
        _("token digest (SHA-256)"), max_length=64, unique=True, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("issued"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("SCIM token")
        verbose_name_plural = _("SCIM tokens")

    def __str__(self) -> str:
        return self.name
