"""The smallest group size (k) and the audit log of who looked at the figures. The roll-up
rows themselves are not in admin: they are unsuppressed, and every figure a person sees
goes through analytics.privacy."""

from django.contrib import admin
from django.shortcuts import redirect

from analytics.models import AnalyticsSettings, AuditEntry
from digests.admin import ReadOnlyAdmin


@admin.register(AnalyticsSettings)
class AnalyticsSettingsAdmin(admin.ModelAdmin):
    fields = ["k"]

    def has_add_permission(self, request):
        # The list page creates the row; an "add" button would only lead to a second one.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        # One row: the list is just a door to it (saved once, so the change page exists).
        row = AnalyticsSettings.load()
        return redirect("admin:analytics_analyticssettings_change", row.pk)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "viewer", "kind", "segment", "segment_id", "detail"]
    list_filter = ["kind", "segment"]
    list_select_related = ["viewer"]
    date_hierarchy = "created_at"
