"""/scim/v2/: the SCIM 2.0 endpoints. Every request carries a bearer token; bodies are JSON
(application/scim+json); every error is a SCIM error document. The work is in
scim.services; these views read requests and write responses."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from scim import departments, resources, schema, services
from scim.services import ScimError

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/scim+json"


def _json(data: Any, status: int = 200, location: str = "") -> HttpResponse:
    response = HttpResponse(json.dumps(data), status=status, content_type=CONTENT_TYPE)
    if location:
        response["Location"] = location
    return response


def _error(error: ScimError) -> HttpResponse:
    body = {"schemas": [schema.ERROR], "status": str(error.status), "detail": error.detail}
    if error.scim_type:
        body["scimType"] = error.scim_type
    response = _json(body, error.status)
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="scim"'
    return response


def _body(request: HttpRequest) -> Any:
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise services.bad_request("The body is not JSON.", "invalidSyntax") from None


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/scim/v2").rstrip("/")


def _paging(request: HttpRequest) -> tuple[int, int]:
    try:
        start = max(int(request.GET.get("startIndex", 1)), 1)
        count = min(max(int(request.GET.get("count", 100)), 0), schema.MAX_RESULTS)
    except ValueError:
        raise services.bad_request("startIndex and count must be numbers.") from None
    return start, count


def scim_endpoint(methods: set[str]) -> Callable[..., Any]:
    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
            try:
                if scheme.lower() != "bearer" or not services.token_is_valid(token.strip()):
                    raise ScimError(401, "A valid bearer token is required.")
                if request.method not in methods:
                    raise ScimError(405, f"{request.method} is not supported here.")
                return view(request, *args, **kwargs)
            except ScimError as error:
                if error.status >= 400 and error.status != 401:
                    logger.info("SCIM %s %s: %s", request.method, request.path, error.detail)
                return _error(error)

        return wrapped

    return decorate


@scim_endpoint({"GET"})
def service_provider_config(request: HttpRequest) -> HttpResponse:
    return _json({**schema.SERVICE_PROVIDER, "meta": {"resourceType": "ServiceProviderConfig"}})


def _described(
    request: HttpRequest, documents: list[dict[str, Any]], kind: str, path: str, wanted: str
) -> HttpResponse:
    """The discovery documents of one kind, each with its `meta`; one of them by id, or all
    as a list."""
    described = [
        {
            **document,
            "meta": {"resourceType": kind, "location": f"{_base(request)}/{path}/{document['id']}"},
        }
        for document in documents
    ]
    if wanted:
        for document in described:
            if document["id"] == wanted:
                return _json(document)
        raise ScimError(404, f"No {kind} {wanted}.")
    return _json(resources.page(described, len(described), 1))


@scim_endpoint({"GET"})
def schemas(request: HttpRequest, schema_id: str = "") -> HttpResponse:
    documents = [{**document, "schemas": [schema.SCHEMA]} for document in schema.SCHEMAS]
    return _described(request, documents, "Schema", "Schemas", schema_id)


@scim_endpoint({"GET"})
def resource_types(request: HttpRequest, type_id: str = "") -> HttpResponse:
    return _described(request, schema.RESOURCE_TYPES, "ResourceType", "ResourceTypes", type_id)


@scim_endpoint({"GET", "POST"})
def users(request: HttpRequest) -> HttpResponse:
    base = _base(request)
    if request.method == "POST":
        user, _created = services.create(services.read_user(_body(request)))
        user = services.find(str(user.pk))
        location = f"{base}/Users/{user.pk}"
        return _json(resources.user(user, base), 201, location)
    start, count = _paging(request)
    people = services.filtered(request.GET.get("filter", ""))
    total = people.count()
    items = [resources.user(p, base) for p in resources.window(people, start, count)]
    return _json(resources.page(items, total, start))


@scim_endpoint({"GET", "PUT", "PATCH", "DELETE"})
def user(request: HttpRequest, pk: str) -> HttpResponse:
    base = _base(request)
    person = services.find(pk)
    if request.method == "DELETE":
        services.deactivate(person)
        return HttpResponse(status=204)
    if request.method == "PUT":
        services.replace(person, services.read_user(_body(request)))
    elif request.method == "PATCH":
        services.patch(person, services.read_patch(_body(request)))
    return _json(resources.user(services.find(pk), base))


def _with_members(request: HttpRequest) -> bool:
    excluded = request.GET.get("excludedAttributes", "")
    return "members" not in {a.strip().lower() for a in excluded.split(",")}


@scim_endpoint({"GET", "POST"})
def groups(request: HttpRequest) -> HttpResponse:
    base = _base(request)
    if request.method == "POST":
        created = departments.create_department(_body(request))
        department = departments.find_department(str(created.pk))
        return _json(resources.group(department, base), 201, f"{base}/Groups/{department.pk}")
    start, count = _paging(request)
    found = departments.filtered_departments(request.GET.get("filter", ""))
    members = _with_members(request)
    items = [
        resources.group(d, base, members=members) for d in resources.window(found, start, count)
    ]
    return _json(resources.page(items, found.count(), start))


@scim_endpoint({"GET", "PUT", "PATCH", "DELETE"})
def group(request: HttpRequest, pk: str) -> HttpResponse:
    base = _base(request)
    department = departments.find_department(pk)
    if request.method == "DELETE":
        departments.delete_department(department)
        return HttpResponse(status=204)
    if request.method in ("PUT", "PATCH"):
        if request.method == "PUT":
            departments.replace_department(department, _body(request))
        else:
            departments.patch_department(department, _body(request))
        # Entra ID accepts 204 or the group; the group, read again, shows the result.
        department = departments.find_department(pk)
    return _json(resources.group(department, base, members=_with_members(request)))
