"""A sign-in between its two steps: the password was right, the code is still to come. Kept
in the session; nobody is signed in until the code step ends it (twofactor.views)."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import load_backend
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from people.models import User

PENDING_SESSION_KEY = "twofactor_pending"


def begin_code_step(request: HttpRequest, user: User) -> None:
    request.session[PENDING_SESSION_KEY] = {
        "user": user.pk,
        # Set by authenticate() on the user it returns.
        "backend": user.backend,  # type: ignore[attr-defined]
        # A password changed meanwhile (a reset elsewhere) voids the first step.
        "hash": user.get_session_auth_hash(),
        "until": time.time() + settings.TWO_STEP_PENDING_SECONDS,
    }


def pending_sign_in(request: HttpRequest) -> tuple[User, str] | None:
    """The person whose password was right in this session a moment ago, and the backend that
    accepted it; None when there is none, it took too long, or the account can no longer
    sign in (deactivated, an expired guest, a new password)."""
    data = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(data, dict) or data.get("until", 0) < time.time():
        return None
    backend = data.get("backend")
    if backend not in settings.AUTHENTICATION_BACKENDS:
        return None
    # The backend's own get_user: the same checks as for every signed-in request.
    user = load_backend(backend).get_user(data.get("user"))
    if user is None or not constant_time_compare(
        user.get_session_auth_hash(), data.get("hash", "")
    ):
        return None
    return user, backend


def end_code_step(request: HttpRequest) -> None:
    request.session.pop(PENDING_SESSION_KEY, None)
