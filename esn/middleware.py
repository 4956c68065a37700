from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login

# Paths reachable without signing in: the sign-in and password-reset pages, health checks
# for load balancers, static files.
PUBLIC_PREFIXES = ("/accounts/", "/healthz", "/static/", "/admin/login/", "/favicon.ico")


class HealthCheckMiddleware:
    """Answers /healthz before host validation and the HTTPS redirect.

    Load balancers and container health checks probe by IP over plain HTTP, with a Host header
    that is not in ALLOWED_HOSTS; the answer holds no user data, so it is safe to give them.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/healthz" and request.method in ("GET", "HEAD"):
            from esn.views import healthz

            return healthz(request)
        return self.get_response(request)


class LoginRequiredMiddleware:
    """Everything in an enterprise network is for signed-in people only."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated and not request.path.startswith(PUBLIC_PREFIXES):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """A strict CSP: our own scripts, styles and images only (no CDN, no inline script)."""

    policy = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/admin/"):
            response.setdefault("Content-Security-Policy", self.policy)
        return response
