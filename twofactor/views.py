"""Two-step sign-in pages: the code step of signing in (ours and Django admin's), and the
person's own page to turn it on and off and renew their recovery codes."""

from __future__ import annotations

from urllib.parse import urlencode

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import login as auth_login
from django.contrib.auth import user_login_failed
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from esn.navigation import next_url
from esn.typing import HtmxHttpRequest
from people.views import sign_in_locked
from twofactor import selectors, services
from twofactor.forms import CodeForm, EnrolmentForm, TurnOffForm
from twofactor.pending import begin_code_step, end_code_step, pending_sign_in


def _with_next(url: str, next_page: str) -> str:
    return f"{url}?{urlencode({'next': next_page})}" if next_page else url


class TwoStepSignInMixin:
    """After a correct password: someone with two-step sign-in on is sent to the code step
    instead of being signed in; everyone else is signed in as before."""

    def form_valid(self, form):
        user = form.get_user()
        if selectors.has_two_step(user):
            begin_code_step(self.request, user)  # type: ignore[attr-defined]
            return redirect(_with_next(reverse("sign_in_code"), self.get_success_url()))  # type: ignore[attr-defined]
        return super().form_valid(form)  # type: ignore[misc]


class SignInView(TwoStepSignInMixin, auth_views.LoginView):
    pass


class AdminSignInView(TwoStepSignInMixin, auth_views.LoginView):
    pass


@never_cache
def admin_sign_in(request: HtmxHttpRequest) -> HttpResponseBase:
    """Django admin's sign-in page (AdminSite.login, which cannot be given another view
    class), with the same code step as ours."""
    site = admin.site
    if request.method == "GET" and site.has_permission(request):
        return HttpResponseRedirect(reverse("admin:index", current_app=site.name))
    context = {
        **site.each_context(request),
        "title": _("Log in"),
        "subtitle": None,
        "app_path": request.get_full_path(),
        "username": request.user.get_username(),
    }
    if "next" not in request.GET and "next" not in request.POST:
        context["next"] = reverse("admin:index", current_app=site.name)
    request.current_app = site.name
    return AdminSignInView.as_view(
        extra_context=context,
        authentication_form=site.login_form or AdminAuthenticationForm,
        template_name=site.login_template or "admin/login.html",
    )(request)


@never_cache
def sign_in_code(request: HtmxHttpRequest) -> HttpResponseBase:
    """The second step: the code from the authenticator app (or a recovery code) after a
    correct password. Also where a signed-in administrator whose session predates the site's
    requirement proves it. A wrong code waits (django-otp's throttle) and counts as a failed
    sign-in of the account from this address (django-axes), so the lock ends the guessing."""
    next_page = next_url(request, resolve_url(settings.LOGIN_REDIRECT_URL))
    already_in = request.user.is_authenticated
    if already_in:
        if request.user.is_verified() or not selectors.has_two_step(request.user):
            return redirect(next_page)
        user, backend = request.user, None
    else:
        pending = pending_sign_in(request)
        if pending is None:
            messages.info(request, _("Please sign in again: the code step took too long."))
            return redirect_to_login(next_page)
        user, backend = pending
    credentials = {"username": user.get_username()}
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if AxesProxyHandler.is_locked(request, credentials):
            end_code_step(request)
            return sign_in_locked(request, credentials=credentials)
        try:
            device = services.check_code(user=user, code=form.cleaned_data["code"])
        except services.CodeRefusedError as exc:
            form.add_error("code", exc)
            if exc.code == "wrong":
                # Counted with the password failures; at the limit AxesMiddleware answers with
                # the locked sign-in page instead of this one.
                user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        else:
            end_code_step(request)
            if not already_in:
                auth_login(request, user, backend=backend)
            otp_login(request, device)
            if isinstance(device, StaticDevice):
                left = selectors.recovery_codes_left(user)
                messages.warning(
                    request,
                    ngettext(
                        "You used a recovery code: %(n)d is left. Make new ones on the "
                        "Two-step sign-in page.",
                        "You used a recovery code: %(n)d are left. Make new ones on the "
                        "Two-step sign-in page if you are running low.",
                        left,
                    )
                    % {"n": left},
                )
            return redirect(next_page)
    return render(
        request,
        "twofactor/code.html",
        {"form": form, "next": next_page, "signed_in": already_in},
        status=422 if form.errors else 200,
    )


def _settings_context(request: HtmxHttpRequest, **extra) -> dict:
    user = request.user
    return {
        "enabled": selectors.has_two_step(user),
        "codes_left": selectors.recovery_codes_left(user),
        "required": selectors.two_step_required(user),
        "has_password": user.has_usable_password(),
        **extra,
    }


def two_step_settings(request: HtmxHttpRequest) -> HttpResponseBase:
    """Whether two-step sign-in is on, with the ways to turn it on or off."""
    return render(
        request,
        "twofactor/settings.html",
        _settings_context(request, turn_off_form=TurnOffForm()),
    )


def enrol(request: HtmxHttpRequest) -> HttpResponseBase:
    """Turning it on: the secret as a QR code and as text, confirmed by a current code. A wrong
    code says so and keeps the same secret, so nothing has to be scanned again."""
    user = request.user
    next_page = next_url(request, "")
    if selectors.has_two_step(user):
        messages.info(request, _("Two-step sign-in is already on."))
        return redirect(next_page or reverse("twofactor:settings"))
    if not user.has_usable_password():
        return redirect("twofactor:settings")
    device = services.start_enrolment(user=user)
    form = EnrolmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.confirm_enrolment(user=user, code=form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            device.refresh_from_db()
            # This session proved the code: it counts as verified from now on.
            otp_login(request, device)
            messages.success(request, _("Two-step sign-in is on."))
            return _show_recovery_codes(request, codes, next_page)
    qr = segno.make(device.config_url, error="m")
    return render(
        request,
        "twofactor/enrol.html",
        {
            "form": form,
            "next": next_page,
            "secret": selectors.secret_for_typing(device),
            "qr_svg": qr.svg_inline(scale=4, border=2, title=_("QR code for your app")),
            "required": selectors.two_step_required(user),
        },
        status=422 if form.errors else 200,
    )


def _show_recovery_codes(
    request: HtmxHttpRequest, codes: list[str], next_page: str = ""
) -> HttpResponseBase:
    # Shown once, in this answer only: they are not kept anywhere they could be shown again.
    response = render(
        request,
        "twofactor/recovery_codes.html",
        {"codes": codes, "next": next_page or reverse("twofactor:settings")},
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def recovery_codes(request: HtmxHttpRequest) -> HttpResponseBase:
    """Ten new recovery codes; the earlier ones stop working."""
    if not selectors.has_two_step(request.user):
        return redirect("twofactor:settings")
    codes = services.new_recovery_codes(user=request.user)
    messages.success(request, _("New recovery codes are ready. The earlier ones no longer work."))
    return _show_recovery_codes(request, codes)


@require_POST
def turn_off(request: HtmxHttpRequest) -> HttpResponseBase:
    """Turning it off, with a current code or the password: a session left open on a shared
    computer is not enough."""
    user = request.user
    form = TurnOffForm(request.POST)
    if not selectors.has_two_step(user):
        return redirect("twofactor:settings")
    if selectors.two_step_required(user):
        form.add_error(
            None,
            _("The site requires two-step sign-in for administrators: it cannot be turned off."),
        )
    elif form.is_valid():
        proof = form.cleaned_data["proof"]
        proven = user.check_password(proof)
        if not proven:
            try:
                services.check_code(user=user, code=proof)
            except services.CodeRefusedError as exc:
                if exc.code == "throttled":
                    form.add_error("proof", exc)
                else:
                    form.add_error("proof", _("That is neither a current code nor your password."))
            else:
                proven = True
        if proven:
            services.turn_off(user=user)
            messages.success(request, _("Two-step sign-in is off."))
            return redirect("twofactor:settings")
    return render(
        request,
        "twofactor/settings.html",
        _settings_context(request, turn_off_form=form),
        status=422,
    )
