"""The sign-in lock and the request limits in a real browser: what a locked-out person reads
(where they are looking, what they typed kept), and the 429 page, on a desktop and a phone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import DESKTOP, PHONE, expected_failures, scroll_width
from tests.factories import PASSWORD, UserFactory

SCREENSHOT_DIR = Path(
    os.environ.get(
        "ESN_SCREENSHOT_DIR",
        Path(__file__).resolve().parents[2] / "test-results" / "screenshots",
    )
)


def _sign_in_as_typed(page: Page, typed: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username or email").fill(typed)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_a_locked_account_reads_the_wait_on_the_sign_in_page(new_page, browser_errors, viewport):
    UserFactory(username="zoe.mulder", email="zoe.mulder@example.com")
    page = new_page(viewport)
    for _ in range(5):
        _sign_in_as_typed(page, "Zoe.Mulder", "not-my-password")

    _sign_in_as_typed(page, "Zoe.Mulder", PASSWORD)

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Too many failed attempts")
    expect(alert).to_contain_text("Try again in 30 minutes")
    expect(page.get_by_label("Username or email")).to_have_value("Zoe.Mulder")
    expect(page.get_by_role("link", name="Forgot your password?")).to_be_visible()
    assert scroll_width(page) <= viewport["width"]
    expected_failures(browser_errors)  # the 429 answers, which are the point
    if os.environ.get("ESN_SCREENSHOTS") == "1":
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=SCREENSHOT_DIR / f"sign-in-locked-{viewport['width']}.png", full_page=True
        )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_too_many_password_resets_show_the_429_page(new_page, browser_errors, viewport):
    page = new_page(viewport)
    for _ in range(3):
        page.goto("/accounts/password_reset/")
        page.get_by_label("Email").fill("someone@example.com")
        page.get_by_role("button", name="Send").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Slow down a moment")
    expect(page.get_by_role("alert")).to_contain_text("Try again in")
    assert scroll_width(page) <= viewport["width"]
    expected_failures(browser_errors)  # the 429 answers, which are the point
    if os.environ.get("ESN_SCREENSHOTS") == "1":
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOT_DIR / f"too-many-{viewport['width']}.png", full_page=True)
