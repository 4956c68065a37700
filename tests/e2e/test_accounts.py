"""Account basics in a real browser: signing in on a phone as phones type it, signing out,
changing the password from the profile menu, and what a deactivated account is told."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import DESKTOP, PHONE, scroll_width, sign_in, sign_out
from tests.factories import PASSWORD, UserFactory

NEW_PASSWORD = "a-fresh-long-passphrase-42"
SCREENSHOT_DIR = Path(
    os.environ.get(
        "ESN_SCREENSHOT_DIR",
        Path(__file__).resolve().parents[2] / "test-results" / "screenshots",
    )
)


def _sign_in_as_typed(page: Page, typed: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username or email").fill(typed)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _expect_home(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Home", level=1)).to_be_visible()


def test_sign_in_on_a_phone_with_a_capitalised_username_and_with_the_email(new_page):
    UserFactory(username="zoe.mulder", first_name="Zoe", email="zoe.mulder@example.com")
    phone = new_page(PHONE)

    phone.goto("/accounts/login/")
    field = phone.get_by_label("Username or email")
    expect(field).to_have_attribute("autocapitalize", "none")
    expect(field).to_have_attribute("autocorrect", "off")
    expect(field).to_have_attribute("spellcheck", "false")
    expect(field).to_have_attribute("autocomplete", "username")
    expect(phone.get_by_label("Password")).to_have_attribute("autocomplete", "current-password")
    assert scroll_width(phone) <= PHONE["width"]

    # What a phone keyboard makes of "zoe.mulder".
    _sign_in_as_typed(phone, "Zoe.mulder")
    _expect_home(phone)
    assert scroll_width(phone) <= PHONE["width"]

    sign_out(phone)
    expect(phone.locator(".page-messages")).to_contain_text("You are signed out.")
    assert scroll_width(phone) <= PHONE["width"]

    _sign_in_as_typed(phone, "ZOE.MULDER@example.com")
    _expect_home(phone)


def test_a_wrong_password_keeps_what_was_typed_and_says_why(page):
    UserFactory(username="zoe.mulder", email="zoe.mulder@example.com")

    _sign_in_as_typed(page, "Zoe.Mulder@example.com", "not-my-password")

    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
    expect(page.get_by_label("Username or email")).to_have_value("Zoe.Mulder@example.com")


def test_change_the_password_from_the_profile_menu(new_page):
    zoe = UserFactory(username="zoe.mulder", first_name="Zoe")
    laptop = new_page(DESKTOP)
    other_device = new_page(PHONE)
    sign_in(other_device, zoe)
    sign_in(laptop, zoe)

    laptop.get_by_label("Your account").click()
    laptop.get_by_role("link", name="Change password").click()
    expect(laptop).to_have_url(re.compile(r"/accounts/password_change/$"))
    expect(laptop.get_by_role("heading", name="Change password", level=1)).to_be_visible()
    expect(laptop.locator(".password-rules")).to_contain_text("at least 8 characters")
    expect(laptop.get_by_role("link", name="Administration")).to_have_count(0)

    # A typo in the repeat: the error is under the field it is about, nothing is changed.
    laptop.get_by_label("Old password").fill(PASSWORD)
    laptop.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    laptop.get_by_label("New password confirmation").fill(NEW_PASSWORD + "x")
    laptop.get_by_role("button", name="Change password").click()
    expect(laptop.locator("#id_new_password2_error")).to_contain_text("didn’t match")

    laptop.get_by_label("Old password").fill(PASSWORD)
    laptop.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    laptop.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    laptop.get_by_role("button", name="Change password").click()
    expect(laptop.locator(".page-messages")).to_contain_text("Your password is changed.")
    expect(laptop.get_by_role("heading", name="Password changed", level=1)).to_be_visible()
    expect(laptop.get_by_text("Other devices you were signed in on are signed out")).to_be_visible()

    # Still signed in here; the other device is back at the sign-in page.
    laptop.get_by_role("link", name="Back to Home").click()
    _expect_home(laptop)
    other_device.reload()
    expect(other_device).to_have_url(re.compile(r"/accounts/login/"))

    sign_out(laptop)
    _sign_in_as_typed(laptop, "zoe.mulder", PASSWORD)
    expect(laptop.get_by_role("alert")).to_contain_text("correct username and password")
    _sign_in_as_typed(laptop, "zoe.mulder", NEW_PASSWORD)
    _expect_home(laptop)


def test_a_deactivated_account_is_told_so_only_with_its_password(page):
    UserFactory(username="dee.activated", is_active=False)

    _sign_in_as_typed(page, "dee.activated", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")

    _sign_in_as_typed(page, "Dee.Activated", PASSWORD)
    expect(page.get_by_role("alert")).to_have_text(
        "This account is deactivated. Ask your administrator if you think this is a mistake."
    )
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


@pytest.mark.skipif(
    os.environ.get("ESN_SCREENSHOTS") != "1",
    reason="screenshots only on request: ESN_SCREENSHOTS=1 (ESN_SCREENSHOT_DIR=where)",
)
def test_screenshots(new_page, settings):
    settings.DEMO_MODE = True
    zoe = UserFactory(username="zoe.mulder", first_name="Zoe")
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    for label, viewport in (("1280", DESKTOP), ("390", PHONE)):
        page = new_page(viewport)
        sign_in(page, zoe)
        sign_out(page)
        page.screenshot(path=SCREENSHOT_DIR / f"signed-out-{label}.png", full_page=True)
        sign_in(page, zoe)
        page.goto("/accounts/password_change/")
        page.get_by_label("Old password").fill("wrong")
        page.get_by_label("New password", exact=True).fill("short")
        page.get_by_label("New password confirmation").fill("short")
        page.get_by_role("button", name="Change password").click()
        page.screenshot(path=SCREENSHOT_DIR / f"change-password-errors-{label}.png", full_page=True)
        page.goto("/accounts/password_change/")
        page.screenshot(path=SCREENSHOT_DIR / f"change-password-{label}.png", full_page=True)
        page.get_by_label("Your account").click()
        page.screenshot(path=SCREENSHOT_DIR / f"profile-menu-{label}.png")
        page.get_by_label("Your account").click()  # closed again: sign_out opens it
        sign_out(page)
        page.goto("/accounts/password_reset/")
        page.screenshot(path=SCREENSHOT_DIR / f"password-reset-{label}.png", full_page=True)
        page.goto("/accounts/reset/MQ/not-a-token/")
        page.screenshot(path=SCREENSHOT_DIR / f"reset-link-used-{label}.png", full_page=True)


def test_the_sign_in_page_speaks_the_language_picked_on_a_phone_and_a_first_sign_in_keeps_it(
    new_page, test_catalogs
):
    newcomer = UserFactory(username="jonas.neu", first_name="Jonas", last_login=None)
    phone = new_page(PHONE)
    phone.goto("/accounts/login/?next=/groups/")
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    languages = phone.get_by_role("group", name="Language")
    expect(languages.get_by_text("English")).to_have_attribute("aria-current", "true")

    # By keyboard, without a script: the button posts the choice and comes back here.
    languages.get_by_role("button", name="Deutsch").focus()
    phone.keyboard.press("Enter")

    expect(phone.locator("html")).to_have_attribute("lang", "de")
    expect(phone).to_have_url(re.compile(r"/accounts/login/\?next=/groups/$"))
    expect(phone.get_by_role("heading", name="Anmelden", level=1)).to_be_visible()
    in_german = phone.get_by_role("group", name="Sprache")
    expect(in_german.get_by_role("button", name="English")).to_have_attribute("lang", "en")
    expect(in_german.get_by_text("Deutsch")).to_have_attribute("aria-current", "true")
    assert scroll_width(phone) <= PHONE["width"]

    phone.get_by_label("Username or email").fill("jonas.neu")
    phone.get_by_label("Passwort").fill(PASSWORD)  # Django's own German
    phone.get_by_role("button", name="Anmelden").click()

    expect(phone).to_have_url(re.compile(r"/groups/$"))
    expect(phone.locator("html")).to_have_attribute("lang", "de")
    newcomer.refresh_from_db()
    assert newcomer.language == "de"
