from __future__ import annotations

import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from access.viewer import Viewer
from esn import ratelimit
from esn.logs import current_request_id, request_id_from
from people.selectors import language_of, visitor_language

# Paths reachable without signing in: the sign-in and password-reset pages, health checks
# for load balancers, static files.
PUBLIC_PREFIXES = (
    "/accounts/",
    "/oidc/",
    "/healthz",
    "/readyz",
    "/static/",
    "/admin/login/",
    "/favicon.ico",
    # Unsubscribing from digests works from the email, signed in or not (the token says who).
    "/digests/unsubscribe/",
    # Provisioning authenticates each request with its own bearer token (scim/views.py).
    "/scim/",
)


class RequestIdMiddleware:
    """Returns the request's id (esn/logs.py: set when the request started, from the proxy's
    X-Request-ID when sane) in the response's X-Request-ID, so a person can quote it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = current_request_id.get()
        if not request_id:
            # Served without Django's request_started signal (a bare handler): an id still.
            request_id = request_id_from(request.headers.get("X-Request-ID"))
            current_request_id.set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class HealthCheckMiddleware:
    """Answers /healthz (alive) and /readyz (ready) before host validation and the HTTPS
    redirect.

    Load balancers and container health checks probe by IP over plain HTTP, with a Host header
    that is not in ALLOWED_HOSTS; the answer holds no user data, so it is safe to give them.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info in ("/healthz", "/readyz") and request.method in ("GET", "HEAD"):
            from esn.views import healthz, readyz

            return (healthz if request.path_info == "/healthz" else readyz)(request)
        return self.get_response(request)


class LoginRequiredMiddleware:
    """Everything in an enterprise network is for signed-in people only."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated and not request.path.startswith(PUBLIC_PREFIXES):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)


class LastSeenMiddleware:
    """Records when a signed-in person last used the site, at most once per few minutes (one
    UPDATE, no read: the user row is already loaded). Digests start from this moment."""

    every = timedelta(minutes=5)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and request.method == "GET":
            now = timezone.now()
            if user.last_seen_at is None or now - user.last_seen_at > self.every:
                get_user_model().objects.filter(pk=user.pk).update(last_seen_at=now)
                user.last_seen_at = now
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """A strict CSP: our own scripts, styles and images only (no CDN, no inline script).
    `blob:` images are the composer's previews of chosen files (object URLs made by our own
    script; nothing from another site)."""

    def __init__(self, get_response):
        self.get_response = get_response
        # Images on an object store arrive by signed redirects to its address (esn/storage.py).
        sources = " ".join(["'self'", "data:", "blob:", *settings.MEDIA_ORIGINS])
        self.policy = (
            f"default-src 'self'; img-src {sources}; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
        )

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/admin/"):
            response.setdefault("Content-Security-Policy", self.policy)
        return response


class ViewerMiddleware:
    """`request.viewer`: who is looking, as the access layer sees them (`access.viewer`),
    made on first use and shared by everything the request reads: the templates' menus and
    the views that read several things (their ties are loaded at most once per request).
    A view that changes the viewer's own ties (joining, following, blocking) and then reads
    again reads with `request.user`, which gets a fresh Viewer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.viewer = SimpleLazyObject(lambda: Viewer.of(request.user))
        return self.get_response(request)


class RefuseNulCharactersMiddleware:
    """A NUL character cannot be stored (PostgreSQL refuses it in any text) and nobody types
    one: a query parameter or form field holding it is answered with a clear 400 here, for
    every view, instead of a 500 wherever a raw value reaches the database. Forms refuse it
    too (Django's CharField); this covers values views read themselves."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        values = list(request.GET.lists())
        if request.method == "POST":
            values += list(request.POST.lists())
        if any("\x00" in key or any("\x00" in v for v in vals) for key, vals in values):
            # Lazy: this runs before the reader's language is known; the 400 page
            # (esn.views.bad_request) renders it in theirs.
            raise BadRequest(
                gettext_lazy(
                    "What you sent holds a NUL character (\\x00), which cannot be stored. "
                    "Remove it and try again."
                )
            )
        return self.get_response(request)


class LanguageMiddleware:
    """The language of every page (instead of Django's LocaleMiddleware: no language in the
    address, nothing in the session). A signed-in person reads their own language, else the
    site's default, whatever their browser says; a visitor reads `visitor_language`. No
    query: the person's row is loaded for the request anyway, and the site's default is
    cached (people.models.LanguageSettings)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        language = language_of(user) if signed_in else visitor_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        try:
            response = self.get_response(request)
        finally:
            # Nothing run after this request in the same thread inherits its language.
            translation.deactivate()
        if not signed_in:
            # A shared cache must not hand one visitor's sign-in page to another language.
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", language)
        return response


# The reader's own time zone (notification settings), kept in the session when they sign in
# or change it, so no request reads it from the database.
TIME_ZONE_SESSION_KEY = "esn_time_zone"


def remember_time_zone(request, name: str) -> None:
    if name:
        request.session[TIME_ZONE_SESSION_KEY] = name
    else:
        request.session.pop(TIME_ZONE_SESSION_KEY, None)


class TimeZoneMiddleware:
    """Times on pages are shown in the reader's time zone when they chose one, else the
    site's (settings.TIME_ZONE)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = request.session.get(TIME_ZONE_SESSION_KEY) if hasattr(request, "session") else None
        zone = None
        if name:
            try:
                zone = zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                zone = None
        if zone is not None:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class DemoNotFoundMiddleware:
    """Under `make run` (DEBUG with DEMO_MODE) a missing page is the product's own 404, as
    people trying the demo should see it, not Django's technical page listing every URL
    pattern (which the site's CSP leaves unstyled anyway). DEBUG without DEMO_MODE, a
    developer's, keeps the technical page."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.active = settings.DEBUG and getattr(settings, "DEMO_MODE", False)

    def __call__(self, request):
        response = self.get_response(request)
        if (
            self.active
            and response.status_code == 404
            and "text/html" in response.get("Content-Type", "")
            # Our own pages carry the htmx config of base.html; the technical page does not.
            and b'name="htmx-config"' not in response.content
        ):
            return render(request, "404.html", status=404)
        return response


class RateLimitMiddleware:
    """Request limits, counted in the cache (esn.ratelimit): each signed-in person's requests
    per minute, site-wide, so one runaway script or tab cannot crowd out everyone else; and
    password-reset requests per address, so nobody can flood a mailbox or probe addresses in
    bulk. (Reset emails per account are limited where they are sent, people.forms, silently:
    a refusal there would tell that the account exists.) Over a limit: the 429 page with
    Retry-After."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            verdict = ratelimit.hit(ratelimit.requests_per_person(), user.pk)
            if not verdict.allowed:
                return ratelimit.too_many_requests(
                    request,
                    verdict.retry_after,
                    _("You have sent more requests in the last minute than the site allows."),
                )
        if request.method == "POST" and request.path_info == reverse("password_reset"):
            address = ratelimit.client_address(request) or "unknown"
            verdict = ratelimit.hit(ratelimit.password_resets_per_address(), address)
            if not verdict.allowed:
                return ratelimit.too_many_requests(
                    request,
                    verdict.retry_after,
                    _("Too many password resets were asked for from your network this hour."),
                )
        return self.get_response(request)
