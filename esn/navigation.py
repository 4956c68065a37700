from __future__ import annotations

from django.utils.http import url_has_allowed_host_and_scheme


def next_url(request, default: str) -> str:
    """Where to go back after a plain (non-htmx) form post: the form's `next` if it is a
    page of this site, else `default`. Never an open redirect (`//evil.example` is refused)."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
