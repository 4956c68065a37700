"""Signing in through the identity provider: which account a provider identity is, creating
it the first time, keeping its profile in step with the provider, and linking an existing
local account once its password has been confirmed."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from esn.text import clean_name
from people.models import Department, Location, User
from people.services import free_username
from scim.models import Provisioned
from sso.models import Identity
from sso.provider import claim, provider_name


class SignInRefused(Exception):  # noqa: N818
    """The provider vouched for someone this site will not sign in; the message says why."""


class LinkRequired(Exception):  # noqa: N818 (a state, not an error)
    """A local account already has this email address: it is linked only after its own
    password is confirmed, so a provider account with a copied email cannot take it over."""

    def __init__(self, user: User) -> None:
        super().__init__(user.username)
        self.user = user


def _profile_from_claims(claims: dict[str, Any]) -> dict[str, Any]:
    first, last = claim(claims, "OIDC_CLAIM_GIVEN_NAME"), claim(claims, "OIDC_CLAIM_FAMILY_NAME")
    if not first and not last:
        # Only a full name: the first word is the given name, the rest the family name.
        first, _sep, last = claim(claims, "OIDC_CLAIM_NAME").partition(" ")
    profile: dict[str, Any] = {
        "first_name": clean_name(first)[:150],
        "last_name": clean_name(last.strip())[:150],
        "email": claim(claims, "OIDC_CLAIM_EMAIL")[:254],
        "title": clean_name(claim(claims, "OIDC_CLAIM_TITLE"))[:120],
    }
    department = clean_name(claim(claims, "OIDC_CLAIM_DEPARTMENT"))[:100]
    location = clean_name(claim(claims, "OIDC_CLAIM_LOCATION"))[:100]
    profile["department"] = (
        Department.objects.get_or_create(name=department)[0] if department else None
    )
    profile["location"] = Location.objects.get_or_create(name=location)[0] if location else None
    return profile


def _apply_profile(user: User, claims: dict[str, Any]) -> None:
    """The provider is the source of truth for what it sends: a claim it stops sending
    (a department removed) is cleared here too. Bio, avatar and skills stay the person's own."""
    changed = []
    for field, value in _profile_from_claims(claims).items():
        if field == "email" and not value:
            continue
        if getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)
    if changed:
        user.save(update_fields=[*changed, "updated_at"])


def _free_username(claims: dict[str, Any]) -> str:
    """The username a new account gets: the provider's preferred_username if it sends one
    (Entra ID sends "name@tenant": the part before "@"), else the email's local part."""
    preferred = claims.get("preferred_username")
    email = claim(claims, "OIDC_CLAIM_EMAIL")
    base = preferred if isinstance(preferred, str) and preferred.strip() else email
    return free_username(base, fallback="colleague")


def _provisioned_account(*, issuer: str, subject: str, claims: dict[str, Any]) -> User | None:
    """The account the directory provisioned (SCIM) for this person, on their first sign-in:
    the same identity provider vouches for both, by its own ids, never by an email address.
    Its SCIM externalId is the provider's object id (Entra ID's `oid`, Okta's and Keycloak's
    `sub`), or its SCIM userName is the sign-in name (`preferred_username`, Entra's `upn`)."""
    ids = {subject} | {v for k in ("oid",) if isinstance(v := claims.get(k), str) and v}
    names = {
        v.lower()
        for k in ("preferred_username", "upn")
        if isinstance(v := claims.get(k), str) and v
    }
    found = (
        Provisioned.objects.select_related("user")
        .annotate(name_key=Lower("user_name"))
        .filter(Q(external_id__in=ids) | Q(name_key__in=names))
    )
    candidates = [p.user for p in found[:2]]
    if len(candidates) != 1:
        return None
    user = candidates[0]
    if not user.is_active or user.sso_identities.filter(issuer=issuer).exists():
        return None
    return user


def user_for_identity(*, issuer: str, subject: str, claims: dict[str, Any]) -> User:
    """The account signed in by this provider identity: the linked one, updated from the
    claims; or a new employee account on first sign-in. Never an account found only by its
    email: raises LinkRequired when a local account has the same email, SignInRefused when
    an account with that email is already another identity's."""
    identity = (
        Identity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    )
    if identity is not None:
        user = identity.user
        if not user.is_active:
            raise SignInRefused(
                _(
                    "Your account on this site has been deactivated. Please contact an administrator."
                )
            )
        with transaction.atomic():
            _apply_profile(user, claims)
            identity.claims, identity.last_login = claims, timezone.now()
            identity.save(update_fields=["claims", "last_login"])
        return user

    provisioned = _provisioned_account(issuer=issuer, subject=subject, claims=claims)
    if provisioned is not None:
        with transaction.atomic():
            Identity.objects.create(user=provisioned, issuer=issuer, subject=subject, claims=claims)
            _apply_profile(provisioned, claims)
        return provisioned

    email = claim(claims, "OIDC_CLAIM_EMAIL")
    if email:
        same_email = list(get_user_model().objects.filter(email__iexact=email).order_by("pk")[:2])
        if same_email:
            existing = same_email[0]
            if (
                len(same_email) > 1
                or existing.sso_identities.filter(issuer=issuer).exists()
                or not existing.has_usable_password()
                or not existing.is_active
            ):
                raise SignInRefused(
                    _(
                        "An account with the email address %(email)s already exists on this "
                        "site and cannot be linked to your %(provider)s sign-in automatically. "
                        "Please contact an administrator."
                    )
                    % {"email": email, "provider": provider_name()}
                )
            raise LinkRequired(existing)

    try:
        with transaction.atomic():
            user = get_user_model()(username=_free_username(claims), is_guest=False)
            user.set_unusable_password()
            user.save()
            _apply_profile(user, claims)
            Identity.objects.create(user=user, issuer=issuer, subject=subject, claims=claims)
    except IntegrityError:
        # Two first sign-ins of the same person at once: the other one created the account.
        return user_for_identity(issuer=issuer, subject=subject, claims=claims)
    return user


@transaction.atomic
def link_identity(*, user: User, issuer: str, subject: str, claims: dict[str, Any]) -> Identity:
    """Links a local account to a provider identity; the caller has confirmed the account's
    password. From now on the provider's claims keep the profile up to date."""
    identity = Identity.objects.create(user=user, issuer=issuer, subject=subject, claims=claims)
    _apply_profile(user, claims)
    return identity
