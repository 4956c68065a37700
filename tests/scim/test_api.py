"""SCIM 2.0 over HTTP (issue 13): a real HTTP client against the live server, shaped the way
Entra ID's and Okta's provisioning clients talk (their capitalised PATCH ops, "False" as a
string, lookups by userName before creating)."""

from __future__ import annotations

import json

import pytest
import requests
from django.test import Client
from django.urls import reverse

from digests.models import InboxItem
from groups.models import Group, Invitation
from people.models import Department, User
from scim import services as scim_services
from scim.models import Provisioned, Token
from scim.services import issue_token
from tests.factories import DepartmentFactory, UserFactory
from tests.groups.helpers import make_group

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "scim-test-token-0123456789"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.fixture
def server(plain_http_live_server, live_server):
    # Both names: pytest-django lets the live server's host in only for tests that ask for
    # `live_server`; the first starts it over plain HTTP.
    return live_server


@pytest.fixture
def scim(server, settings):
    settings.SCIM_BEARER_TOKEN = TOKEN
    session = requests.Session()
    session.headers.update(
        {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/scim+json"}
    )
    base = f"{server.url}/scim/v2"

    class Api:
        def __getattr__(self, method):
            def call(path, body=None, **kwargs):
                return session.request(method, base + path, json=body, timeout=10, **kwargs)

            return call

    return Api()


class _Answer:
    def __init__(self, response):
        self.status_code, self.headers = response.status_code, response.headers
        self.text = response.content.decode()

    def json(self):
        return json.loads(self.text)


@pytest.fixture
def scim_in_process(settings, client):
    """The same calls through Django's test client, for the many variants of one case (each
    over HTTP would need a live server's emptied database per test)."""
    settings.SCIM_BEARER_TOKEN = TOKEN

    class Api:
        def __getattr__(self, method):
            def call(path, body=None, data=None):
                return _Answer(
                    client.generic(
                        method.upper(),
                        f"/scim/v2{path}",
                        data if data is not None else json.dumps(body),
                        content_type="application/scim+json",
                        headers={"Authorization": f"Bearer {TOKEN}"},
                    )
                )

            return call

    return Api()


def ada(**extra):
    return {
        "schemas": [USER, ENTERPRISE],
        "userName": "ada.lovelace@acme.example",
        "externalId": "00aa-11bb",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "displayName": "Ada Lovelace",
        "title": "Analyst",
        "active": True,
        "emails": [{"value": "ada.lovelace@acme.example", "type": "work", "primary": True}],
        "addresses": [{"type": "work", "locality": "Utrecht"}],
        ENTERPRISE: {"department": "Engineering"},
        **extra,
    }


def test_discovery_documents(scim):
    config = scim.get("/ServiceProviderConfig").json()
    assert config["patch"]["supported"] is True
    assert config["filter"]["supported"] is True
    assert config["bulk"]["supported"] is False
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"

    types = scim.get("/ResourceTypes").json()
    assert {t["id"] for t in types["Resources"]} == {"User", "Group"}
    assert scim.get("/ResourceTypes/User").json()["endpoint"] == "/Users"

    schemas = scim.get("/Schemas").json()
    assert {s["id"] for s in schemas["Resources"]} == {
        USER,
        ENTERPRISE,
        "urn:ietf:params:scim:schemas:core:2.0:Group",
    }
    user_schema = scim.get(f"/Schemas/{USER}").json()
    assert "userName" in {a["name"] for a in user_schema["attributes"]}
    assert scim.get("/Schemas/urn:nothing").status_code == 404


def test_create_then_find_by_user_name_and_external_id(scim):
    # Entra ID first looks the person up, then creates them.
    empty = scim.get('/Users?filter=userName eq "ada.lovelace@acme.example"').json()
    assert empty["totalResults"] == 0 and empty["Resources"] == []

    created = scim.post("/Users", ada())
    assert created.status_code == 201, created.text
    assert created.headers["Content-Type"] == "application/scim+json"
    body = created.json()
    assert created.headers["Location"].endswith(f"/scim/v2/Users/{body['id']}")
    assert body["userName"] == "ada.lovelace@acme.example"
    assert body["externalId"] == "00aa-11bb"
    assert body["active"] is True
    assert body[ENTERPRISE]["department"] == "Engineering"

    user = User.objects.get(pk=body["id"])
    assert (user.username, user.first_name, user.last_name) == ("ada.lovelace", "Ada", "Lovelace")
    assert user.email == "ada.lovelace@acme.example"
    assert (user.department.name, user.location.name, user.title) == (
        "Engineering",
        "Utrecht",
        "Analyst",
    )
    assert not user.is_guest and not user.has_usable_password()

    by_name = scim.get('/Users?filter=userName eq "ADA.lovelace@acme.example"').json()
    assert [r["id"] for r in by_name["Resources"]] == [body["id"]]
    by_external = scim.get('/Users?filter=externalId eq "00aa-11bb"').json()
    assert [r["id"] for r in by_external["Resources"]] == [body["id"]]
    assert scim.get(f"/Users/{body['id']}").json()["displayName"] == "Ada Lovelace"


def test_a_second_create_with_the_same_user_name_is_a_conflict(scim):
    assert scim.post("/Users", ada()).status_code == 201
    again = scim.post("/Users", ada(externalId="other"))
    assert again.status_code == 409
    assert again.json()["scimType"] == "uniqueness"
    assert User.objects.filter(email__iexact="ada.lovelace@acme.example").count() == 1


def test_an_imported_employee_is_taken_over_not_duplicated(scim):
    existing = UserFactory(username="ada", email="Ada.Lovelace@acme.example")
    response = scim.post("/Users", ada())
    assert response.status_code == 201
    assert response.json()["id"] == str(existing.pk)
    existing.refresh_from_db()
    assert existing.username == "ada"  # their @name and links stay
    assert existing.department.name == "Engineering"


def test_a_guest_or_admin_with_that_email_is_not_taken_over(scim):
    UserFactory(username="boss", email="ada.lovelace@acme.example", is_staff=True)
    response = scim.post("/Users", ada())
    assert response.status_code == 409
    assert not Provisioned.objects.exists()


def test_entra_style_patch_updates_the_profile(scim):
    pk = scim.post("/Users", ada()).json()["id"]
    response = scim.patch(
        f"/Users/{pk}",
        {
            "schemas": [PATCH],
            "Operations": [
                {"op": "Replace", "path": "title", "value": "Lead analyst"},
                {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Research"},
                {
                    "op": "Replace",
                    "path": 'emails[type eq "work"].value',
                    "value": "ada@acme.example",
                },
                {"op": "Replace", "path": 'addresses[type eq "work"].locality', "value": "Gent"},
                {"op": "Add", "path": "name.givenName", "value": "Augusta Ada"},
                # Attributes this site does not keep are accepted and ignored.
                {"op": "Add", "path": 'phoneNumbers[type eq "work"].value', "value": "+31 30"},
                {"op": "Replace", "path": "preferredLanguage", "value": "nl-NL"},
            ],
        },
    )
    assert response.status_code == 200, response.text
    user = User.objects.get(pk=pk)
    assert user.title == "Lead analyst"
    assert user.department.name == "Research"
    assert user.email == "ada@acme.example"
    assert user.location.name == "Gent"
    assert user.first_name == "Augusta Ada"
    assert response.json()["title"] == "Lead analyst"


def test_okta_style_put_replaces_and_clears_what_is_missing(scim):
    pk = scim.post("/Users", ada()).json()["id"]
    body = ada(title="")
    del body["addresses"]
    response = scim.put(f"/Users/{pk}", body)
    assert response.status_code == 200, response.text
    user = User.objects.get(pk=pk)
    assert user.location is None and user.title == ""
    assert user.department.name == "Engineering"


def test_active_false_runs_the_lifecycle_and_true_brings_them_back(scim, server):
    pk = int(scim.post("/Users", ada()).json()["id"])
    person = User.objects.get(pk=pk)
    colleague = UserFactory(username="carl")
    group = make_group(person, Group.Kind.PRIVATE, name="Analysts")
    from groups import services as group_services

    group_services.invite(group=group, inviter=person, people=[colleague])
    admin = UserFactory(username="site.admin", is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(person)
    assert browser.get(reverse("home")).status_code == 200

    # Entra ID sends the boolean as a string with a capitalised op.
    response = scim.patch(
        f"/Users/{pk}",
        {"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False

    person.refresh_from_db()
    assert not person.is_active
    # Every session ended; the invitation they sent is withdrawn; the admins hear of the
    # group left without a manager; the account and the directory's record stay.
    refused = browser.get(reverse("home"))
    assert refused.status_code == 302 and reverse("login") in refused["Location"]
    assert group.invitations.get(invitee=colleague).status == Invitation.Status.REVOKED
    assert InboxItem.objects.filter(recipient=admin, kind=InboxItem.Kind.GROUP_UNMANAGED).exists()
    assert Provisioned.objects.filter(user_id=pk).exists()

    # Okta's way: an op without a path, a real boolean.
    back = scim.patch(
        f"/Users/{pk}",
        {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": True}}]},
    )
    assert back.status_code == 200 and back.json()["active"] is True
    person.refresh_from_db()
    assert person.is_active
    # The old session stays ended: coming back is a new sign-in.
    assert browser.get(reverse("home")).status_code == 302


def test_delete_deactivates_and_never_deletes(scim):
    pk = int(scim.post("/Users", ada()).json()["id"])
    assert scim.delete(f"/Users/{pk}").status_code == 204
    user = User.objects.get(pk=pk)
    assert not user.is_active
    assert scim.get(f"/Users/{pk}").status_code == 404


@pytest.mark.parametrize(
    "header",
    [None, "Bearer wrong-token", f"Basic {TOKEN}", "Bearer ", f"bearer {TOKEN}x"],
)
@pytest.mark.django_db
def test_a_bad_token_is_refused(client, settings, header):
    settings.SCIM_BEARER_TOKEN = TOKEN
    headers = {"Authorization": header} if header else {}
    response = client.get("/scim/v2/Users", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert json.loads(response.content)["schemas"] == [ERROR]
    created = client.post(
        "/scim/v2/Users", ada(), content_type="application/scim+json", headers=headers
    )
    assert created.status_code == 401
    assert not User.objects.filter(email="ada.lovelace@acme.example").exists()


def test_issued_tokens_work_until_revoked(scim, server, settings):
    settings.SCIM_BEARER_TOKEN = ""
    token, secret = issue_token(name="Entra ID", by=None)
    url = f"{server.url}/scim/v2/Users"
    ok = requests.get(url, headers={"Authorization": f"Bearer {secret}"}, timeout=10)
    assert ok.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.digest != secret  # only its digest is kept
    Token.objects.filter(pk=token.pk).update(revoked_at=token.last_used_at)
    assert (
        requests.get(url, headers={"Authorization": f"Bearer {secret}"}, timeout=10).status_code
        == 401
    )
    # With no token configured and none issued, nothing opens the door.
    refused = requests.get(url, headers={"Authorization": "Bearer "}, timeout=10)
    assert refused.status_code == 401
    assert refused.json()["schemas"] == [ERROR]
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("body", "scim_type"),
    [
        ("{not json", "invalidSyntax"),
        ("[1, 2]", "invalidSyntax"),
        ('{"name": {"givenName": "Ada"}}', "invalidValue"),  # no userName
        ('{"userName": 42}', "invalidValue"),
        ('{"userName": "x@acme.example", "active": "maybe"}', "invalidValue"),
        ('{"userName": "x@acme.example", "emails": [{"value": "not-an-email"}]}', "invalidValue"),
        ('{"userName": "x@acme.example", "emails": "x@acme.example"}', "invalidValue"),
        ('{"userName": "x@acme.example", "name": "X"}', "invalidValue"),
    ],
)
@pytest.mark.django_db
def test_a_malformed_create_is_a_400_and_saves_nothing(scim_in_process, body, scim_type):
    scim = scim_in_process
    before = User.objects.count()
    response = scim.post("/Users", data=body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["schemas"] == [ERROR] and error["status"] == "400"
    assert error["scimType"] == scim_type
    assert error["detail"]
    assert User.objects.count() == before
    assert not Department.objects.exists()


@pytest.mark.parametrize(
    ("operations", "scim_type"),
    [
        ("nope", "invalidSyntax"),
        ([{"op": "Frobnicate", "path": "title", "value": "x"}], "invalidSyntax"),
        ([{"op": "remove"}], "noTarget"),
        ([{"op": "replace", "path": "shoeSize", "value": "42"}], "invalidPath"),
        ([{"op": "replace", "path": "active", "value": "perhaps"}], "invalidValue"),
        (
            [
                {"op": "replace", "path": "title", "value": "Changed"},
                {"op": "replace", "path": "emails", "value": [{"value": "bad"}]},
            ],
            "invalidValue",
        ),
    ],
)
@pytest.mark.django_db
def test_a_malformed_patch_is_a_400_and_changes_nothing(scim_in_process, operations, scim_type):
    scim = scim_in_process
    pk = scim.post("/Users", ada()).json()["id"]
    response = scim.patch(f"/Users/{pk}", {"schemas": [PATCH], "Operations": operations})
    assert response.status_code == 400, response.text
    assert response.json()["scimType"] == scim_type
    user = User.objects.get(pk=pk)
    assert user.title == "Analyst" and user.email == "ada.lovelace@acme.example"
    assert user.is_active


def test_unsupported_filters_and_unknown_ids(scim):
    response = scim.get('/Users?filter=title co "Analyst"')
    assert response.status_code == 400 and response.json()["scimType"] == "invalidFilter"
    assert scim.get("/Users/999999").status_code == 404
    assert scim.get("/Users/not-a-number").status_code == 404
    assert scim.patch("/Users/999999", {"schemas": [PATCH], "Operations": []}).status_code == 404


def test_only_provisioned_accounts_are_listed_and_paged(scim):
    UserFactory(username="local.person")  # made here, not the directory's business
    for n in range(3):
        scim.post("/Users", ada(userName=f"p{n}@acme.example", externalId=f"x{n}", emails=[]))
    first = scim.get("/Users?startIndex=1&count=2").json()
    assert first["totalResults"] == 3
    assert first["itemsPerPage"] == 2 and first["startIndex"] == 1
    second = scim.get("/Users?startIndex=3&count=2").json()
    assert [r["userName"] for r in second["Resources"]] == ["p2@acme.example"]
    names = {r["userName"] for r in first["Resources"] + second["Resources"]}
    assert "local.person" not in names


def test_groups_are_departments_and_never_enrol_anyone_in_a_group(scim):
    ada_id = scim.post("/Users", ada()).json()["id"]
    created = scim.post(
        "/Groups",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Finance",
            "members": [{"value": ada_id}],
        },
    )
    assert created.status_code == 201, created.text
    group_id = created.json()["id"]
    assert User.objects.get(pk=ada_id).department.name == "Finance"
    assert not Group.objects.exists()  # no network group was made or joined

    found = scim.get('/Groups?filter=displayName eq "Finance"&excludedAttributes=members').json()
    assert [g["id"] for g in found["Resources"]] == [group_id]
    assert "members" not in found["Resources"][0]

    removed = scim.patch(
        f"/Groups/{group_id}",
        {
            "schemas": [PATCH],
            "Operations": [{"op": "Remove", "path": f'members[value eq "{ada_id}"]'}],
        },
    )
    assert removed.status_code == 200
    assert User.objects.get(pk=ada_id).department is None

    renamed = scim.patch(
        f"/Groups/{group_id}",
        {
            "schemas": [PATCH],
            "Operations": [
                {"op": "Replace", "value": {"id": group_id, "displayName": "Finance & Risk"}},
                {"op": "Add", "path": "members", "value": [{"value": ada_id}]},
            ],
        },
    )
    assert renamed.status_code == 200
    assert renamed.json()["displayName"] == "Finance & Risk"
    assert User.objects.get(pk=ada_id).department.name == "Finance & Risk"

    # A local employee is not the directory's to move.
    local = UserFactory(username="local.person")
    scim.patch(
        f"/Groups/{group_id}",
        {
            "schemas": [PATCH],
            "Operations": [{"op": "Add", "path": "members", "value": [{"value": str(local.pk)}]}],
        },
    )
    local.refresh_from_db()
    assert local.department is None


@pytest.mark.django_db
def test_listing_groups_reads_their_members_in_one_query(
    scim_in_process, django_assert_num_queries
):
    for n in range(5):
        department = DepartmentFactory(name=f"Department {n}")
        for m in range(3):
            user, _created = scim_services.create(
                scim_services.read_user(
                    {"userName": f"p{n}{m}@acme.example", "name": {"givenName": "P"}}
                )
            )
            user.department = department
            user.save(update_fields=["department"])
    # The count, the page of groups, their members (SCIM_BEARER_TOKEN needs no query).
    with django_assert_num_queries(3):
        listed = scim_in_process.get("/Groups").json()
    assert listed["totalResults"] == 5
    assert all(len(group["members"]) == 3 for group in listed["Resources"])
