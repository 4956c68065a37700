from __future__ import annotations

from datetime import date

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from access.groups import readable_groups
from access.people import visible_people
from access.viewer import as_viewer
from groups.models import Group
from groups.selectors import postable_groups
from hashtags.parsing import normalise_hashtag
from hashtags.selectors import get_visible_hashtag
from posts.images import limits_text


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    widget = MultipleImageInput

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleImageField, self).clean(f, initial) for f in files]


class PostForm(forms.Form):
    body = forms.CharField(
        label=_("What would you like to share?"),
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "placeholder": _("Share an idea, a question, a #topic… mention people with @"),
            }
        ),
        required=False,  # the service says why an empty post is refused
        strip=False,
    )
    images = MultipleImageField(
        label=_("Images"),
        required=False,
        widget=MultipleImageInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}),
    )

    is_question = forms.BooleanField(
        label=_("This is a question"),
        required=False,
        help_text=_("It is listed under Questions until you accept an answer."),
    )

    group = forms.ModelChoiceField(
        label=_("Share with"),
        queryset=Group.objects.none(),
        required=False,
        empty_label=_("Everyone in the company"),
    )

    def __init__(self, *args, user, group=None, groups=None, **kwargs):
        """`groups`: the user's postable groups when the caller has them already."""
        super().__init__(*args, **kwargs)
        field = self.fields["group"]
        field.queryset = postable_groups(user)
        if not as_viewer(user).is_employee:
            # Guests share only inside their groups.
            field.required, field.empty_label = True, None
        # Listed once here, so rendering the menu costs no further query.
        groups = [(g.pk, g.name) for g in (field.queryset if groups is None else groups)]
        field.choices = ([] if field.required else [("", field.empty_label)]) + groups
        self.has_groups = bool(groups)
        if group is not None:
            self.initial.setdefault("group", group.pk)
        self.fields["images"].help_text = limits_text()
        self.fields["body"].help_text = _("Markdown works. Up to %(n)d characters.") % {
            "n": settings.POST_MAX_LENGTH
        }


class EditPostForm(forms.Form):
    body = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 6}), required=False, strip=False
    )
    is_question = forms.BooleanField(
        label=_("This is a question"),
        required=False,
        help_text=_("Turning it off also takes back an accepted answer."),
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("Write a comment…")}),
        required=False,
        strip=False,
    )


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
    group = forms.ModelChoiceField(
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
