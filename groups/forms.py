from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from esn.form_fields import ListedModelChoiceField
from groups.models import Group
from people.models import Department, Location, User
from posts.images import check_image


class GroupForm(forms.ModelForm):
    class Meta:
        model = Group
        fields = ["name", "description", "kind", "allow_guests", "guidelines", "cover"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "guidelines": forms.Textarea(attrs={"rows": 5}),
            "kind": forms.RadioSelect,
        }
        error_messages = {"name": {"required": _("Give the group a name.")}}
        help_texts = {
            "description": _(
                "What the group is for. Shown in the directory (not for secret groups)."
            ),
        }

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the group a name."))
        return name

    def clean_cover(self):
        cover = self.cleaned_data.get("cover")
        if cover and hasattr(cover, "content_type"):
            return check_image(cover)
        return cover


class JoinRequestForm(forms.Form):
    message = forms.CharField(
        label=_("A note for the managers (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class InviteForm(forms.Form):
    """Invite people by username, or a whole department or location: each person still
    decides whether to join."""

    usernames = forms.CharField(
        label=_("People"),
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"data-picker": "people", "autocomplete": "off"}),
        help_text=_(
            "Type a name and pick the person; several people, separated by commas. "
            "Usernames work too (ana.jansen, @carl)."
        ),
    )
    department = ListedModelChoiceField(
        label=_("Everyone in a department"),
        queryset=Department.objects.order_by("name"),
        required=False,
    )
    location = ListedModelChoiceField(
        label=_("Everyone at a location"),
        queryset=Location.objects.order_by("name"),
        required=False,
    )

    def clean(self):
        data = super().clean()
        names = [
            n.strip().lstrip("@")
            for n in (data.get("usernames") or "").replace(",", " ").split()
            if n.strip().lstrip("@")
        ]
        if not (names or data.get("department") or data.get("location")):
            raise forms.ValidationError(_("Name at least one person, a department or a location."))
        if len(names) > 200:
            raise forms.ValidationError(_("Invite at most 200 people by name at a time."))
        lookup = Q()
        for name in names:
            lookup |= Q(username__iexact=name)
        found = {u.username.lower(): u for u in User.objects.filter(lookup)} if names else {}
        missing = [n for n in names if n.lower() not in found]
        if missing:
            self.add_error(
                "usernames",
                _("Nobody is called %(names)s.") % {"names": ", ".join(missing)},
            )
        data["people"] = list(found.values())
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the audit log."),
    )


def _in_three_months():
    from datetime import timedelta

    from django.utils import timezone

    return timezone.localdate() + timedelta(days=90)


class GuestInviteForm(forms.Form):
    """Someone from outside the company, invited by email into a group that accepts guests.
    The manager who invites them becomes their sponsor."""

    email = forms.EmailField(label=_("Email address"), max_length=254)
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    organisation = forms.CharField(label=_("Organisation"), max_length=150, required=False)
    access_end = forms.DateField(
        label=_("Access until"),
        initial=_in_three_months,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("After this day they can no longer sign in. You can extend it later."),
    )

    def clean_access_end(self):
        from django.utils import timezone

        end = self.cleaned_data["access_end"]
        if end <= timezone.localdate():
            raise forms.ValidationError(_("Choose a day after today."))
        return end
