from __future__ import annotations

import json

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.messages import get_messages

from people.models import User
from sso.models import Identity
from sso.session import RECHECK_AT_KEY
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ADA = {
    "email": "ada.lovelace@acme.example",
    "given_name": "Ada",
    "family_name": "Lovelace",
    "department": "Engineering",
    "locality": "Utrecht",
    "job_title": "Analyst",
}


def signed_in_user(client) -> User | None:
    pk = client.session.get(SESSION_KEY)
    return User.objects.get(pk=pk) if pk else None


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_first_sign_in_creates_an_employee_from_the_claims(client, oidc_provider):
    oidc_provider.set_user("sub-ada", **ADA)

    response = oidc_provider.sign_in(client, "sub-ada")

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = signed_in_user(client)
    assert user is not None
    assert (user.username, user.first_name, user.last_name) == ("ada.lovelace", "Ada", "Lovelace")
    assert user.email == "ada.lovelace@acme.example"
    assert user.department.name == "Engineering"
    assert user.location.name == "Utrecht"
    assert user.title == "Analyst"
    assert not user.is_guest
    assert not user.has_usable_password()
    identity = Identity.objects.get(user=user)
    assert (identity.issuer, identity.subject) == (oidc_provider.issuer, "sub-ada")
    assert client.get("/").status_code == 200


def test_second_sign_in_updates_the_profile_from_the_claims(client, oidc_provider):
    oidc_provider.set_user("sub-ada", **ADA)
    oidc_provider.sign_in(client, "sub-ada")
    client.logout()
    oidc_provider.set_user(
        "sub-ada", **{**ADA, "department": "Research", "job_title": "Lead analyst"}
    )

    oidc_provider.sign_in(client, "sub-ada")

    user = signed_in_user(client)
    assert User.objects.count() == 1
    assert user.department.name == "Research"
    assert user.title == "Lead analyst"
    assert Identity.objects.get(user=user).claims["department"] == "Research"


def test_configured_claim_names_are_read(client, oidc_provider, settings):
    settings.OIDC_CLAIM_DEPARTMENT = ["dept"]
    settings.OIDC_CLAIM_TITLE = ["title"]
    oidc_provider.set_user(
        "sub-bo", email="bo@acme.example", name="Bo van Dijk", dept="Sales", title="Manager"
    )

    oidc_provider.sign_in(client, "sub-bo")

    user = signed_in_user(client)
    assert (user.first_name, user.last_name) == ("Bo", "van Dijk")
    assert (user.department.name, user.title) == ("Sales", "Manager")


def test_usernames_are_made_unique(client, oidc_provider):
    UserFactory(username="ada.lovelace", email="someone.else@acme.example")
    oidc_provider.set_user("sub-ada", **ADA)

    oidc_provider.sign_in(client, "sub-ada")

    assert signed_in_user(client).username == "ada.lovelace-2"


def test_same_email_different_subject_is_not_the_same_account(client, oidc_provider):
    oidc_provider.set_user("sub-ada", **ADA)
    oidc_provider.sign_in(client, "sub-ada")
    first = signed_in_user(client)
    client.logout()
    # Another identity at the provider now carries the same address (a reused mailbox).
    oidc_provider.set_user("sub-impostor", **ADA)

    response = oidc_provider.sign_in(client, "sub-impostor")

    assert signed_in_user(client) is None
    assert response["Location"] == "/accounts/login/"
    assert "already exists" in messages_of(response)[0]
    assert not Identity.objects.filter(subject="sub-impostor").exists()
    assert Identity.objects.get(subject="sub-ada").user == first


def test_local_account_with_the_same_email_is_linked_only_with_its_password(client, oidc_provider):
    local = UserFactory(username="ada", email="Ada.Lovelace@acme.example")
    local.set_password("the-local-password")
    local.save()
    oidc_provider.set_user("sub-ada", **ADA)

    response = oidc_provider.sign_in(client, "sub-ada")

    assert response["Location"] == "/oidc/link/"
    assert signed_in_user(client) is None
    page = client.get("/oidc/link/")
    assert b"ada" in page.content and b"Link and sign in" in page.content

    wrong = client.post("/oidc/link/", {"password": "a-guess"})
    assert wrong.status_code == 200
    assert b"not the password of this account" in wrong.content
    assert signed_in_user(client) is None
    assert not Identity.objects.exists()

    right = client.post("/oidc/link/", {"password": "the-local-password"})
    assert right["Location"] == "/"
    assert signed_in_user(client) == local
    assert Identity.objects.get(subject="sub-ada").user == local
    local.refresh_from_db()
    assert local.department.name == "Engineering"

    # From now on the provider alone signs in to it.
    client.logout()
    oidc_provider.sign_in(client, "sub-ada")
    assert signed_in_user(client) == local


def test_sign_in_page_shows_the_provider_button_when_configured(client, oidc_provider):
    page = client.get("/accounts/login/")
    assert b"Sign in with Acme ID" in page.content
    assert b'href="/oidc/authenticate/"' in page.content


def test_without_an_issuer_sso_is_off_and_passwords_work(client, settings):
    settings.OIDC_ISSUER = ""
    user = UserFactory(username="carl")
    user.set_password("pw-for-carl-123")
    user.save()

    assert b"Sign in with" not in client.get("/accounts/login/").content
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404
    response = client.post("/accounts/login/", {"username": "carl", "password": "pw-for-carl-123"})
    assert response.status_code == 302
    assert signed_in_user(client) == user


def test_unreachable_provider_says_so_on_the_sign_in_page(client, settings):
    settings.OIDC_ISSUER = "http://localhost:9"  # nothing listens on the discard port
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = "x", "y"
    settings.OIDC_TIMEOUT = 2

    response = client.get("/oidc/authenticate/", follow=True)

    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert b"cannot be reached" in response.content


def test_denied_at_the_provider_is_explained(client, oidc_provider):
    start = client.get("/oidc/authenticate/")
    import requests

    answer = requests.post(
        start["Location"], data={"action": "deny"}, allow_redirects=False, timeout=5
    )
    callback = answer.headers["Location"]
    response = client.get(callback[callback.index("/oidc/") :], follow=True)

    assert b"did not sign you in" in response.content
    assert signed_in_user(client) is None


def test_a_refused_refresh_ends_the_session(client, oidc_provider):
    oidc_provider.set_user("sub-ada", **ADA)
    oidc_provider.sign_in(client, "sub-ada")
    session = client.session
    session[RECHECK_AT_KEY] = 0  # the re-check is due
    session.save()
    # Still trusted: the re-check passes and schedules the next one.
    assert client.get("/").status_code == 200
    assert client.session[RECHECK_AT_KEY] > 0

    oidc_provider.revoke("sub-ada")
    session = client.session
    session[RECHECK_AT_KEY] = 0
    session.save()
    response = client.get("/", follow=True)

    assert response.redirect_chain[0][0] == "/accounts/login/"
    assert b"no longer confirms your sign-in" in response.content
    assert signed_in_user(client) is None


def test_a_refused_refresh_ends_the_persons_sessions_on_every_device(
    client, oidc_provider, django_user_model
):
    from django.test import Client

    oidc_provider.set_user("sub-ada", **ADA)
    oidc_provider.sign_in(client, "sub-ada")
    laptop = Client()
    oidc_provider.sign_in(laptop, "sub-ada")
    assert laptop.get("/").status_code == 200

    oidc_provider.revoke("sub-ada")
    session = client.session
    session[RECHECK_AT_KEY] = 0
    session.save()
    client.get("/")

    # The laptop's re-check is not due yet, yet its session has ended too.
    response = laptop.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    # Ending the sessions is not leaving: the account stays active for the next sign-in.
    assert django_user_model.objects.get(username="ada.lovelace").is_active


def test_recheck_waits_for_its_interval(client, oidc_provider):
    oidc_provider.set_user("sub-ada", **ADA)
    oidc_provider.sign_in(client, "sub-ada")
    oidc_provider.revoke("sub-ada")

    # Within OIDC_RECHECK_SECONDS nothing asks the provider.
    assert client.get("/").status_code == 200


def test_sso_only_refuses_employee_passwords_but_not_guests(
    client, oidc_provider, settings, member
):
    settings.SSO_ONLY_FOR_EMPLOYEES = True
    member.set_password("member-password-1")
    member.save()
    guest = UserFactory(username="gus", is_guest=True, sponsor=member)
    guest.set_password("guest-password-1")
    guest.save()

    refused = client.post(
        "/accounts/login/", {"username": member.username, "password": "member-password-1"}
    )
    assert refused.status_code == 200
    assert "Employees sign in with Acme ID" in refused.content.decode()
    assert signed_in_user(client) is None

    client.post("/accounts/login/", {"username": "gus", "password": "guest-password-1"})
    assert signed_in_user(client) == guest


def test_discovery_is_fetched_once_and_checked(oidc_provider, monkeypatch):
    import requests as real_requests

    from sso import provider

    calls = []
    real_get = real_requests.get

    def counting_get(url, **kwargs):
        calls.append(url)
        return real_get(url, **kwargs)

    monkeypatch.setattr(provider.requests, "get", counting_get)
    first = provider.provider_metadata()
    assert provider.provider_metadata() is first
    assert calls == [f"{oidc_provider.issuer}/.well-known/openid-configuration"]


def test_discovery_naming_another_issuer_is_refused(client, oidc_provider, monkeypatch):
    import requests as real_requests

    from sso import provider

    real_get = real_requests.get

    def document_of_another_issuer(url, **kwargs):
        response = real_get(url, **kwargs)
        document = response.json()
        document["issuer"] = "https://elsewhere.example"
        response._content = json.dumps(document).encode()
        return response

    monkeypatch.setattr(provider.requests, "get", document_of_another_issuer)

    response = client.get("/oidc/authenticate/", follow=True)

    assert response.redirect_chain[-1][0] == "/accounts/login/"
    assert b"cannot be reached" in response.content
    assert signed_in_user(client) is None


def _provision(user_name: str, external_id: str, email: str = ADA["email"]) -> User:
    from scim import services as scim

    user, _created = scim.create(
        scim.read_user(
            {
                "userName": user_name,
                "externalId": external_id,
                "name": {"givenName": "Ada", "familyName": "Lovelace"},
                "emails": [{"value": email}],
            }
        )
    )
    return user


def test_first_sign_in_links_the_account_the_directory_provisioned_by_its_id(client, oidc_provider):
    # Okta and Keycloak: the SCIM externalId is the subject.
    provisioned = _provision("ada.lovelace@acme.example", "sub-ada")
    oidc_provider.set_user("sub-ada", **ADA)

    oidc_provider.sign_in(client, "sub-ada")

    assert signed_in_user(client) == provisioned
    assert Identity.objects.get(user=provisioned).subject == "sub-ada"
    assert User.objects.count() == 1


def test_first_sign_in_links_the_provisioned_account_by_its_sign_in_name(client, oidc_provider):
    # Entra ID: the SCIM userName is the user principal name, sent as preferred_username.
    provisioned = _provision("ada@acme.onmicrosoft.com", "mail-nickname-ada")
    oidc_provider.set_user("pairwise-xyz", preferred_username="Ada@acme.onmicrosoft.com", **ADA)

    oidc_provider.sign_in(client, "pairwise-xyz")

    assert signed_in_user(client) == provisioned


def test_a_provisioned_account_is_never_linked_by_email_alone(client, oidc_provider):
    _provision("someone.else@acme.example", "other-id", email=ADA["email"])
    oidc_provider.set_user("sub-ada", **ADA)

    response = oidc_provider.sign_in(client, "sub-ada")

    assert signed_in_user(client) is None
    assert not Identity.objects.exists()
    assert response.status_code in (302, 200)
