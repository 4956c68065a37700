"""Authentication backends for single sign-on.

`ProviderBackend` signs people in with the OpenID Connect authorization code flow
(mozilla-django-oidc does the protocol; the endpoints come from discovery, the account from
sso.services). `EmployeePasswordGuard` refuses employees' passwords when
SSO_ONLY_FOR_EMPLOYEES is on; guests keep their passwords."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from sso import services
from sso.provider import issuer, provider_metadata, provider_name, sso_enabled

logger = logging.getLogger(__name__)

# Where the callback finds what the backend learnt (the tokens, or that a link is needed):
# Django's authenticate() returns only a user.
TOKENS_ATTRIBUTE = "_sso_tokens"
PENDING_LINK_SESSION_KEY = "sso_pending_link"
REFUSAL_SESSION_KEY = "sso_refusal"


class ProviderBackend(OIDCAuthenticationBackend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Django builds a backend for every request of a signed-in person (get_user): nothing
        # here may reach the provider. The endpoints are properties, read from discovery
        # only while signing in.
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.UserModel = get_user_model()

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:  # noqa: N802 (the library's attribute name)
        return provider_metadata()["token_endpoint"]

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:  # noqa: N802
        return provider_metadata()["userinfo_endpoint"]

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:  # noqa: N802
        return provider_metadata()["jwks_uri"]

    def authenticate(self, request: Any, **kwargs: Any) -> Any:
        # Only the callback view passes a nonce; a password sign-in never reaches the provider.
        if request is None or "nonce" not in kwargs or not sso_enabled():
            return None
        return super().authenticate(request, **kwargs)

    def get_token(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.token_info = super().get_token(payload)
        return self.token_info

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        payload = super().verify_token(token, **kwargs)
        # mozilla-django-oidc checks the signature and nonce, not who issued the token or
        # for whom: a token another client of the same provider received must not sign in.
        if str(payload.get("iss", "")).rstrip("/") != issuer():
            raise SuspiciousOperation("ID token from another issuer")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token for another client")
        return payload

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(claims.get("sub"))

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        claims = self.get_userinfo(access_token, id_token, payload)
        # The userinfo answer must be about the person in the ID token (OIDC Core 5.3.2).
        if not isinstance(claims, dict) or claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("userinfo subject differs from the ID token")
        iss, subject = issuer(), str(payload["sub"])
        session = self.request.session
        try:
            user = services.user_for_identity(issuer=iss, subject=subject, claims=claims)
        except services.LinkRequired as needed:
            session[PENDING_LINK_SESSION_KEY] = {
                "user_id": needed.user.pk,
                "issuer": iss,
                "subject": subject,
                "claims": claims,
                "refresh_token": self.token_info.get("refresh_token"),
            }
            return None
        except services.SignInRefused as refused:
            session[REFUSAL_SESSION_KEY] = str(refused)
            return None
        setattr(user, TOKENS_ATTRIBUTE, self.token_info)
        return user

    def get_user(self, user_id: Any) -> Any:
        # Django's rule (inactive accounts are signed out), not the library's (any account).
        return ModelBackend.get_user(self, user_id)  # type: ignore[arg-type]


class EmployeePasswordGuard:
    """With SSO_ONLY_FOR_EMPLOYEES, an employee's correct password does not sign them in:
    they are told to use the provider. A wrong password is left to the password backend, so
    it counts as a failure there and says nothing about the account. Superusers keep their
    password as the break-glass way in when the provider is down.

    Deliberately without get_user: it never signs anyone in, and Django's test client (and
    anything else that picks "the first backend that can load a user") must not pick it."""

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> None:
        if not (settings.SSO_ONLY_FOR_EMPLOYEES and sso_enabled()) or not username or not password:
            return
        if kwargs.get("sso_link"):
            return  # confirming a local password to link it to the provider
        account = (
            get_user_model()
            .objects.filter(username__iexact=username.strip())
            .order_by("pk")
            .first()
        )
        if account is None and "@" in username:
            account = get_user_model().objects.filter(email__iexact=username.strip()).first()
        if (
            account is None
            or account.is_guest
            or account.is_superuser
            or not account.check_password(password)
        ):
            return
        if request is not None and hasattr(request, "_messages"):
            messages.error(
                request,
                _(
                    "Employees sign in with %(provider)s: use the “Sign in with %(provider)s” button."
                )
                % {"provider": provider_name()},
            )
        raise PermissionDenied
