from __future__ import annotations

from datetime import timedelta
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

from esn import generations
from people.models import User


def accounts_matching(identifier: str) -> list[User]:
    """The accounts a typed sign-in name may mean, best match first, inactive ones included.

    Phones capitalise the first letter and people type their email address, so the name is
    matched without regard to case: an exact username first (it alone, so "Zoe" never signs
    into "zoe"), else usernames equal but for case, else accounts with that email address.
    Several accounts can come back (two usernames differing only in case, a shared email);
    the password decides among them, and a tie signs into none (see AccountBackend)."""
    identifier = identifier.strip()
    if not identifier:
        return []
    exact = list(User.objects.filter(username=identifier))
    if exact:
        return exact
    by_username = list(User.objects.filter(username__iexact=identifier).order_by("pk"))
    if by_username or "@" not in identifier:
        return by_username
    return list(User.objects.filter(email__iexact=identifier).order_by("pk"))


def sign_in_key(request: HttpRequest | None, credentials: dict | None) -> str | None:
    """The name django-axes counts failed sign-ins against (settings.AXES_USERNAME_CALLABLE):
    the account the typed name resolves to, whichever way it was typed (username in any case,
    or email), so five tries by email and by username together are five against the account.
    An unknown name, or an address that several accounts share, counts against itself and is
    locked the same way, so the lock does not tell whether an account exists."""
    typed = (credentials or {}).get("username")
    if typed is None and request is not None:
        typed = request.POST.get("username")
    if not typed:
        return None
    typed = typed.strip()
    # Axes asks several times per attempt; the accounts are looked up once per request.
    known: dict[str, str] = getattr(request, "_sign_in_keys", {}) if request is not None else {}
    if typed not in known:
        # Usernames differing only in case are one name to the lock: one attempt counts once.
        names = {account.username.lower() for account in accounts_matching(typed)}
        known[typed] = (names.pop() if len(names) == 1 else typed.lower())[:255]
        if request is not None:
            request._sign_in_keys = known  # type: ignore[attr-defined]
    return known[typed]


def not_a_password_attempt(request: HttpRequest | None, credentials: dict | None) -> bool:
    """Sign-ins without a name (single sign-on's callback) are not password guesses: they are
    neither counted nor locked (settings.AXES_WHITELIST_CALLABLE). Otherwise they would all
    count against one empty name per address, and behind a proxy lock everyone out."""
    return sign_in_key(request, credentials) is None


class SignInLockBackend(AxesStandaloneBackend):
    """django-axes' lock, first in AUTHENTICATION_BACKENDS, so every way of signing in with a
    password (our page, Django admin's) is held to it. A sign-in without a request (the
    shell, a test calling authenticate()) has no address to count against and passes."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lock_remaining_seconds(request: HttpRequest, credentials: dict | None) -> int:
    """How long until the lock on this account and address lifts: the cool-off after the
    latest counted failure."""
    cool_off = get_cool_off(request) or timedelta(0)
    latest = (
        AccessAttempt.objects.filter(
            username=sign_in_key(request, credentials),
            ip_address=getattr(request, "axes_ip_address", None),
        )
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    if latest is None:
        return int(cool_off.total_seconds())
    return max(60, int((latest + cool_off - timezone.now()).total_seconds()))


class AccountBackend(ModelBackend):
    """Django's backend, signing in by username or email in any case and refusing guests past
    their end date. `get_user` asks the same question on every request, so an expired guest's
    open sessions end at their next click. Repeated failures are counted and locked by
    SignInLockBackend (django-axes), which runs first."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None:
            return None
        accounts = accounts_matching(username)
        if not accounts:
            # Hash anyway: an unknown name takes as long to refuse as a wrong password.
            User().set_password(password)
        usable = [
            account
            for account in accounts
            if account.check_password(password) and self.user_can_authenticate(account)
        ]
        # One account, proven by its password; never a guess between two that share it.
        if len(usable) == 1:
            return usable[0]
        return None

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not getattr(user, "guest_expired", False)

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        """Django's answer, kept in the cache: a post page asks whether its reader may make
        announcements, which cost two queries over the permission tables on every view
        while almost nobody holds a permission. The key holds what the answer depends on
        in the user's own row (read fresh each request) and `generations.PERMISSIONS`,
        which every change to who holds which permission moves on (esn/apps.py)."""
        if (
            obj is None
            and user_obj.is_active
            and not user_obj.is_anonymous
            and not hasattr(user_obj, "_perm_cache")
        ):
            key = (
                f"perms:{user_obj.pk}:{int(user_obj.is_superuser)}:"
                f"{generations.current(generations.PERMISSIONS)}"
            )
            kept = cache.get(key)
            if kept is None:
                kept = super().get_all_permissions(user_obj)
                cache.set(key, frozenset(kept), PERMISSIONS_SECONDS)
            # ModelBackend reads this before asking the database (the other backends too).
            user_obj._perm_cache = set(kept)
        return super().get_all_permissions(user_obj, obj)


# A grant made outside Django's signals (raw SQL) shows within this time at most.
PERMISSIONS_SECONDS = 300
