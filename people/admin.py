from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from people import importing, services
from people.models import Department, Follow, Location, User


class PersonChangeForm(UserChangeForm):
    """People sign in with their username in any case, so two usernames differing only in case
    would make a sign-in ambiguous. Django's add form already refuses them; this is the same
    rule for renaming someone (a form check: the database keeps its plain unique index)."""

    def clean_username(self):
        username = self.cleaned_data.get("username")
        if (
            username
            and User.objects.filter(username__iexact=username).exclude(pk=self.instance.pk).exists()
        ):
            raise ValidationError(
                _(
                    "A person with this username already exists: usernames are the same "
                    "whatever the case of their letters."
                ),
                code="unique",
            )
        return username


class PersonAddForm(forms.ModelForm):
    """Adding someone never asks for their password: they are mailed a one-time link to
    choose their own (people.importing.invite)."""

    class Meta:
        model = User
        fields = [
            "username",
            "email",
            "first_name",
            "last_name",
            "title",
            "department",
            "location",
            "is_guest",
            "organisation",
            "sponsor",
            "guest_expires_on",
            "is_service_account",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["email"].help_text = _("The invitation to choose a password is sent here.")

    def clean_username(self):
        username = self.cleaned_data.get("username")
        if username and User.objects.filter(username__iexact=username).exists():
            raise ValidationError(_("A person with this username already exists."), code="unique")
        return username

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


@admin.register(User)
class PersonAdmin(UserAdmin):
    """Admins create people and deactivate them (never delete: their posts stay)."""

    form = PersonChangeForm
    add_form = PersonAddForm

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
        "is_service_account",
    ]
    list_filter = [
        "is_active",
        "is_staff",
        "is_guest",
        "is_service_account",
        "department",
        "location",
    ]
    autocomplete_fields = ["sponsor"]
    list_select_related = ["department", "location"]
    search_fields = ["username", "first_name", "last_name", "email", "title"]
    fieldsets = [
        *UserAdmin.fieldsets,
        (_("Profile"), {"fields": ["title", "department", "location", "bio", "avatar", "skills"]}),
        (
            _("External guest"),
            {"fields": ["is_guest", "organisation", "sponsor", "guest_expires_on"]},
        ),
        (
            _("Service account"),
            {
                "description": _(
                    "For logins that are not a colleague: the site admin's own account, an "
                    "integration. Hidden from the people directory, people search, "
                    "suggestions and the @mention and invitation pickers."
                ),
                "fields": ["is_service_account"],
            },
        ),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "description": _(
                    "No password here: the person is mailed a one-time link to choose their "
                    "own. Many people at once: manage.py import_people FILE."
                ),
                "fields": ["username", "first_name", "last_name", "email"],
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
                "fields": ["is_guest", "organisation", "sponsor", "guest_expires_on"],
            },
        ),
        (_("Service account"), {"fields": ["is_service_account"]}),
    ]
    actions = ["deactivate", "reactivate"]

    @admin.action(description=_("Deactivate selected people (they can no longer sign in)"))
    def deactivate(self, request, queryset):
        done = sum(services.deactivate_person(person=p, by=request.user) for p in queryset)
        self.message_user(
            request,
            _(
                "%(n)d people deactivated: signed out everywhere, their open invitations "
                "withdrawn, the managers of guests they sponsored told."
            )
            % {"n": done},
        )

    @admin.action(description=_("Reactivate selected people"))
    def reactivate(self, request, queryset):
        done = sum(services.reactivate_person(person=p) for p in queryset)
        self.message_user(request, _("%(n)d people reactivated.") % {"n": done})

    def response_add(self, request, obj, post_url_continue=None):
        if importing.invite([obj]):
            self.message_user(
                request, _("%(email)s was sent a link to choose a password.") % {"email": obj.email}
            )
        return super().response_add(request, obj, post_url_continue)

    def save_model(self, request, obj, form, change):
        # Leaving and coming back go through the lifecycle service, whichever way an admin
        # does it: the checkbox here too.
        toggled = change and "is_active" in form.changed_data
        leaving, returning = toggled and not obj.is_active, toggled and obj.is_active
        if toggled:
            obj.is_active = not obj.is_active
        super().save_model(request, obj, form, change)
        if leaving:
            services.deactivate_person(person=obj, by=request.user)
        if returning:
            services.reactivate_person(person=obj)


@admin.register(Department, Location)
class NamedAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["follower", "followee", "created_at"]
    list_select_related = ["follower", "followee"]
    raw_id_fields = ["follower", "followee"]
