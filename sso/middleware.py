"""Re-checks a provider session every OIDC_RECHECK_SECONDS (15 minutes by default): someone
disabled at the identity provider loses access at their next click after that, without
waiting for the next sync.

The check uses the refresh token (one back-channel POST to the token endpoint, nothing the
person sees). If the provider refuses it, every session of that person ends (on all their devices) and the
sign-in page says why. If
the provider cannot be reached, the session is kept and checked again a minute later: a
provider outage must not sign out the whole company."""

from __future__ import annotations

import logging
import time

import requests
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import BACKEND_SESSION_KEY
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from people.services import end_sessions
from sso.provider import ProviderUnavailable, provider_metadata, provider_name, sso_enabled
from sso.session import RECHECK_AT_KEY, REFRESH_TOKEN_KEY, remember_provider_session

logger = logging.getLogger(__name__)

RETRY_AFTER_OUTAGE_SECONDS = 60


class ProviderRecheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            sso_enabled()
            and request.user.is_authenticated
            and request.session.get(BACKEND_SESSION_KEY) == "sso.backends.ProviderBackend"
            and request.session.get(RECHECK_AT_KEY, 0) <= time.time()
        ):
            refused = self._provider_refuses(request)
            if refused:
                return self._end_session(request)
        return self.get_response(request)

    def _provider_refuses(self, request) -> bool:
        refresh_token = request.session.get(REFRESH_TOKEN_KEY)
        if not refresh_token:
            # A provider that issues no refresh token cannot be asked; the session then lasts
            # as long as Django's own (SESSION_COOKIE_AGE).
            request.session[RECHECK_AT_KEY] = time.time() + settings.OIDC_RECHECK_SECONDS
            return False
        try:
            response = requests.post(
                provider_metadata()["token_endpoint"],
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": refresh_token,
                    "scope": settings.OIDC_RP_SCOPES,
                },
                # client_secret_basic: the method every provider must accept (RFC 6749 2.3.1).
                auth=(settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET),
                timeout=settings.OIDC_TIMEOUT,
            )
        except (requests.RequestException, ProviderUnavailable) as exc:
            logger.warning("OIDC session re-check could not reach the provider: %s", exc)
            request.session[RECHECK_AT_KEY] = time.time() + RETRY_AFTER_OUTAGE_SECONDS
            return False
        if response.status_code == 200:
            tokens = response.json()
            remember_provider_session(request.session, tokens)
            return False
        if 400 <= response.status_code < 500:
            # invalid_grant and friends: the provider no longer vouches for this person.
            logger.info(
                "OIDC session re-check refused for user %s: %s", request.user.pk, response.text
            )
            return True
        logger.warning("OIDC session re-check: provider answered %s", response.status_code)
        request.session[RECHECK_AT_KEY] = time.time() + RETRY_AFTER_OUTAGE_SECONDS
        return False

    def _end_session(self, request) -> HttpResponse:
        # Every device, not only this browser: the provider no longer vouches for the person.
        # The account itself stays active: a refusal is also what an expired provider session
        # looks like (Keycloak ends idle sessions after 30 minutes), and leaving is for the
        # directory (SCIM, active: false) or an admin to decide (people.services.deactivate_person).
        end_sessions(request.user)
        auth.logout(request)
        messages.error(
            request,
            _(
                "You have been signed out: %(provider)s no longer confirms your sign-in "
                "(your account there may have been disabled or your sign-in revoked). "
                "Sign in again to continue."
            )
            % {"provider": provider_name()},
        )
        login_url = reverse("login")
        if getattr(request, "htmx", False):
            # htmx would swap a redirect into part of the page; send the whole page there.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = login_url
            return response
        return HttpResponseRedirect(login_url)
