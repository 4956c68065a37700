"""Who is asking (the client's address behind trusted proxies) and how often (counters in the
Django cache), for the sign-in lockout (django-axes) and the request limits (esn.middleware).
"""

from __future__ import annotations

import ipaddress
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext

from esn.cache import count as counted

log = logging.getLogger(__name__)


def client_address(request: HttpRequest) -> str | None:
    """The address of the person's computer.

    With TRUSTED_PROXY_COUNT = N proxies in front of the site, each appends the address it
    received the request from to X-Forwarded-For, so the client's is the N-th entry from the
    right. Entries further left were written by whoever sent the request and may be made up;
    they are never read. Without enough entries (the request did not come through the proxies),
    or from a connecting address that is not a trusted proxy's (FORWARDED_ALLOW_IPS), the
    connecting address counts."""
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0 or not _is_trusted_proxy(remote):
        return remote
    forwarded = [
        entry.strip()
        for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if entry.strip()
    ]
    if len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def _is_trusted_proxy(remote: str | None) -> bool:
    if remote is None:
        return False
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return False
    for entry in settings.FORWARDED_ALLOW_IPS:
        if entry == "*":
            return True
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


@dataclass(frozen=True)
class Limit:
    scope: str
    count: int
    seconds: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the current window ends


def hit(limit: Limit, who: object) -> Verdict:
    """Counts one request by `who` against `limit` in a fixed window, in the shared cache (Redis
    when CACHE_USE_REDIS is on, so every web process counts together). A cache that cannot be
    reached lets the request through: a broken counter must not take the site down."""
    now = time.time()
    window = int(now // limit.seconds)
    retry_after = max(1, int(limit.seconds - (now % limit.seconds)))
    key = f"ratelimit:{limit.scope}:{who}:{window}"
    try:
        used = counted(key, limit.seconds + 1)
    except Exception:  # any cache failure; logged, and the request goes through
        log.exception("Rate limit counter %s unavailable", limit.scope)
        return Verdict(allowed=True, retry_after=0)
    return Verdict(allowed=used <= limit.count, retry_after=retry_after)


def requests_per_person() -> Limit:
    return Limit("person", settings.RATE_LIMIT_REQUESTS_PER_MINUTE, 60)


def password_resets_per_address() -> Limit:
    return Limit("reset-address", settings.RATE_LIMIT_PASSWORD_RESETS_PER_HOUR, 3600)


def reset_emails_per_account() -> Limit:
    return Limit("reset-account", settings.RATE_LIMIT_RESET_EMAILS_PER_ACCOUNT_PER_DAY, 86400)


def wait_in_words(seconds: int) -> str:
    minutes = -(-seconds // 60)  # rounded up: "1 minute" rather than "0 minutes"
    if seconds < 60:
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    if minutes < 120:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = -(-minutes // 60)
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}


def too_many_requests(request: HttpRequest, retry_after: int, reason: str) -> HttpResponse:
    """The 429 page in the site's layout, saying what was limited and when to try again, with
    Retry-After for scripts and browsers."""
    response = render(
        request,
        "429.html",
        {"reason": reason, "retry_after": retry_after, "wait": wait_in_words(retry_after)},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response
