"""A real OpenID Connect provider for the tests: oidc-provider-mock, in this process, on a
free localhost port. Its users are set over its HTTP API; its sign-in page is a form that
takes a subject."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import requests
from oidc_provider_mock import run_server_in_thread

from sso.provider import forget_metadata


@dataclass
class MockProvider:
    issuer: str

    def set_user(self, subject: str, **claims: object) -> None:
        requests.put(f"{self.issuer}/users/{subject}", json=claims, timeout=5).raise_for_status()

    def revoke(self, subject: str) -> None:
        """What disabling someone at the provider does: their tokens stop working."""
        requests.post(f"{self.issuer}/users/{subject}/revoke-tokens", timeout=5).raise_for_status()

    def sign_in(self, client, subject: str):
        """The whole authorization code flow with Django's test client; returns the
        callback's response."""
        start = client.get("/oidc/authenticate/")
        assert start.status_code == 302, start
        authorize_url = start["Location"]
        assert authorize_url.startswith(self.issuer)
        answer = requests.post(
            authorize_url, data={"sub": subject}, allow_redirects=False, timeout=5
        )
        assert answer.status_code == 302, answer.text
        callback = urlsplit(answer.headers["Location"])
        return client.get(f"{callback.path}?{callback.query}")


@pytest.fixture(scope="session")
def oidc_server():
    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def oidc_provider(oidc_server, settings):
    settings.OIDC_ISSUER = oidc_server
    settings.OIDC_RP_CLIENT_ID = "esn-tests"
    settings.OIDC_RP_CLIENT_SECRET = "esn-tests-secret"  # noqa: S105
    settings.OIDC_PROVIDER_NAME = "Acme ID"
    # The mock publishes one signing key without a "kid"; real providers name theirs.
    settings.OIDC_VERIFY_KID = False
    forget_metadata()
    yield MockProvider(oidc_server)
    forget_metadata()
