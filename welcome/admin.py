from django import forms
from django.contrib import admin
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from groups.models import Group
from welcome.models import Announcement, WelcomeSettings


class WelcomeSettingsForm(forms.ModelForm):
    class Meta:
        model = WelcomeSettings
        fields = ["welcome_text", "featured_groups", "featured_hashtags", "enough_follows"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only open groups: featuring a private group would offer a Join nobody can click.
        self.fields["featured_groups"].queryset = Group.objects.filter(
            kind=Group.Kind.OPEN, archived_at__isnull=True
        ).order_by("name")


@admin.register(WelcomeSettings)
class WelcomeSettingsAdmin(admin.ModelAdmin):
    """One row: the list page goes straight to it."""

    form = WelcomeSettingsForm
    filter_horizontal = ["featured_groups", "featured_hashtags"]

    def has_add_permission(self, request):
        return not WelcomeSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        WelcomeSettings.current()
        return redirect("admin:welcome_welcomesettings_change", 1)


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    """The record of announcements. They are made from a post's page ("Pin to everyone's
    Home"), where the rules are checked (who may, which posts, at most two at once); here
    an admin may only move an end."""

    list_display = ["post_text", "starts_at", "ends_at", "created_by"]
    list_select_related = ["post", "created_by"]
    fields = ["post", "starts_at", "ends_at", "created_by", "ended_by"]
    readonly_fields = ["post", "starts_at", "created_by", "ended_by"]
    date_hierarchy = "starts_at"

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("post"))
    def post_text(self, obj):
        return obj.post.plain_text[:80]
