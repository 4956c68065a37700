"""Reads for two-step sign-in: who has it on, and who must have it."""

from __future__ import annotations

from base64 import b32encode

from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from people.models import User
from twofactor.models import TwoStepPolicy


def authenticator_of(user: User) -> TOTPDevice | None:
    """The person's confirmed authenticator app, if two-step sign-in is on for them."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_two_step(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def reaches_django_admin(user: User) -> bool:
    """Staff and superusers: whoever Django admin lets in, which is broader than the access
    layer's site admin (`Viewer.is_admin`, who also needs the administer-site permission).
    The policy guards the admin's door, so it covers everyone who can open it."""
    return bool(user.is_staff or user.is_superuser)


def two_step_required(user: User) -> bool:
    """Whether the site requires this person to use two-step sign-in when they sign in with a
    password: site administrators, when an admin turned the policy on. Never anyone else."""
    return reaches_django_admin(user) and TwoStepPolicy.current().require_for_admins


def secret_for_typing(device: TOTPDevice) -> str:
    """The device's secret in base32, as authenticator apps take it by hand, in groups of
    four so it can be read off the screen."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
