from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from people.models import User
from people.services import record_failed_sign_in, sign_in_blocked
from posts.images import check_image


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = [
            "first_name",
            "last_name",
            "title",
            "department",
            "location",
            "bio",
            "avatar",
            "skills",
        ]
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"skills": _("Comma-separated, e.g. “negotiation, Python, onboarding”.")}

    def clean_avatar(self):
        avatar = self.cleaned_data.get("avatar")
        if avatar and hasattr(avatar, "content_type"):  # a new upload, not the stored file
            return check_image(avatar)
        return avatar


class SignInForm(AuthenticationForm):
    """Django's sign-in form, refusing further attempts after repeated failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _(
            "Too many failed attempts to sign in to this account. Wait 30 minutes, or reset "
            "your password with the link below."
        ),
        "guest_expired": _(
            "Your guest access ended on %(day)s. Ask your sponsor at the company to extend it."
        ),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = self.request.META.get("REMOTE_ADDR") if self.request else None
        if username and sign_in_blocked(username=username, ip=ip):
            raise ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            return super().clean()
        except ValidationError:
            if username:
                record_failed_sign_in(username=username, ip=ip)
                self._explain_expired_guest(username)
            raise

    def _explain_expired_guest(self, username: str) -> None:
        """Only someone who knows the password learns that the account is an expired guest."""
        user = User.objects.filter(username__iexact=username, is_guest=True).first()
        password = self.cleaned_data.get("password") or ""
        if user and user.is_active and user.guest_expired and user.check_password(password):
            raise ValidationError(
                self.error_messages["guest_expired"],
                code="guest_expired",
                params={"day": date_format(user.guest_expires_on)},
            )
