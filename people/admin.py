from __future__ import annotations

import csv
import hashlib
import json

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.crypto import constant_time_compare
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from people import importing, services
from people.models import Department, Follow, LanguageSettings, Location, User


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
            "language",
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


# Bigger than any staff list of MAX_ROWS people: refused before it is decoded.
IMPORT_MAX_BYTES = 5 * 1024 * 1024
# The previewed file's text waits here, in the admin's own session, for the confirmation.
IMPORT_SESSION_KEY = "people_import"


class ImportPeopleForm(forms.Form):
    """A CSV file of people, read as a whole (`rows`, `text`); each row is checked later."""

    file = forms.FileField(label=_("CSV file"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "UTF-8 text with a header line first; at most %(rows)s people and %(mb)d MB."
        ) % {
            "rows": number_format(importing.MAX_ROWS, force_grouping=True),
            "mb": IMPORT_MAX_BYTES // (1024 * 1024),
        }
        self.fields["file"].widget.attrs["accept"] = ".csv,text/csv"

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise ValidationError(
                _("The file is %(size).1f MB; at most %(max)d MB.")
                % {"size": upload.size / (1024 * 1024), "max": IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        try:
            self.text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(
                _(
                    "The file is not UTF-8 text. Save it from your spreadsheet as “CSV UTF-8” "
                    "and choose it again."
                )
            ) from None
        try:
            self.rows = importing.read(self.text)
        except importing.UnreadableFileError as exc:
            raise ValidationError(str(exc)) from None
        except csv.Error as exc:
            raise ValidationError(
                _("The file cannot be read as CSV: %(why)s.") % {"why": exc}
            ) from None
        if not self.rows:
            raise ValidationError(_("The file has a header line but nobody under it."))
        return upload


def _outcome(preview: importing.Preview) -> str:
    """A fingerprint of what applying a preview would do, row by row: if it differs at the
    confirmation from the one the admin saw, something changed meanwhile."""
    rows = [
        [
            row.line,
            bool(row.errors),
            row.existing and row.existing.pk,
            row.department and row.department.pk,
            row.location and row.location.pk,
            row.sponsor and row.sponsor.pk,
        ]
        for row in preview.rows
    ]
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


@admin.register(User)
class PersonAdmin(UserAdmin):
    """Admins create people and deactivate them (never delete: their posts stay)."""

    form = PersonChangeForm
    add_form = PersonAddForm

    list_display = [
        "username",
        "full_name",
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
        (
            _("Profile"),
            {
                "fields": [
                    "title",
                    "department",
                    "location",
                    "bio",
                    "avatar",
                    "skills",
                    "language",
                    "listed_as_knowing",
                ]
            },
        ),
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
                    "own. Many people at once: “Import people from a CSV file” on the list "
                    "of people (or manage.py import_people FILE)."
                ),
                "fields": ["username", "first_name", "last_name", "email"],
            },
        ),
        # Their invitation is written in this language (blank: the site's default).
        (_("Profile"), {"fields": ["title", "department", "location", "language"]}),
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
    change_list_template = "admin/people/user/change_list.html"

    # --- importing people from a CSV file (people.importing) ---------------------------

    @admin.display(description=_("full name"), ordering="last_name")
    def full_name(self, obj: User) -> str:
        return obj.get_full_name()

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="people_user_import",
            ),
            path(
                "import/template.csv",
                self.admin_site.admin_view(self.import_template_view),
                name="people_user_import_template",
            ),
            *super().get_urls(),
        ]

    def may_import(self, request: HttpRequest) -> bool:
        # An import adds people and changes the ones it already knows.
        return self.has_add_permission(request) and self.has_change_permission(request)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_import": self.may_import(request)}
        return super().changelist_view(request, extra_context)

    def import_template_view(self, request: HttpRequest) -> HttpResponse:
        if not self.may_import(request):
            raise PermissionDenied
        response = HttpResponse(
            # The byte-order mark makes spreadsheets open the file as UTF-8.
            "\ufeff" + ",".join(importing.COLUMNS) + "\r\n",
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="people.csv"'
        return response

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload → preview (nothing saved) → confirm → apply exactly the previewed text and
        invite the new people. The text waits in the session under its hash; the confirmation
        names that hash, and the rows are checked again: if what would happen changed since
        the preview (someone added meanwhile, a department renamed), the new preview is shown
        instead of saving."""
        if not self.may_import(request):
            raise PermissionDenied
        form = ImportPeopleForm()
        preview, digest, changed = None, "", False
        if request.method == "POST" and "digest" in request.POST:
            pending = request.session.get(IMPORT_SESSION_KEY)
            if not pending or not constant_time_compare(pending["digest"], request.POST["digest"]):
                self.message_user(
                    request,
                    _(
                        "That preview is no longer waiting (it was imported already, or another "
                        "file was previewed since): choose the file again."
                    ),
                    messages.ERROR,
                )
            else:
                digest = pending["digest"]
                preview = importing.check(importing.read(pending["text"]))
                outcome = _outcome(preview)
                if preview.bad or outcome != pending["outcome"]:
                    changed = True
                    pending["outcome"] = outcome
                    request.session[IMPORT_SESSION_KEY] = pending
                else:
                    created, updated = importing.apply(preview)
                    importing.invite(created)
                    del request.session[IMPORT_SESSION_KEY]
                    self.message_user(
                        request,
                        ngettext(
                            "%(created)d person created and invited, %(updated)d updated.",
                            "%(created)d people created and invited, %(updated)d updated.",
                            len(created),
                        )
                        % {"created": len(created), "updated": len(updated)},
                        messages.SUCCESS,
                    )
                    return redirect("admin:people_user_changelist")
        elif request.method == "POST":
            form = ImportPeopleForm(request.POST, request.FILES)
            if form.is_valid():
                preview = importing.check(form.rows)
                digest = hashlib.sha256(form.text.encode()).hexdigest()
                request.session[IMPORT_SESSION_KEY] = {
                    "digest": digest,
                    "text": form.text,
                    "outcome": _outcome(preview),
                }
        good = len(preview.new) + len(preview.updates) if preview else 0
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import people from a CSV file"),
            "form": form,
            "preview": preview,
            "digest": digest,
            "changed": changed,
            "columns": importing.COLUMNS,
            "max_rows": number_format(importing.MAX_ROWS, force_grouping=True),
            "confirm_label": ngettext(
                "Import %(n)d person and send invitations",
                "Import %(n)d people and send invitations",
                good,
            )
            % {"n": good},
        }
        return TemplateResponse(request, "admin/people/user/import.html", context)

    @admin.action(description=_("Deactivate selected people (they can no longer sign in)"))
    def deactivate(self, request, queryset):
        done = sum(services.deactivate_person(person=p, by=request.user) for p in queryset)
        self.message_user(
            request,
            ngettext(
                "%(n)d person deactivated: signed out everywhere, their open invitations "
                "withdrawn, the guests they sponsored and those guests' managers told.",
                "%(n)d people deactivated: signed out everywhere, their open invitations "
                "withdrawn, the guests they sponsored and those guests' managers told.",
                done,
            )
            % {"n": done},
        )

    @admin.action(description=_("Reactivate selected people"))
    def reactivate(self, request, queryset):
        done = sum(services.reactivate_person(person=p) for p in queryset)
        self.message_user(
            request,
            ngettext("%(n)d person reactivated.", "%(n)d people reactivated.", done) % {"n": done},
        )

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


@admin.register(LanguageSettings)
class LanguageSettingsAdmin(admin.ModelAdmin):
    """The site's language: one row, for everyone who has not chosen their own."""

    fields = ["default_language"]

    def has_add_permission(self, request):
        # Never added by hand: the list makes the row when it is missing (no query per page
        # of the admin's sidebar either).
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        # One row: the list is just a door to it.
        row = LanguageSettings.objects.get_or_create(pk=1)[0]
        return redirect("admin:people_languagesettings_change", row.pk)


@admin.register(Department, Location)
class NamedAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["follower", "followee", "created_at"]
    list_select_related = ["follower", "followee"]
    raw_id_fields = ["follower", "followee"]
