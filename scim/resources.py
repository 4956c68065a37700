"""How accounts and departments look to a SCIM client (RFC 7643 4.1, 4.2)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from people.models import Department, User
from scim.schema import CORE_GROUP, CORE_USER, ENTERPRISE_USER, LIST_RESPONSE


def _meta(kind: str, location: str, created: Any, modified: Any) -> dict[str, Any]:
    meta = {"resourceType": kind, "location": location}
    if created:
        meta["created"] = created.isoformat()
    if modified:
        meta["lastModified"] = modified.isoformat()
    return meta


def user(person: User, base: str) -> dict[str, Any]:
    provisioning = person.provisioning
    resource: dict[str, Any] = {
        "schemas": [CORE_USER, ENTERPRISE_USER],
        "id": str(person.pk),
        "externalId": provisioning.external_id or None,
        "userName": provisioning.user_name,
        "name": {
            "givenName": person.first_name,
            "familyName": person.last_name,
            "formatted": person.get_full_name(),
        },
        "displayName": person.display_name,
        "title": person.title,
        "active": person.is_active,
        "emails": [{"value": person.email, "type": "work", "primary": True}]
        if person.email
        else [],
        "addresses": [{"type": "work", "locality": person.location.name, "primary": True}]
        if person.location
        else [],
        "groups": [{"value": str(person.department.pk), "display": person.department.name}]
        if person.department
        else [],
        ENTERPRISE_USER: {"department": person.department.name if person.department else ""},
        "meta": _meta("User", f"{base}/Users/{person.pk}", person.date_joined, person.updated_at),
    }
    if resource["externalId"] is None:
        del resource["externalId"]
    return resource


def group(department: Department, base: str, *, members: bool = True) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "schemas": [CORE_GROUP],
        "id": str(department.pk),
        "displayName": department.name,
        "meta": _meta("Group", f"{base}/Groups/{department.pk}", None, None),
    }
    if members:
        # Prefetched: scim.departments.departments().
        resource["members"] = [
            {"value": str(p.pk), "display": " ".join(n for n in (p.first_name, p.last_name) if n)}
            for p in department.scim_members  # type: ignore[attr-defined]
        ]
    return resource


def page(items: list[dict[str, Any]], total: int, start: int) -> dict[str, Any]:
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": len(items),
        "Resources": items,
    }


def window(queryset: QuerySet[Any], start: int, count: int) -> list[Any]:
    return list(queryset[start - 1 : start - 1 + count])
