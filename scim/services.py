"""Provisioning over SCIM 2.0 (RFC 7643/7644): the directory (Entra ID, Okta, Keycloak)
creates, updates and deactivates employees' accounts here.

A request's body is read into `Changes` (our fields, already checked) before anything is
saved, so a malformed request changes nothing. Deactivation (`active: false`, or DELETE)
runs the one lifecycle service, people.services.deactivate_person; nothing is ever deleted.
SCIM groups are departments (scim.departments)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from esn.text import clean_name
from people.models import Department, Location, User
from people.services import deactivate_person, free_username, reactivate_person
from scim.models import Provisioned, Token
from scim.schema import ENTERPRISE_USER

# --- errors -------------------------------------------------------------------------------


class ScimError(Exception):
    """Answered as a SCIM error document (RFC 7644 3.12) with this status and scimType."""

    def __init__(self, status: int, detail: str, scim_type: str = "") -> None:
        super().__init__(detail)
        self.status, self.detail, self.scim_type = status, detail, scim_type


def bad_request(detail: str, scim_type: str = "invalidValue") -> ScimError:
    return ScimError(400, detail, scim_type)


# --- tokens -------------------------------------------------------------------------------

TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(*, name: str, by: User | None) -> tuple[Token, str]:
    """A new bearer token: the row, and the token itself (shown once, never stored)."""
    secret = secrets.token_urlsafe(32)
    return Token.objects.create(name=name, digest=digest(secret), created_by=by), secret


def token_is_valid(presented: str) -> bool:
    """SCIM_BEARER_TOKEN compared in constant time; issued tokens found by their SHA-256 (a
    lookup by digest tells an attacker nothing about the token)."""
    if not presented:
        return False
    configured = settings.SCIM_BEARER_TOKEN
    if configured and hmac.compare_digest(presented.encode(), configured.encode()):
        return True
    token = Token.objects.filter(digest=digest(presented), revoked_at__isnull=True).first()
    if token is None:
        return False
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - TOKEN_TOUCH_INTERVAL:
        Token.objects.filter(pk=token.pk).update(last_used_at=now)
    return True


# --- reading a User body ------------------------------------------------------------------

# Our fields, as read from SCIM attributes. None in Changes means "clear it".
FIELDS = (
    "user_name",
    "external_id",
    "first_name",
    "last_name",
    "display_name",
    "email",
    "title",
    "department",
    "location",
    "active",
)
_LIMITS = {
    "user_name": 255,
    "external_id": 255,
    "email": 254,
    "first_name": 150,
    "last_name": 150,
    "display_name": 300,
    "title": 120,
    "department": 100,
    "location": 100,
}
# Attributes of the SCIM core and enterprise schemas this site does not keep: accepted and
# left alone, so a directory's default attribute mapping works unchanged.
_IGNORED = {
    "nickname",
    "profileurl",
    "usertype",
    "preferredlanguage",
    "locale",
    "timezone",
    "password",
    "phonenumbers",
    "ims",
    "photos",
    "entitlements",
    "roles",
    "x509certificates",
    "groups",
    "employeenumber",
    "costcenter",
    "organization",
    "division",
    "manager",
    "name.formatted",
    "name.middlename",
    "name.honorificprefix",
    "name.honorificsuffix",
    "schemas",
    "id",
    "meta",
}


@dataclass
class Changes:
    values: dict[str, Any] = field(default_factory=dict)

    def set(self, name: str, value: Any) -> None:
        if name == "active":
            self.values[name] = _boolean(value)
            return
        if value is not None and not isinstance(value, str):
            raise bad_request(f"{_scim_name(name)} must be a string.")
        text = (value or "").strip()
        if name in {"first_name", "last_name", "display_name", "title", "department", "location"}:
            text = clean_name(text)
        self.values[name] = text[: _LIMITS[name]]


def _scim_name(name: str) -> str:
    return {
        "user_name": "userName",
        "external_id": "externalId",
        "first_name": "name.givenName",
        "last_name": "name.familyName",
        "display_name": "displayName",
        "email": "emails",
    }.get(name, name)


def _boolean(value: Any) -> bool:
    # Entra ID sends "True" / "False" as strings in PATCH operations.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise bad_request("active must be true or false.")


def _work_entry(entries: Any, what: str) -> dict[str, Any] | None:
    """The entry a person is reached at, from a multi-valued attribute: the primary one,
    else the work one, else the first."""
    if entries is None:
        return None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise bad_request(f"{what} must be a list of objects.")
    primary = [e for e in entries if e.get("primary") in (True, "true", "True")]
    work = [e for e in entries if str(e.get("type", "")).lower() == "work"]
    return (primary or work or entries or [None])[0]


def read_user(body: Any) -> Changes:
    """The fields a full User resource (POST, PUT) sets; absent ones are cleared."""
    if not isinstance(body, dict):
        raise bad_request("The body must be a JSON object.", "invalidSyntax")
    changes = Changes()
    changes.set("user_name", body.get("userName"))
    if not changes.values["user_name"]:
        raise bad_request("userName is required.")
    changes.set("external_id", body.get("externalId"))
    name = body.get("name") or {}
    if not isinstance(name, dict):
        raise bad_request("name must be an object.")
    changes.set("first_name", name.get("givenName"))
    changes.set("last_name", name.get("familyName"))
    changes.set("display_name", body.get("displayName"))
    changes.set("title", body.get("title"))
    email = _work_entry(body.get("emails"), "emails")
    changes.set("email", email.get("value") if email else None)
    address = _work_entry(body.get("addresses"), "addresses")
    changes.set(
        "location", (address.get("locality") or address.get("formatted")) if address else None
    )
    enterprise = body.get(ENTERPRISE_USER) or {}
    if not isinstance(enterprise, dict):
        raise bad_request(f"{ENTERPRISE_USER} must be an object.")
    changes.set("department", enterprise.get("department"))
    if "active" in body:
        changes.set("active", body["active"])
    return changes


_FILTERED_PATH = re.compile(
    r'^(?P<attr>emails|addresses)\[type eq "(?P<type>[^"]*)"\](?:\.(?P<sub>\w+))?$', re.I
)


def _field_for_path(path: str) -> str | None:
    """Our field for a PATCH path, None for an attribute this site does not keep; an
    attribute outside the User schemas is an invalidPath error."""
    lowered = path.strip().lower()
    enterprise = ENTERPRISE_USER.lower() + ":"
    if lowered.startswith(enterprise):
        lowered = lowered[len(enterprise) :]
        return "department" if lowered == "department" else None
    if lowered.startswith("urn:ietf:params:scim:schemas:core:2.0:user:"):
        lowered = lowered[len("urn:ietf:params:scim:schemas:core:2.0:user:") :]
    simple = {
        "username": "user_name",
        "externalid": "external_id",
        "name.givenname": "first_name",
        "name.familyname": "last_name",
        "displayname": "display_name",
        "title": "title",
        "active": "active",
    }
    if lowered in simple:
        return simple[lowered]
    match = _FILTERED_PATH.match(path.strip())
    if match:
        attr, type_, sub = (
            match["attr"].lower(),
            match["type"].lower(),
            (match["sub"] or "").lower(),
        )
        if type_ != "work":
            return None
        if attr == "emails" and sub in {"", "value"}:
            return "email"
        if attr == "addresses" and sub in {"locality", "formatted"}:
            return "location"
        return None
    if lowered in _IGNORED or lowered.split(".")[0].split("[")[0] in _IGNORED:
        return None
    if lowered in {"emails", "addresses", "name"}:
        return lowered  # a whole complex value: unpacked by the caller
    raise bad_request(f"No attribute {path!r} in the User schema.", "invalidPath")


def _apply_value(changes: Changes, path: str, value: Any, *, remove: bool = False) -> None:
    target = _field_for_path(path)
    if target is None:
        return
    if target == "emails":
        entry = None if remove else _work_entry(value if isinstance(value, list) else [value], path)
        changes.set("email", entry.get("value") if entry else None)
    elif target == "addresses":
        entry = None if remove else _work_entry(value if isinstance(value, list) else [value], path)
        changes.set(
            "location", (entry.get("locality") or entry.get("formatted")) if entry else None
        )
    elif target == "name":
        if remove:
            changes.set("first_name", None)
            changes.set("last_name", None)
        elif not isinstance(value, dict):
            raise bad_request("name must be an object.")
        else:
            if "givenName" in value:
                changes.set("first_name", value["givenName"])
            if "familyName" in value:
                changes.set("last_name", value["familyName"])
    elif remove:
        if target in {"user_name", "active"}:
            raise bad_request(f"{path} cannot be removed.", "mutability")
        changes.set(target, None)
    else:
        changes.set(target, value)


def read_patch(body: Any) -> Changes:
    """The fields a PatchOp request (RFC 7644 3.5.2) changes; the others stay."""
    if not isinstance(body, dict) or not isinstance(body.get("Operations"), list):
        raise bad_request("A PatchOp body with a list of Operations is expected.", "invalidSyntax")
    changes = Changes()
    for operation in body["Operations"]:
        if not isinstance(operation, dict):
            raise bad_request("Each operation must be an object.", "invalidSyntax")
        op = str(operation.get("op", "")).lower()  # Entra ID writes "Replace", "Add"
        path, value = operation.get("path"), operation.get("value")
        if op not in {"add", "replace", "remove"}:
            raise bad_request(f"Unknown operation {operation.get('op')!r}.", "invalidSyntax")
        if path is not None and not isinstance(path, str):
            raise bad_request("path must be a string.", "invalidPath")
        if op == "remove":
            if not path:
                raise bad_request("A remove operation needs a path.", "noTarget")
            _apply_value(changes, path, None, remove=True)
        elif path:
            _apply_value(changes, path, value)
        elif isinstance(value, dict):
            # No path: the value holds attributes, by name or by full path (Okta and Entra
            # both send {"active": false}; Entra also "name.givenName" keys).
            for key, item in value.items():
                if key == ENTERPRISE_USER and isinstance(item, dict):
                    for sub, sub_value in item.items():
                        _apply_value(changes, f"{ENTERPRISE_USER}:{sub}", sub_value)
                else:
                    _apply_value(changes, key, item)
        else:
            raise bad_request("An operation without a path needs an object value.", "invalidValue")
    if changes.values.get("user_name", "x") == "":
        raise bad_request("userName cannot be empty.")
    return changes


# --- saving -------------------------------------------------------------------------------


def provisioned_people() -> QuerySet[User]:
    return (
        User.objects.filter(provisioning__isnull=False)
        .select_related("provisioning", "department", "location")
        .order_by("pk")
    )


def find(pk: str) -> User:
    if not pk.isdigit():
        raise ScimError(404, f"No user {pk}.")
    user = provisioned_people().filter(pk=int(pk)).first()
    if user is None:
        raise ScimError(404, f"No user {pk}.")
    return user


_FILTER = re.compile(
    r'^\s*(?P<attr>userName|externalId|id)\s+eq\s+"(?P<value>(?:[^"\\]|\\.)*)"\s*$', re.I
)


def filtered(expression: str) -> QuerySet[User]:
    """The accounts a filter names. Directories look people up by `userName eq "..."` or
    `externalId eq "..."` before creating them; other filters are refused."""
    people = provisioned_people()
    if not expression:
        return people
    match = _FILTER.match(expression)
    if not match:
        raise bad_request(
            'Only userName eq "…", externalId eq "…" and id eq "…" filters are supported.',
            "invalidFilter",
        )
    value = json.loads(f'"{match["value"]}"')
    attr = match["attr"].lower()
    if attr == "username":
        # lower() = lower(): the unique index on lower(user_name) answers it.
        return people.annotate(name_key=Lower("provisioning__user_name")).filter(
            name_key=value.lower()
        )
    if attr == "externalid":
        return people.filter(provisioning__external_id=value)
    return people.filter(pk=int(value)) if value.isdigit() else people.none()


def _check(changes: Changes, user: User | None) -> None:
    values = changes.values
    if values.get("email"):
        try:
            validate_email(values["email"])
        except ValidationError:
            raise bad_request(f"{values['email']!r} is not an email address.") from None
    if "user_name" in values:
        clash = Provisioned.objects.annotate(name_key=Lower("user_name")).filter(
            name_key=values["user_name"].lower()
        )
        if user is not None:
            clash = clash.exclude(user=user)
        if clash.exists():
            raise ScimError(409, f"userName {values['user_name']!r} is taken.", "uniqueness")


def _names(values: dict[str, Any], user: User | None) -> tuple[str, str]:
    first = values.get("first_name", user.first_name if user else "")
    last = values.get("last_name", user.last_name if user else "")
    if not first and not last and values.get("display_name"):
        first, _sep, last = values["display_name"].partition(" ")
    if not first and not last:
        first = values.get("user_name", user.username if user else "").partition("@")[0]
    return clean_name(first or "")[:150], clean_name(last or "")[:150]


def _named(model: type[Department] | type[Location], name: str | None) -> Any:
    if not name:
        return None
    found = model.objects.filter(name__iexact=name).first()
    return found or model.objects.get_or_create(name=name)[0]


def _save(user: User, changes: Changes, *, full: bool) -> None:
    values = changes.values
    user.first_name, user.last_name = _names(values, None if full else user)
    if "email" in values or full:
        email = values.get("email") or ""
        if not email and "@" in values.get("user_name", ""):
            email = values["user_name"]
        user.email = email if email else user.email
    for name in ("title",):
        if name in values or full:
            setattr(user, name, values.get(name) or "")
    if "department" in values or full:
        user.department = _named(Department, values.get("department"))
    if "location" in values or full:
        user.location = _named(Location, values.get("location"))
    user.save()
    provisioning = user.provisioning
    if "user_name" in values:
        provisioning.user_name = values["user_name"]
    if "external_id" in values or full:
        provisioning.external_id = values.get("external_id") or ""
    provisioning.save()
    if "active" in values:
        if values["active"]:
            reactivate_person(person=user)
        else:
            deactivate_person(person=user)


def create(changes: Changes) -> tuple[User, bool]:
    """A new employee account, or an existing unmanaged employee account with the same email
    taken under the directory's management (people imported before SCIM was switched on).
    Returns (user, created)."""
    values = changes.values
    try:
        with transaction.atomic():
            _check(changes, None)
            email = values.get("email") or (
                values["user_name"] if "@" in values["user_name"] else ""
            )
            existing = (
                User.objects.filter(email__iexact=email, provisioning__isnull=True).first()
                if email
                else None
            )
            if existing is not None and (
                existing.is_guest or existing.is_staff or existing.is_service_account
            ):
                raise ScimError(
                    409,
                    f"{email} belongs to a guest, administrator or service account here, "
                    "which the directory does not manage.",
                    "uniqueness",
                )
            user = existing or User(
                username=free_username(values["user_name"].partition("@")[0]), is_guest=False
            )
            if existing is None:
                user.set_unusable_password()
            user.save()
            Provisioned.objects.create(user=user, user_name=values["user_name"])
            _save(user, changes, full=True)
    except IntegrityError:
        raise ScimError(409, f"userName {values['user_name']!r} is taken.", "uniqueness") from None
    return user, existing is None


@transaction.atomic
def replace(user: User, changes: Changes) -> User:
    _check(changes, user)
    _save(user, changes, full=True)
    return user


@transaction.atomic
def patch(user: User, changes: Changes) -> User:
    _check(changes, user)
    _save(user, changes, full=False)
    return user


def deactivate(user: User) -> None:
    """DELETE: the directory no longer has this person. They leave (the lifecycle), their
    account and content stay, and the directory stops seeing them."""
    with transaction.atomic():
        deactivate_person(person=user)
        Provisioned.objects.filter(user=user).delete()
