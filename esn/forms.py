"""The search page's form: the words and the filters of the Posts tab. Cross-app (authors,
groups, hashtags), so it lives above the apps, with the page (esn/search.py)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from access.groups import readable_groups
from access.people import visible_people
from esn.form_fields import ListedModelChoiceField
from groups.models import Group
from hashtags.parsing import normalise_hashtag
from hashtags.selectors import get_visible_hashtag


def validate_search_date(day: date) -> None:
    """Years far outside the network's life are typing slips (and 9999-12-31 + 1 day does
    not exist)."""
    if not 1900 <= day.year <= 2999:
        raise forms.ValidationError(_("Choose a date between the years 1900 and 2999."))


class SearchForm(forms.Form):
    """The search page's words and post filters. Never an error page: a filter that names
    nothing the viewer may see is a field error, exactly as for one that does not exist."""

    q = forms.CharField(label=_("Search"), required=False, strip=True)
    author = forms.CharField(
        label=_("Author"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"placeholder": _("username, e.g. ana.jansen")}),
    )
    group = ListedModelChoiceField(
        label=_("Group"),
        queryset=Group.objects.none(),
        required=False,
        to_field_name="slug",
        empty_label=_("Any group, or none"),
    )
    hashtag = forms.CharField(
        label=_("Hashtag"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("#topic")}),
    )
    since = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_search_date],
    )
    until = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_search_date],
    )
    questions = forms.BooleanField(label=_("Questions only"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[("best", _("Best match")), ("newest", _("Newest"))],
    )

    FILTERS = ("author", "group", "hashtag", "since", "until", "questions")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # Only groups whose posts the viewer may read: a secret group is not even a choice.
        self.fields["group"].queryset = readable_groups(user).order_by("name", "id")

    def clean_author(self):
        name = self.cleaned_data["author"].strip().lstrip("@")
        if not name:
            return None
        person = visible_people(self.user).filter(username__iexact=name).first()
        if person is None:
            raise forms.ValidationError(
                _("Nobody you can see has the username “%(name)s”."), params={"name": name}
            )
        return person

    def clean_hashtag(self):
        slug = normalise_hashtag(self.cleaned_data["hashtag"].strip())
        if not slug:
            return None
        hashtag = get_visible_hashtag(self.user, slug)
        if hashtag is None:
            raise forms.ValidationError(
                _("No post you can see carries #%(tag)s."), params={"tag": slug}
            )
        return hashtag

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("“To” must be on or after “From”."))
        return data

    @property
    def has_filters(self) -> bool:
        return any(self.data.get(name) for name in self.FILTERS)
