"""Two-step sign-in in a real browser: a person turns it on by typing the key the page shows
into their "app" (the code computed here from that key), keeps the recovery codes, signs out,
and signs in again with the password and then a code, on a desktop and a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import (
    DESKTOP,
    PHONE,
    expected_failures,
    scroll_width,
    sign_in,
    sign_out,
)
from tests.factories import PASSWORD, UserFactory
from tests.twofactor.conftest import NOW, FrozenClock, code_at


@pytest.fixture
def clock(monkeypatch) -> FrozenClock:
    # The live server runs in this process: its TOTP devices read this clock.
    from django_otp.plugins.otp_totp import models as totp_models

    frozen = FrozenClock(NOW)
    monkeypatch.setattr(totp_models, "time", frozen)
    return frozen


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_turn_on_two_step_sign_in_then_sign_in_with_a_code(
    new_page, browser_errors, clock, viewport
):
    person = UserFactory(username="tess.twostep", first_name="Tess")
    page = new_page(viewport)
    sign_in(page, person)

    page.get_by_label("Your account").click()
    page.get_by_role("link", name="Two-step sign-in").click()
    expect(page.get_by_role("heading", name="Two-step sign-in", level=1)).to_be_visible()
    page.get_by_role("link", name="Turn on two-step sign-in").click()

    expect(page.locator(".two-step-qr svg")).to_be_visible()
    secret = page.locator("#two-step-secret").inner_text()
    assert scroll_width(page) <= viewport["width"]

    # A typo first: said under the field, the same key still on the page.
    page.get_by_label("Code from the app").fill("000000")
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")
    expect(page.locator("#two-step-secret")).to_have_text(secret)

    page.get_by_label("Code from the app").fill(code_at(secret, clock.now))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    assert scroll_width(page) <= viewport["width"]
    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_role("status").filter(has_text="Two-step sign-in is on.")).to_be_visible()

    sign_out(page)
    clock.now += 30  # half a minute later: the app shows the next code
    page.goto("/accounts/login/?next=/groups/")
    page.get_by_label("Username or email").fill(person.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    assert scroll_width(page) <= viewport["width"]
    page.get_by_label("Code").fill(code_at(secret, clock.now))
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/groups/$"))
    page.get_by_label("Your account").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expected_failures(browser_errors)  # the 422 answer to the typo, which is the point
