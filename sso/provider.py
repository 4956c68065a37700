"""The identity provider this site trusts, as configured by OIDC_* settings.

Discovery (`<issuer>/.well-known/openid-configuration`) is fetched when someone first signs
in, not at import: a provider that is down must not stop the site from starting, and local
accounts keep working. A good answer is kept for the life of the process."""

from __future__ import annotations

import logging
import threading
from typing import Any

import requests
from django.conf import settings
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

REQUIRED_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint")

_metadata: dict[str, dict[str, Any]] = {}
_lock = threading.Lock()


class ProviderUnavailable(Exception):  # noqa: N818
    """The provider cannot be used right now; the message is fit to show the person."""


def sso_enabled() -> bool:
    return bool(settings.OIDC_ISSUER)


def provider_name() -> str:
    return settings.OIDC_PROVIDER_NAME


def issuer() -> str:
    return settings.OIDC_ISSUER.rstrip("/")


def provider_metadata() -> dict[str, Any]:
    """The provider's discovery document, fetched once per process. Raises
    ProviderUnavailable with a message a person can act on when it cannot be had."""
    iss = issuer()
    found = _metadata.get(iss)
    if found is not None:
        return found
    with _lock:
        found = _metadata.get(iss)
        if found is None:
            found = _fetch(iss)
            _metadata[iss] = found
    return found


def forget_metadata() -> None:
    """Drop the cached discovery document (tests; a provider that moved its endpoints)."""
    _metadata.clear()


def _fetch(iss: str) -> dict[str, Any]:
    url = f"{iss}/.well-known/openid-configuration"
    unavailable = ProviderUnavailable(
        _(
            "Signing in with %(provider)s is not possible right now: the sign-in service "
            "cannot be reached. Please try again in a few minutes."
        )
        % {"provider": provider_name()}
    )
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        logger.error("OIDC discovery at %s failed: %s", url, exc)
        raise unavailable from exc
    if not isinstance(document, dict):
        logger.error("OIDC discovery at %s did not return a JSON object", url)
        raise unavailable
    # The document must describe the issuer we were told to trust (OIDC Discovery 4.3),
    # or tokens signed by some other issuer could be accepted.
    if str(document.get("issuer", "")).rstrip("/") != iss:
        logger.error(
            "OIDC discovery at %s names issuer %r, not %r", url, document.get("issuer"), iss
        )
        raise unavailable
    missing = [key for key in REQUIRED_ENDPOINTS if not document.get(key)]
    if missing:
        logger.error("OIDC discovery at %s lacks %s", url, ", ".join(missing))
        raise unavailable
    return document


def claim(claims: dict[str, Any], setting_name: str) -> str:
    """The first non-empty claim among the names configured in `setting_name` (a list, so a
    location can come from `location` or else `locality`), as a stripped string."""
    for name in getattr(settings, setting_name):
        value = claims.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""
