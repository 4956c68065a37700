from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from access.viewer import as_viewer
from esn.form_fields import ListedModelChoiceField
from esn.text import strip_spoofing_characters
from groups.models import Group
from groups.selectors import postable_groups
from posts.images import limits_text
from posts.language import DETECT
from posts.models import IMAGE_ALT_MAX_LENGTH, Post, PostImage


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    widget = MultipleImageInput

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleImageField, self).clean(f, initial) for f in files]


ALT_LABEL = _("Image description (alt text)")


def clean_alt(text: str) -> str:
    """An image description as stored: visible characters on one line, within the limit."""
    if "\x00" in text:
        raise forms.ValidationError(_("An image description cannot contain a NUL character."))
    text = " ".join(strip_spoofing_characters(text).split())
    if len(text) > IMAGE_ALT_MAX_LENGTH:
        raise forms.ValidationError(
            _("An image description can be at most %(max)d characters; this one is %(length)d.")
            % {"max": IMAGE_ALT_MAX_LENGTH, "length": len(text)}
        )
    return text


class NewImagesMixin(forms.Form):
    """Images chosen in the browser, each with the description typed under its preview
    (esn.js sends one `image_alt` per chosen file, in the same order)."""

    # The limits the browser checks before sending (the server checks them again).
    alt_max_length = IMAGE_ALT_MAX_LENGTH

    @property
    def max_images(self) -> int:
        return settings.POST_MAX_IMAGES

    @property
    def max_bytes(self) -> int:
        return settings.IMAGE_MAX_BYTES

    @property
    def max_mb(self) -> int:
        return settings.IMAGE_MAX_BYTES // (1024 * 1024)

    def clean(self):
        cleaned = super().clean()
        files = cleaned.get("images") or []
        alts = []
        for text in self.data.getlist("image_alt")[: len(files)]:
            try:
                alts.append(clean_alt(text))
            except forms.ValidationError as exc:
                self.add_error("images", exc)
        cleaned["image_alts"] = alts + [""] * (len(files) - len(alts))
        return cleaned

    def chosen_images(self) -> list[dict[str, str]]:
        """What was chosen with a rejected form, by file name with its description: the
        browser cannot keep the files, so the person chooses them again (esn.js puts the
        descriptions back for files with the same name)."""
        names = [f.name for f in self.files.getlist("images")]
        alts = self.data.getlist("image_alt")
        return [
            {"name": name, "alt": alts[i] if i < len(alts) else ""} for i, name in enumerate(names)
        ]


class MentionCheck(forms.Form):
    """The @names the author was told match nobody, and chose to keep (sent back with the
    form: publishing again with the same names goes through)."""

    unmatched_ok = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)

    def acknowledged(self) -> set[str]:
        return {n.lower() for n in self.cleaned_data.get("unmatched_ok", "").split()}


class PostForm(NewImagesMixin, MentionCheck):
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

    group = ListedModelChoiceField(
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


class EditPostForm(NewImagesMixin, forms.Form):
    """The text, the question flag and the images of a post: each present image with its
    description and a Remove box, and new images to add (within the same limits as when
    publishing)."""

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
    images = MultipleImageField(
        label=_("Add images"),
        required=False,
        widget=MultipleImageInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        help_text=_(
            "Detected from the text each time you save it, unless you choose a language here. "
            "Readers can limit their feed to the languages they read."
        ),
    )

    def __init__(self, *args, post_images: list[PostImage], post: Post | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.post_images = post_images
        self.fields["language"].choices = language_choices(post)
        if post is not None:
            self.initial.setdefault(
                "language", post.language if post.language_set_by_author else DETECT
            )
        for image in post_images:
            self.fields[f"alt_{image.pk}"] = forms.CharField(
                label=ALT_LABEL,
                required=False,
                max_length=IMAGE_ALT_MAX_LENGTH,
                initial=image.alt,
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )
            self.fields[f"remove_{image.pk}"] = forms.BooleanField(
                label=_("Remove this image"), required=False
            )
        self.fields["images"].help_text = _(
            "%(limits)s in all. Describe each image for people who cannot see it."
        ) % {"limits": limits_text()}

    def clean_language(self) -> str | None:
        # Not sent at all (an older page, a script): the language stays as it is.
        if "language" not in self.data:
            return None
        return self.cleaned_data["language"]

    def image_rows(self) -> list[dict]:
        """Each present image with its two fields, for the template."""
        return [
            {
                "image": image,
                "number": n,
                "alt": self[f"alt_{image.pk}"],
                "remove": self[f"remove_{image.pk}"],
            }
            for n, image in enumerate(self.post_images, start=1)
        ]

    def clean(self):
        cleaned = super().clean()
        alts, remove = {}, set()
        for image in self.post_images:
            text = cleaned.get(f"alt_{image.pk}")
            if text is not None:
                try:
                    alts[image.pk] = clean_alt(text)
                except forms.ValidationError as exc:
                    self.add_error(f"alt_{image.pk}", exc)
            if cleaned.get(f"remove_{image.pk}"):
                remove.add(image.pk)
        cleaned["image_alts_by_id"], cleaned["remove_image_ids"] = alts, remove
        return cleaned


def language_choices(post: Post | None) -> list[tuple[str, str]]:
    """Detect (naming what was detected, if anything), the site's languages, or none."""
    names = dict(settings.LANGUAGES)
    detected = post.language if post is not None and not post.language_set_by_author else ""
    if detected in names:
        detect = _("Detected: %(language)s") % {"language": names[detected]}
    else:
        detect = _("Detect from the text")
    return [(DETECT, detect), *settings.LANGUAGES, ("", _("Not set"))]


class CommentForm(MentionCheck):
    body = forms.CharField(
        label=_("Comment"),
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": _("Write a comment…"), "data-picker": "text"}
        ),
        required=False,
        strip=False,
    )
