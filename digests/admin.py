from django.contrib import admin
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from digests.models import DigestRun, InboxEvent, SiteSettings, UnreadEmailSent
from digests.preferences import people_on_the_default


@admin.register(SiteSettings)
class SiteSettingsAdmin(admin.ModelAdmin):
    readonly_fields = ["affected"]
    fieldsets = [
        (None, {"fields": ["affected"]}),
        (_("Digest"), {"fields": ["digest_frequency", "send_hour", "send_weekday", "max_items"]}),
        (
            _("What a digest includes by default"),
            {
                "fields": [
                    "include_groups",
                    "include_hashtags",
                    "include_people",
                    "include_unanswered",
                    "mentions_in_digest",
                ]
            },
        ),
        (
            _("Unread mentions, replies and invitations"),
            {"fields": ["unread_email", "unread_email_delay"]},
        ),
        (_("Guests"), {"fields": ["guests_get_digests"]}),
    ]

    @admin.display(description=_("Who these defaults affect"))
    def affected(self, obj) -> str:
        n = people_on_the_default().count()
        return ngettext(
            "%(n)d active person has not chosen their own digest frequency: a change here "
            "applies to them at once. Source levels follow the defaults for everyone who "
            "left them unchanged.",
            "%(n)d active people have not chosen their own digest frequency: a change here "
            "applies to them at once. Source levels follow the defaults for everyone who "
            "left them unchanged.",
            n,
        ) % {"n": n}

    def has_add_permission(self, request):
        return not SiteSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        # One row: the list is just a door to it.
        settings_row = SiteSettings.current()
        return redirect("admin:digests_sitesettings_change", settings_row.pk)


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record of what happened: shown, never added, changed or deleted by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DigestRun)
class DigestRunAdmin(ReadOnlyAdmin):
    """The digest ledger, for answering "did my digest go out?". Read-only: a row is the
    record that an email was (or was not) sent, and editing it could send a second one."""

    list_display = ["user", "period", "frequency", "status", "attempts", "sent_at"]
    list_filter = ["status", "frequency"]
    search_fields = ["user__username", "user__email", "period"]
    list_select_related = ["user"]
    date_hierarchy = "planned_at"


@admin.register(UnreadEmailSent)
class UnreadEmailSentAdmin(ReadOnlyAdmin):
    """Unread-message emails sent, for answering "why did I get this?"."""

    list_display = ["user", "sent_at", "item_count"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]
    date_hierarchy = "sent_at"


@admin.register(InboxEvent)
class InboxEventAdmin(ReadOnlyAdmin):
    """Inbox events on their way to people: a row still pending long after it was made, or
    with an error, is what to look at when someone says "I was never told". Read-only."""

    list_display = ["handler", "created_at", "delivered_at", "attempts", "last_error"]
    list_filter = ["handler", ("delivered_at", admin.EmptyFieldListFilter)]
    date_hierarchy = "created_at"
