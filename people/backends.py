from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from people.models import User
from people.services import record_failed_sign_in, sign_in_blocked


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


def throttle_keys(identifier: str, accounts: list[User]) -> list[str]:
    """What failed attempts count against: each account the name may mean, whichever way it was
    typed (username, any case, or email), so five tries by email and five by username are ten
    against the same account. An unknown name counts against itself, and is throttled the same
    way, so the throttle does not tell whether an account exists."""
    # Once per key: usernames differing only in case are one key to the throttle, and one
    # attempt must count once, not once per spelling.
    return list(
        dict.fromkeys(key.lower() for key in [a.username for a in accounts] or [identifier])
    )


def client_ip(request: HttpRequest | None) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


def sign_in_throttled(identifier: str, request: HttpRequest | None) -> bool:
    ip = client_ip(request)
    keys = throttle_keys(identifier, accounts_matching(identifier))
    return any(sign_in_blocked(username=key, ip=ip) for key in keys)


class AccountBackend(ModelBackend):
    """Django's backend, signing in by username or email in any case, throttling repeated
    failures per account, and refusing guests past their end date. `get_user` asks the same
    question on every request, so an expired guest's open sessions end at their next click.

    The throttle lives here rather than in the sign-in form so that every form that signs in
    (ours and Django admin's) is held to it."""

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
        keys = throttle_keys(username, accounts)
        ip = client_ip(request)
        if any(sign_in_blocked(username=key, ip=ip) for key in keys):
            return None
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
        for key in keys:
            record_failed_sign_in(username=key, ip=ip)
        return None

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not getattr(user, "guest_expired", False)
