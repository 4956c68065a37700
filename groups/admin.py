"""Admins see everything about groups here, but membership stays consent-first: nobody is
added to a group from the admin (rule 5). Memberships, requests and invitations are read-only
here; the group pages are where people join and managers act, with an audit trail."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from groups.models import (
    AuditEntry,
    Ban,
    Group,
    GroupSettings,
    Invitation,
    JoinRequest,
    Membership,
    Report,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ["user", "role", "joined_at", "muted"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


class LedFilter(admin.SimpleListFilter):
    """Groups whose owners and managers have all left the company: someone must take over
    (an admin can make a member manager on the group's members page)."""

    title = _("owner or manager")
    parameter_name = "led"

    def lookups(self, request, model_admin):
        return [("no", _("None active (needs someone to take over)"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            led = Membership.objects.filter(
                role__in=[Membership.Role.OWNER, Membership.Role.MANAGER], user__is_active=True
            ).values("group_id")
            return queryset.exclude(pk__in=led).filter(archived_at__isnull=True)
        return queryset


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "member_count", "last_activity_at", "archived_at"]
    list_filter = [
        LedFilter,
        "kind",
        "allow_guests",
        ("archived_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["name", "description"]
    readonly_fields = ["slug", "created_by", "created_at", "member_count", "last_activity_at"]
    inlines = [MembershipInline]

    def has_add_permission(self, request):
        # Created on the site, so the creator becomes owner through the service.
        return False

    def has_delete_permission(self, request, obj=None):
        # Groups are archived, never deleted: their posts and audit log stay.
        return False


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["group", "user", "role", "joined_at"]
    list_filter = ["role"]
    list_select_related = ["group", "user"]
    search_fields = ["group__name", "user__username"]


@admin.register(JoinRequest)
class JoinRequestAdmin(ReadOnlyAdmin):
    list_display = ["group", "user", "status", "created_at", "decided_by"]
    list_filter = ["status"]
    list_select_related = ["group", "user", "decided_by"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["group", "invitee", "invited_by", "status", "created_at"]
    list_filter = ["status"]
    list_select_related = ["group", "invitee", "invited_by"]


@admin.register(Ban)
class BanAdmin(ReadOnlyAdmin):
    list_display = ["group", "user", "banned_by", "created_at"]
    list_select_related = ["group", "user", "banned_by"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "group", "actor", "action", "target_user", "reason"]
    list_filter = ["action"]
    list_select_related = ["group", "actor", "target_user"]
    search_fields = ["group__name", "actor__username", "target_user__username", "reason"]
    date_hierarchy = "created_at"


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "group", "reporter", "status", "resolution"]
    list_filter = ["status", "resolution"]
    list_select_related = ["group", "reporter"]


@admin.register(GroupSettings)
class GroupSettingsAdmin(admin.ModelAdmin):
    fieldsets = [(_("Who may start groups"), {"fields": ["only_admins_create_groups"]})]

    def has_add_permission(self, request):
        return not GroupSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
