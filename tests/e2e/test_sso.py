"""Single sign-on in a real browser: the button on the sign-in page, the provider's own page
(oidc-provider-mock, started by the tests), and landing on Home as the new person."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from people.models import User
from tests.e2e.browser import DESKTOP, PHONE, scroll_width
from tests.factories import UserFactory
from tests.sso import provider

# The local provider's fixtures (tests/sso/provider.py), for this module.
oidc_server = provider.oidc_server
oidc_provider = provider.oidc_provider

SCREENSHOT_DIR = Path(
    os.environ.get(
        "ESN_SCREENSHOT_DIR",
        Path(__file__).resolve().parents[2] / "test-results" / "screenshots",
    )
)


def _offline_provider_page(page: Page) -> None:
    # The mock provider's page links a stylesheet from a CDN; the tests run offline.
    page.route(
        re.compile(r"^https://cdn\.jsdelivr\.net/"),
        lambda route: route.fulfill(status=200, content_type="text/css", body=""),
    )


def _sign_in_at_the_provider(page: Page, subject: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with Acme ID").click()
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    page.get_by_placeholder("sub").fill(subject)
    page.get_by_role("button", name="Authorize").click()


def test_a_new_colleague_signs_in_with_the_provider_and_lands_on_home(new_page, oidc_provider):
    oidc_provider.set_user(
        "sub-ada",
        email="ada.lovelace@acme.example",
        given_name="Ada",
        family_name="Lovelace",
        department="Engineering",
        locality="Utrecht",
        job_title="Analyst",
    )
    page = new_page(DESKTOP)
    _offline_provider_page(page)
    page.goto("/accounts/login/")
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOT_DIR / "sso-sign-in-desktop.png", full_page=True)

    _sign_in_at_the_provider(page, "sub-ada")

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Home", level=1)).to_be_visible()
    ada = User.objects.get(sso_identities__subject="sub-ada")
    assert (ada.first_name, ada.department.name, ada.title) == ("Ada", "Engineering", "Analyst")
    page.goto(f"/people/{ada.username}/")
    expect(page.get_by_text("Analyst").first).to_be_visible()


def test_a_local_account_is_linked_after_its_password_on_a_phone(new_page, oidc_provider):
    local = UserFactory(username="ada", first_name="Ada", email="ada.lovelace@acme.example")
    local.set_password("the-local-password")
    local.save()
    oidc_provider.set_user("sub-ada", email="ada.lovelace@acme.example", given_name="Ada")
    phone = new_page(PHONE)
    _offline_provider_page(phone)
    phone.goto("/accounts/login/")
    assert scroll_width(phone) <= PHONE["width"]
    phone.screenshot(path=SCREENSHOT_DIR / "sso-sign-in-phone.png", full_page=True)

    _sign_in_at_the_provider(phone, "sub-ada")

    expect(phone.get_by_role("heading", name="Link your account")).to_be_visible()
    assert scroll_width(phone) <= PHONE["width"]
    phone.get_by_label("Password of your existing account").fill("not-it")
    phone.get_by_role("button", name="Link and sign in").click()
    expect(phone.get_by_text("That is not the password of this account.")).to_be_visible()
    phone.screenshot(path=SCREENSHOT_DIR / "sso-link-phone.png", full_page=True)
    phone.get_by_label("Password of your existing account").fill("the-local-password")
    phone.get_by_role("button", name="Link and sign in").click()

    expect(phone).to_have_url(re.compile(r"/$"))
    expect(phone.get_by_text("Your account is now linked to Acme ID.")).to_be_visible()
    assert local.sso_identities.filter(subject="sub-ada").exists()


def test_a_session_the_provider_refuses_ends_with_a_reason(new_page, oidc_provider, settings):
    settings.OIDC_RECHECK_SECONDS = 0  # re-check on every request, instead of every 15 minutes
    oidc_provider.set_user("sub-bo", email="bo@acme.example", given_name="Bo")
    page = new_page(DESKTOP)
    _offline_provider_page(page)
    _sign_in_at_the_provider(page, "sub-bo")
    expect(page.get_by_role("heading", name="Home", level=1)).to_be_visible()

    oidc_provider.revoke("sub-bo")  # disabled at the provider
    # Home's own htmx requests may meet the re-check first and send the whole page to the
    # sign-in page (HX-Redirect), which interrupts this navigation: either way ends there.
    with contextlib.suppress(PlaywrightError):
        page.goto("/")

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_text("Acme ID no longer confirms your sign-in").first).to_be_visible()
    page.screenshot(path=SCREENSHOT_DIR / "sso-session-ended-desktop.png", full_page=True)
