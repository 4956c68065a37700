from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from scim import services
from scim.models import Provisioned, Token


@admin.register(Token)
class TokenAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at", "created_by", "last_used_at", "revoked_at"]
    readonly_fields = ["created_at", "created_by", "last_used_at", "revoked_at"]
    fields = ["name", *readonly_fields]
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None) -> bool:
        # A token is issued or revoked, never edited.
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return
        token, secret = services.issue_token(name=obj.name, by=request.user)
        obj.pk = token.pk
        messages.warning(
            request,
            _(
                "The token for “%(name)s” is: %(token)s — copy it into the SCIM client now; "
                "it is not shown again."
            )
            % {"name": token.name, "token": secret},
        )

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(
            request,
            ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", count) % {"n": count},
        )


@admin.register(Provisioned)
class ProvisionedAdmin(admin.ModelAdmin):
    list_display = ["user_name", "external_id", "user", "updated_at"]
    search_fields = ["user_name", "external_id", "user__username", "user__email"]
    list_select_related = ["user"]
    readonly_fields = ["user", "user_name", "external_id", "created_at", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return False  # the directory provisions
