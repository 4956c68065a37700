"""What a signed-in session remembers about the provider, so it can be re-checked."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings

REFRESH_TOKEN_KEY = "sso_refresh_token"  # noqa: S105 (a session key, not a secret)
RECHECK_AT_KEY = "sso_recheck_at"


def remember_provider_session(session: Any, tokens: dict[str, Any]) -> None:
    refresh_token = tokens.get("refresh_token")
    if refresh_token:
        session[REFRESH_TOKEN_KEY] = refresh_token
    session[RECHECK_AT_KEY] = time.time() + settings.OIDC_RECHECK_SECONDS
