from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from access.viewer import as_viewer
from groups.models import Group
from groups.selectors import postable_groups
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


class MentionCheck(forms.Form):
    """The @names the author was told match nobody, and chose to keep (sent back with the
    form: publishing again with the same names goes through)."""

    unmatched_ok = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)

    def acknowledged(self) -> set[str]:
        return {n.lower() for n in self.cleaned_data.get("unmatched_ok", "").split()}


class PostForm(MentionCheck):
    body = forms.CharField(
        label=_("What would you like to share?"),
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "placeholder": _("Share an idea, a question, a #topic… mention people with @"),
                "data-picker": "text",
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
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 6, "data-picker": "text"}),
        required=False,
        strip=False,
    )
    is_question = forms.BooleanField(
        label=_("This is a question"),
        required=False,
        help_text=_("Turning it off also takes back an accepted answer."),
    )


class CommentForm(MentionCheck):
    body = forms.CharField(
        label=_("Comment"),
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": _("Write a comment…"), "data-picker": "text"}
        ),
        required=False,
        strip=False,
    )
