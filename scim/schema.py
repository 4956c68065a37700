"""The SCIM 2.0 documents that describe this service (RFC 7643 sections 5-7, RFC 7644 4):
what a client may ask and which attributes a User and a Group have here. Plain data: the
views add each resource's `meta.location`."""

from __future__ import annotations

from typing import Any

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SERVICE_PROVIDER_CONFIG = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"

MAX_RESULTS = 200


def _attribute(
    name: str,
    type_: str = "string",
    *,
    required: bool = False,
    multi: bool = False,
    uniqueness: str = "none",
    mutability: str = "readWrite",
    returned: str = "default",
    sub: list[dict[str, Any]] | None = None,
    description: str = "",
) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "name": name,
        "type": type_,
        "multiValued": multi,
        "description": description,
        "required": required,
        "caseExact": False,
        "mutability": mutability,
        "returned": returned,
        "uniqueness": uniqueness,
    }
    if sub:
        attribute["subAttributes"] = sub
    return attribute


USER_SCHEMA: dict[str, Any] = {
    "id": CORE_USER,
    "name": "User",
    "description": "A colleague's account. Deactivated (active: false), never deleted.",
    "attributes": [
        _attribute("userName", required=True, uniqueness="server"),
        _attribute(
            "name",
            "complex",
            sub=[
                _attribute("givenName"),
                _attribute("familyName"),
                _attribute("formatted"),
            ],
        ),
        _attribute("displayName"),
        _attribute("title"),
        _attribute("active", "boolean"),
        _attribute(
            "emails",
            "complex",
            multi=True,
            sub=[_attribute("value"), _attribute("type"), _attribute("primary", "boolean")],
        ),
        _attribute(
            "addresses",
            "complex",
            multi=True,
            description="The work address's locality (or formatted) is the person's location.",
            sub=[_attribute("type"), _attribute("locality"), _attribute("formatted")],
        ),
        _attribute(
            "groups",
            "complex",
            multi=True,
            mutability="readOnly",
            sub=[_attribute("value"), _attribute("display")],
        ),
    ],
}

ENTERPRISE_SCHEMA: dict[str, Any] = {
    "id": ENTERPRISE_USER,
    "name": "EnterpriseUser",
    "description": "The department is the person's department here.",
    "attributes": [_attribute("department")],
}

GROUP_SCHEMA: dict[str, Any] = {
    "id": CORE_GROUP,
    "name": "Group",
    "description": (
        "A department. Membership sets a person's department; it never enrols anyone in a "
        "group of this network (those are joined by choice)."
    ),
    "attributes": [
        _attribute("displayName", required=True, uniqueness="server"),
        _attribute(
            "members",
            "complex",
            multi=True,
            sub=[_attribute("value"), _attribute("display")],
        ),
    ],
}

SCHEMAS: list[dict[str, Any]] = [USER_SCHEMA, ENTERPRISE_SCHEMA, GROUP_SCHEMA]

RESOURCE_TYPES: list[dict[str, Any]] = [
    {
        "schemas": [RESOURCE_TYPE],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "schema": CORE_USER,
        "schemaExtensions": [{"schema": ENTERPRISE_USER, "required": False}],
    },
    {
        "schemas": [RESOURCE_TYPE],
        "id": "Group",
        "name": "Group",
        "endpoint": "/Groups",
        "schema": CORE_GROUP,
    },
]

SERVICE_PROVIDER: dict[str, Any] = {
    "schemas": [SERVICE_PROVIDER_CONFIG],
    "patch": {"supported": True},
    "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
    "filter": {"supported": True, "maxResults": MAX_RESULTS},
    "changePassword": {"supported": False},
    "sort": {"supported": False},
    "etag": {"supported": False},
    "authenticationSchemes": [
        {
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "SCIM_BEARER_TOKEN, or a token issued in the site's admin.",
            "primary": True,
        }
    ],
}
