from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from twofactor import selectors

# Pages an administrator may open before the required code: setting it up, the code step,
# signing out, and what those pages load.
_OPEN_PREFIXES = ("/two-step/", "/accounts/", "/static/", "/favicon.ico", "/healthz")
# Single sign-on sessions (sso/): the identity provider asks for its own second step.
_SSO_BACKEND = "sso.backends.ProviderBackend"


class TwoStepPolicyMiddleware:
    """When the site requires two-step sign-in of administrators (twofactor.models.
    TwoStepPolicy): a staff member or superuser signed in with a password in a session that
    passed no code is sent to set it up (no device yet) or to the code step (a session from
    before the requirement), before any other page, Django admin included. Ordinary people
    and single sign-on sessions pass untouched, without a query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and selectors.reaches_django_admin(user)
            and not request.path.startswith(_OPEN_PREFIXES)
            and request.session.get(BACKEND_SESSION_KEY) != _SSO_BACKEND
            and not user.is_verified()
            and selectors.two_step_required(user)
        ):
            query = urlencode({"next": request.get_full_path()})
            if selectors.has_two_step(user):
                return redirect(f"{reverse('sign_in_code')}?{query}")
            messages.info(
                request,
                _("The site requires two-step sign-in for administrators. Set it up to continue."),
            )
            return redirect(f"{reverse('twofactor:enrol')}?{query}")
        return self.get_response(request)
