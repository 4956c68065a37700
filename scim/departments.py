"""SCIM groups are departments here: a group's members are the provisioned people in that
department, and membership sets a person's department. It never enrols anyone in a group of
the network: those are joined by choice."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet

from esn.text import clean_name
from people.models import Department, User
from scim.services import ScimError, bad_request


def departments() -> QuerySet[Department]:
    """Departments with their provisioned members (`scim_members`) in one more query for a
    whole page of them: Entra ID lists groups with their members."""
    members = (
        User.objects.filter(provisioning__isnull=False)
        .order_by("pk")
        .only("pk", "first_name", "last_name", "department_id")
    )
    return Department.objects.order_by("pk").prefetch_related(
        Prefetch("people", queryset=members, to_attr="scim_members")
    )


def find_department(pk: str) -> Department:
    department = departments().filter(pk=int(pk)).first() if pk.isdigit() else None
    if department is None:
        raise ScimError(404, f"No group {pk}.")
    return department


_GROUP_FILTER = re.compile(r'^\s*displayName\s+eq\s+"(?P<value>(?:[^"\\]|\\.)*)"\s*$', re.I)


def filtered_departments(expression: str) -> QuerySet[Department]:
    if not expression:
        return departments()
    match = _GROUP_FILTER.match(expression)
    if not match:
        raise bad_request('Only displayName eq "…" filters are supported.', "invalidFilter")
    return departments().filter(name__iexact=json.loads(f'"{match["value"]}"'))


def _member_ids(value: Any) -> list[int]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    ids = []
    for item in items:
        member = item.get("value") if isinstance(item, dict) else None
        if not isinstance(member, str) or not member.isdigit():
            raise bad_request('members must be a list of {"value": "<user id>"}.')
        ids.append(int(member))
    return ids


def _group_name(value: Any) -> str:
    name = clean_name(value if isinstance(value, str) else "")[:100]
    if not name:
        raise bad_request("displayName is required.")
    return name


@transaction.atomic
def create_department(body: Any) -> Department:
    if not isinstance(body, dict):
        raise bad_request("The body must be a JSON object.", "invalidSyntax")
    name = _group_name(body.get("displayName"))
    members = _member_ids(body.get("members"))
    if Department.objects.filter(name__iexact=name).exists():
        raise ScimError(409, f"A department {name!r} exists.", "uniqueness")
    department = Department.objects.create(name=name)
    _set_members(department, add=members)
    return department


def _set_members(
    department: Department,
    *,
    add: Sequence[int] = (),
    remove: Sequence[int] = (),
    exactly: Sequence[int] | None = None,
) -> None:
    # Only accounts the directory manages: it cannot move people this site manages itself.
    people = User.objects.filter(provisioning__isnull=False)
    if exactly is not None:
        people.filter(department=department).exclude(pk__in=exactly).update(department=None)
        add = exactly
    if add:
        people.filter(pk__in=add).update(department=department)
    if remove:
        people.filter(pk__in=remove, department=department).update(department=None)


@transaction.atomic
def patch_department(department: Department, body: Any) -> Department:
    if not isinstance(body, dict) or not isinstance(body.get("Operations"), list):
        raise bad_request("A PatchOp body with a list of Operations is expected.", "invalidSyntax")
    for operation in body["Operations"]:
        if not isinstance(operation, dict):
            raise bad_request("Each operation must be an object.", "invalidSyntax")
        op = str(operation.get("op", "")).lower()
        path = str(operation.get("path") or "")
        value = operation.get("value")
        member = re.match(r'^members\[value eq "(\d+)"\]$', path, re.I)
        if op == "remove" and member:
            _set_members(department, remove=[int(member[1])])
        elif path.lower() == "members":
            if op == "add":
                _set_members(department, add=_member_ids(value))
            elif op == "remove":
                ids = _member_ids(value)
                if ids:
                    _set_members(department, remove=ids)
                else:
                    _set_members(department, exactly=[])
            elif op == "replace":
                _set_members(department, exactly=_member_ids(value))
            else:
                raise bad_request(f"Unknown operation {operation.get('op')!r}.", "invalidSyntax")
        elif op in {"replace", "add"} and (
            path.lower() == "displayname"
            or (not path and isinstance(value, dict) and "displayName" in value)
        ):
            name = _group_name(value.get("displayName") if isinstance(value, dict) else value)
            if Department.objects.filter(name__iexact=name).exclude(pk=department.pk).exists():
                raise ScimError(409, f"A department {name!r} exists.", "uniqueness")
            department.name = name
            department.save(update_fields=["name"])
        elif path.lower() in {"externalid", "id"} or (not path and op in {"add", "replace"}):
            continue
        else:
            raise bad_request(f"Cannot {op} {path or 'that'} on a group.", "invalidPath")
    return department


@transaction.atomic
def replace_department(department: Department, body: Any) -> Department:
    if not isinstance(body, dict):
        raise bad_request("The body must be a JSON object.", "invalidSyntax")
    name = _group_name(body.get("displayName"))
    members = _member_ids(body.get("members"))
    if Department.objects.filter(name__iexact=name).exclude(pk=department.pk).exists():
        raise ScimError(409, f"A department {name!r} exists.", "uniqueness")
    department.name = name
    department.save(update_fields=["name"])
    _set_members(department, exactly=members)
    return department


@transaction.atomic
def delete_department(department: Department) -> None:
    """The directory dropped the group: its provisioned members have no department any
    more; the department stays for the people this site manages itself, if any."""
    User.objects.filter(department=department, provisioning__isnull=False).update(department=None)
    if not department.people.exists():
        department.delete()
