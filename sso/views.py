"""The sign-in flow with the identity provider: start, callback, and linking an existing
local account. mozilla-django-oidc speaks the protocol; these views add discovery, clear
messages on the sign-in page when something fails, and the link step."""

from __future__ import annotations

import logging
import time
from typing import Any

import requests
from django.conf import settings
from django.contrib import auth, messages
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from people.models import User
from sso import services
from sso.backends import PENDING_LINK_SESSION_KEY, REFUSAL_SESSION_KEY, TOKENS_ATTRIBUTE
from sso.forms import LinkAccountForm
from sso.provider import ProviderUnavailable, provider_metadata, provider_name, sso_enabled
from sso.session import remember_provider_session

logger = logging.getLogger(__name__)

BACKEND = "sso.backends.ProviderBackend"
# A pending link is a half-finished sign-in: it must not wait for long.
PENDING_LINK_SECONDS = 10 * 60


def _fail(request: HttpRequest, message: str) -> HttpResponseRedirect:
    messages.error(request, message)
    return redirect(settings.LOGIN_URL)


def _not_right_now() -> str:
    return _(
        "Signing in with %(provider)s did not work. Please try again; if it keeps failing, "
        "contact an administrator."
    ) % {"provider": provider_name()}


class StartView(OIDCAuthenticationRequestView):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_metadata()["authorization_endpoint"]
        except ProviderUnavailable as exc:
            return _fail(request, str(exc))
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404
        try:
            return super().get(request)
        except ProviderUnavailable as exc:
            return _fail(request, str(exc))
        except (requests.RequestException, SuspiciousOperation, KeyError) as exc:
            # A replayed or forged callback, a token the provider would not give, or one
            # that did not check out: nobody is signed in, and the reason goes to the log.
            logger.warning("OIDC sign-in failed: %r", exc)
            return _fail(request, _not_right_now())

    def login_success(self) -> HttpResponse:
        response = super().login_success()
        remember_provider_session(self.request.session, getattr(self.user, TOKENS_ATTRIBUTE, {}))
        return response

    def login_failure(self) -> HttpResponse:
        session = self.request.session
        if PENDING_LINK_SESSION_KEY in session:
            session[PENDING_LINK_SESSION_KEY]["started_at"] = time.time()
            session.modified = True
            return redirect("sso:link")
        refusal = session.pop(REFUSAL_SESSION_KEY, None)
        if refusal:
            return _fail(self.request, refusal)
        if self.request.GET.get("error") == "access_denied":
            return _fail(
                self.request,
                _("%(provider)s did not sign you in.") % {"provider": provider_name()},
            )
        return _fail(self.request, _not_right_now())


def link_account(request: HttpRequest) -> HttpResponse:
    """Links the provider identity to the local account with the same email address, once
    that account's password is typed: owning an email at the provider is not proof of owning
    the account here."""
    pending = request.session.get(PENDING_LINK_SESSION_KEY)
    if not sso_enabled() or not pending:
        return redirect(settings.LOGIN_URL)
    if time.time() - pending.get("started_at", 0) > PENDING_LINK_SECONDS:
        del request.session[PENDING_LINK_SESSION_KEY]
        return _fail(request, _("That took too long. Please sign in again."))
    account = User.objects.filter(pk=pending["user_id"], is_active=True).first()
    if account is None:
        del request.session[PENDING_LINK_SESSION_KEY]
        return _fail(request, _not_right_now())
    form = LinkAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Through authenticate(), so the sign-in throttle counts wrong passwords here too.
        confirmed = auth.authenticate(
            request,
            username=account.username,
            password=form.cleaned_data["password"],
            sso_link=True,
        )
        if confirmed is not None and confirmed.pk == account.pk:
            services.link_identity(
                user=account,
                issuer=pending["issuer"],
                subject=pending["subject"],
                claims=pending["claims"],
            )
            del request.session[PENDING_LINK_SESSION_KEY]
            auth.login(request, account, backend=BACKEND)
            remember_provider_session(request.session, {"refresh_token": pending["refresh_token"]})
            messages.success(
                request,
                _("Your account is now linked to %(provider)s. Next time, just sign in with it.")
                % {"provider": provider_name()},
            )
            return redirect(settings.LOGIN_REDIRECT_URL)
        form.add_error("password", _("That is not the password of this account."))
    return render(
        request,
        "sso/link.html",
        {"form": form, "account": account, "provider_name": provider_name()},
    )


def cancel_link(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        request.session.pop(PENDING_LINK_SESSION_KEY, None)
    return redirect(settings.LOGIN_URL)
