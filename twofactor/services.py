"""Turning two-step sign-in on and off, recovery codes, and checking a code.

A person's authenticator app is a django-otp TOTPDevice (unconfirmed while they set it up,
confirmed once they typed a code from it); their recovery codes are one StaticDevice with
single-use StaticTokens. Codes are checked through the devices, so django-otp's throttle
(each wrong code doubles the wait before the next) holds wherever a code is typed."""

from __future__ import annotations

import logging
import math
import re

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from digests.emails import absolute
from people.models import User
from people.selectors import language_of

log = logging.getLogger(__name__)

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
_SIX_DIGITS = re.compile(r"\d{6}")


class CodeRefusedError(ValidationError):
    """A code that did not sign anyone in: wrong (`code="wrong"`), or typed before the wait
    after earlier wrong codes was over (`code="throttled"`, with `wait_seconds`)."""

    def __init__(self, message: str, *, code: str, wait_seconds: int = 0) -> None:
        super().__init__(message, code=code)
        self.wait_seconds = wait_seconds


def _normalised(code: str) -> str:
    # Apps show "123 456"; recovery codes are shown as "abcd-efgh"; phones capitalise.
    return re.sub(r"[\s\-]", "", code or "").lower()


def _wait_seconds(device: Device) -> int:
    allowed, details = device.verify_is_allowed()
    if allowed or not details or "locked_until" not in details:
        return 0
    return max(1, math.ceil((details["locked_until"] - timezone.now()).total_seconds()))


def _throttled(wait: int) -> CodeRefusedError:
    return CodeRefusedError(
        ngettext(
            "Too many wrong codes. Wait %(n)d second, then try again.",
            "Too many wrong codes. Wait %(n)d seconds, then try again.",
            wait,
        )
        % {"n": wait},
        code="throttled",
        wait_seconds=wait,
    )


def _wrong() -> CodeRefusedError:
    return CodeRefusedError(
        _(
            "That code is not right. Type the 6 digits your authenticator app shows now, "
            "or one of your recovery codes."
        ),
        code="wrong",
    )


def _enrolment(user: User) -> TOTPDevice | None:
    """The authenticator being set up, locked: one at a time per person."""
    return (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("pk")
        .first()
    )


@transaction.atomic
def start_enrolment(*, user: User) -> TOTPDevice:
    """The authenticator being set up: the same secret on every visit until it is confirmed
    (a reload does not invalidate what the person already scanned)."""
    device = _enrolment(user)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


@transaction.atomic
def confirm_enrolment(*, user: User, code: str) -> list[str]:
    """Turn two-step sign-in on with a current code from the app being set up; returns the new
    recovery codes (shown once). A wrong code raises CodeRefusedError and changes nothing: the
    enrolment goes on with the same secret."""
    device = _enrolment(user)
    if device is None:
        raise ValidationError(
            _("Start again: the setup was cancelled or already finished."), code="no_enrolment"
        )
    # The signed-in person proving they copied the secret: nothing to guess here, so no wait
    # after a typo (the throttle is for the sign-in step).
    device.throttle_reset(commit=False)
    code = _normalised(code)
    if not _SIX_DIGITS.fullmatch(code) or not device.verify_token(code):
        raise CodeRefusedError(
            _(
                "That code is not right. Check that the app shows the account you just added, "
                "and type the 6 digits it shows now."
            ),
            code="wrong",
        )
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return new_recovery_codes(user=user)


@transaction.atomic
def new_recovery_codes(*, user: User) -> list[str]:
    """Ten fresh one-time recovery codes; any earlier ones stop working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return [f"{code[:4]}-{code[4:]}" for code in codes]


@transaction.atomic
def turn_off(*, user: User) -> None:
    """Two-step sign-in off: the authenticator and the recovery codes are forgotten, and the
    person is told by email, in their language: if it was not them (a session left open, a
    guessed password), this is how they learn that their account is weaker now."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    transaction.on_commit(lambda: _tell_it_is_off(user, timezone.now()))


def _tell_it_is_off(user: User, when) -> None:
    if not user.email:
        return
    context = {
        "person": user,
        "password_link": absolute(reverse("password_change")),
        "settings_link": absolute(reverse("twofactor:settings")),
    }
    with translation.override(language_of(user)):
        context["when"] = formats.date_format(
            timezone.localtime(when), "DATETIME_FORMAT", use_l10n=True
        )
        message = EmailMessage(
            subject=_("Two-step sign-in is off for your account"),
            body=render_to_string("twofactor/email/two_step_off.txt", context),
            to=[user.email],
        )
    try:
        message.send()
    except Exception:
        # The change is made and shown on the page; a mail server that refuses must not undo
        # or hide it. Logged for the administrators.
        log.exception("the two-step-off notice to user %s could not be sent", user.pk)


def check_code(*, user: User, code: str) -> Device:
    """The device that accepts this code: the authenticator app for 6 digits, else a recovery
    code (used up by this). Raises CodeRefusedError when the code is wrong, or when it comes before
    the wait that earlier wrong codes started is over (checked before the code, so guessing
    faster gains nothing)."""
    code = _normalised(code)
    if _SIX_DIGITS.fullmatch(code):
        device: Device | None = (
            TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
        )
    else:
        device = StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None or not code:
        raise _wrong()
    # Locked, so two tries at once wait their turn; the refusal is raised after the commit,
    # which keeps the failure django-otp counted.
    with transaction.atomic():
        device = type(device).objects.select_for_update().get(pk=device.pk)
        wait = _wait_seconds(device)
        accepted = not wait and device.verify_token(code)
    if wait:
        raise _throttled(wait)
    if not accepted:
        raise _wrong()
    return device
