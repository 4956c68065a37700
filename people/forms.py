from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from esn import ratelimit
from esn.form_fields import ListedModelChoiceField
from esn.text import clean_name, has_visible_text
from people.backends import accounts_matching
from people.models import Department, Location, User
from people.selectors import language_of
from posts.images import check_image


class SkillsField(forms.CharField):
    """Skills typed as a comma-separated list ("Code review, Dutch"), shown the same way:
    no taggit quotes. Cleans to a list of names, duplicates (in any case) dropped."""

    MAX_SKILLS = 20
    MAX_LENGTH = 50

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", self.MAX_SKILLS * (self.MAX_LENGTH + 2))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(getattr(tag, "name", tag) for tag in value)
        return value

    def to_python(self, value) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        names: dict[str, str] = {}
        for part in text.split(","):
            name = clean_name(part).lstrip("#").strip()
            if name and has_visible_text(name):
                names.setdefault(name.lower(), name)
        skills = list(names.values())
        if len(skills) > self.MAX_SKILLS:
            raise ValidationError(
                _("You listed %(n)d skills; at most %(max)d fit on a profile.")
                % {"n": len(skills), "max": self.MAX_SKILLS}
            )
        too_long = [name for name in skills if len(name) > self.MAX_LENGTH]
        if too_long:
            raise ValidationError(
                _("A skill can be at most %(max)d characters: “%(skill)s…” is %(length)d.")
                % {"max": self.MAX_LENGTH, "skill": too_long[0][:30], "length": len(too_long[0])}
            )
        return skills


class ProfileForm(forms.ModelForm):
    """One's own profile. Employees pick a department and location; a guest names their
    organisation instead (internal departments are not theirs to claim). The avatar is
    replaced or removed; the stored file is never offered as a link."""

    avatar = forms.ImageField(
        label=_("Replace photo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}),
    )
    remove_avatar = forms.BooleanField(label=_("Remove my photo"), required=False)
    skills = SkillsField(
        label=_("Skills"),
        help_text=_(
            "Separate them with commas, e.g. “Code review, Dutch, onboarding”. Each links to "
            "its hashtag (“Code review” is #code_review). At most 20, of 50 characters each."
        ),
    )

    class Meta:
        model = User
        fields = [
            "first_name",
            "last_name",
            "title",
            "department",
            "location",
            "organisation",
            "bio",
            "listed_as_knowing",
        ]
        widgets = {"bio": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "bio": _(
                "Markdown works: **bold**, *italics*, lists (a line starting with “- ”), "
                "links, #hashtags and @mentions. At most 2,000 characters."
            ),
            "organisation": _("The company you work for, shown with your Guest badge."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.is_guest:
            del self.fields["department"], self.fields["location"]
        else:
            del self.fields["organisation"]
        self.fields["avatar"].help_text = _(
            "JPEG, PNG, GIF or WebP, at most %(mb)d MB. Shown round, so a square photo works best."
        ) % {"mb": settings.IMAGE_MAX_BYTES // (1024 * 1024)}
        self.fields["listed_as_knowing"].widget.attrs["aria-describedby"] = "listed-as-knowing-help"
        if self.instance.pk and "skills" not in self.initial:
            self.initial["skills"] = [tag.name for tag in self.instance.skills.all()]

    def clean_avatar(self):
        avatar = self.cleaned_data.get("avatar")
        return check_image(avatar) if avatar else None

    def profile_fields(self) -> dict:
        """The profile's own fields as cleaned (what `update_profile` writes)."""
        return {name: self.cleaned_data[name] for name in self._meta.fields if name in self.fields}


class LanguageForm(forms.Form):
    """My language (or the site's default) and the languages I read. Each language is named
    in itself (English, Nederlands, Deutsch): someone lost in a language they cannot read
    still finds their own."""

    language = forms.ChoiceField(label=_("Language"), required=False, widget=forms.RadioSelect)
    reads_languages = forms.MultipleChoiceField(
        label=_("Languages I read"),
        required=False,
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
    )
    only_read_languages_in_feed = forms.BooleanField(
        label=_("Only show posts in the languages I read in my feed"), required=False
    )

    def __init__(self, *args, site_default: str, **kwargs):
        super().__init__(*args, **kwargs)
        default_name = dict(settings.LANGUAGES).get(site_default, site_default)
        self.fields["language"].choices = [
            ("", _("Site default (%(language)s)") % {"language": default_name}),
            *settings.LANGUAGES,
        ]

    def clean(self):
        data = super().clean()
        if data.get("only_read_languages_in_feed") and not data.get("reads_languages"):
            self.add_error(
                "reads_languages",
                _("Tick the languages you read, or show posts in every language."),
            )
        return data


class DirectoryFilterForm(forms.Form):
    """The people directory's filters, read from the address (GET): a name box, department,
    location and skill, combinable."""

    q = forms.CharField(
        label=_("Name or title"),
        max_length=100,
        required=False,
        widget=forms.SearchInput(attrs={"id": "people-q"}),
    )
    department = ListedModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.all(),
        required=False,
        empty_label=_("Any department"),
    )
    location = ListedModelChoiceField(
        label=_("Location"),
        queryset=Location.objects.all(),
        required=False,
        empty_label=_("Any location"),
    )
    skill = forms.CharField(
        label=_("Skill"),
        max_length=50,
        required=False,
        widget=forms.SearchInput(attrs={"list": "people-skills"}),
    )

    def filters(self) -> dict:
        """The filters that validated (call `is_valid()` first), as `people_directory` takes
        them."""
        data = getattr(self, "cleaned_data", {})
        return {
            "query": data.get("q") or "",
            "department": data.get("department"),
            "location": data.get("location"),
            "skill": data.get("skill") or "",
        }


class SignInForm(AuthenticationForm):
    """Django's sign-in form taking a username or an email address in any case (the backend,
    people.backends.AccountBackend, resolves it; django-axes locks repeated failures), and
    telling someone who knows the password why it still did not work."""

    error_messages = {
        **AuthenticationForm.error_messages,
        # Keeps Django's opening words; its "both fields may be case-sensitive" is no longer true.
        "invalid_login": _(
            "Please enter a correct username and password (or email address and password). "
            "Only the password is case-sensitive."
        ),
        "guest_expired": _(
            "Your guest access ended on %(day)s. Ask your sponsor at the company to extend it."
        ),
        "deactivated": _(
            "This account is deactivated. Ask your administrator if you think this is a mistake."
        ),
        "ambiguous": _(
            "More than one account matches what you typed. Sign in with your exact username."
        ),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        field = self.fields["username"]
        field.label = _("Username or email")
        field.max_length = User._meta.get_field("email").max_length  # an address may be longer
        field.widget.attrs.update(
            {
                "maxlength": field.max_length,
                "autocapitalize": "none",
                "autocorrect": "off",
                "spellcheck": "false",
                "autocomplete": "username",
            }
        )
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"

    def get_invalid_login_error(self):
        return ValidationError(self.error_messages["invalid_login"], code="invalid_login")

    def clean(self):
        identifier = self.cleaned_data.get("username") or ""
        try:
            return super().clean()
        except ValidationError:
            if getattr(self.request, "axes_locked_out", False):
                # Locked (people.views.sign_in_locked answers): no hint about the password.
                raise
            if identifier:
                self._explain_refusal(identifier)
            raise

    def _explain_refusal(self, identifier: str) -> None:
        """Only someone who typed the right password learns the account's state (deactivated,
        an expired guest) or that the name fits several accounts; anyone else gets the
        ordinary message, so nobody learns whether an account exists."""
        password = self.cleaned_data.get("password") or ""
        accounts = accounts_matching(identifier)
        if not accounts:
            User().set_password(password)  # as long as checking a real account's password
        proven = [account for account in accounts if account.check_password(password)]
        if not proven:
            return
        usable = [a for a in proven if a.is_active and not a.guest_expired]
        if len(usable) > 1:
            raise ValidationError(self.error_messages["ambiguous"], code="ambiguous")
        if usable:
            return
        if not any(a.is_active for a in proven):
            raise ValidationError(self.error_messages["deactivated"], code="deactivated")
        expired = next(a for a in proven if a.is_active)
        raise ValidationError(
            self.error_messages["guest_expired"],
            code="guest_expired",
            params={"day": date_format(expired.guest_expires_on)},
        )


def locked_error(seconds: int) -> ValidationError:
    return ValidationError(
        _(
            "Too many failed attempts to sign in to this account from your network. Try again "
            "in %(wait)s, or reset your password with the link below."
        ),
        code="locked",
        params={"wait": ratelimit.wait_in_words(seconds)},
    )


class ResetPasswordForm(PasswordResetForm):
    """Django's reset form, mailing each account at most a few links a day
    (RATE_LIMIT_RESET_EMAILS_PER_ACCOUNT_PER_DAY) however many addresses ask. Past the limit
    nothing is sent and the page says the same as always, so it tells nobody that the account
    exists. Each email speaks its recipient's language, not the asker's."""

    def get_users(self, email):
        for user in super().get_users(email):
            if ratelimit.hit(ratelimit.reset_emails_per_account(), user.pk).allowed:
                yield user

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        with translation.override(language_of(context["user"])):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)
