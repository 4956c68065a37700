from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["images"].help_text = limits_text()
        self.fields["body"].help_text = _("Markdown works. Up to %(n)d characters.") % {
            "n": settings.POST_MAX_LENGTH
        }


class EditPostForm(forms.Form):
    body = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 6}), required=False, strip=False
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("Write a comment…")}),
        required=False,
        strip=False,
    )
