from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from people.models import Department, Follow, Location, User


@admin.register(User)
class PersonAdmin(UserAdmin):
    """Admins create people and deactivate them (never delete: their posts stay)."""

    list_display = [
        "username",
        "get_full_name",
        "email",
        "title",
        "department",
        "location",
        "is_active",
        "is_staff",
        "is_guest",
    ]
    list_filter = ["is_active", "is_staff", "is_guest", "department", "location"]
    autocomplete_fields = ["sponsor"]
    list_select_related = ["department", "location"]
    search_fields = ["username", "first_name", "last_name", "email", "title"]
    fieldsets = [
        *UserAdmin.fieldsets,
        (_("Profile"), {"fields": ["title", "department", "location", "bio", "avatar", "skills"]}),
        (_("External guest"), {"fields": ["is_guest", "sponsor", "guest_expires_on"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": [
                    "username",
                    "first_name",
                    "last_name",
                    "email",
                    "password1",
                    "password2",
                ],
            },
        ),
        (_("Profile"), {"fields": ["title", "department", "location"]}),
        (
            _("External guest"),
            {
                "description": _(
                    "A guest sees only the groups they are invited to and accept. They need "
                    "an employee as sponsor; after the end date they cannot sign in."
                ),
                "fields": ["is_guest", "sponsor", "guest_expires_on"],
            },
        ),
    ]
    actions = ["deactivate"]

    @admin.action(description=_("Deactivate selected people (they can no longer sign in)"))
    def deactivate(self, request, queryset):
        updated = queryset.update(is_active=False)
        self.message_user(request, _("%(n)d people deactivated.") % {"n": updated})


@admin.register(Department, Location)
class NamedAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["follower", "followee", "created_at"]
    list_select_related = ["follower", "followee"]
    raw_id_fields = ["follower", "followee"]
